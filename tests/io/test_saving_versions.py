"""A .keras file written by glassnet 0.1.0 (fixtures/glassnet_0_1), which listed a
functional model's weights with its layers in call order, loads into today's model (layers
in Keras's order) with every weight and every optimizer slot where it belongs."""

import pathlib
import sys

import numpy as np

from glassnet import keras

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "glassnet_0_1"
sys.path.insert(0, str(FIXTURES))
from make_fixture import build  # noqa: E402


def test_a_0_1_file_of_a_branched_model_loads_by_its_own_order():
    expected = np.load(FIXTURES / "branched_expected.npz")
    model = keras.models.load_model(FIXTURES / "branched.keras")
    # Keras 3.15's order for this model (0.1.0 wrote shortcut's weights first)
    assert [layer.name for layer in model.layers] == ["x", "main_1", "shortcut", "main_2",
                                                      "add"]
    for name in ("shortcut", "main_1", "main_2"):
        np.testing.assert_array_equal(model.get_layer(name).kernel.numpy(),
                                      expected[f"{name}_kernel"])
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["predicted"],
                               rtol=1e-6)
    model.fit(expected["x"], expected["y"], epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0),
                               expected["after_one_more_epoch"], rtol=1e-5, atol=1e-6)


def test_files_of_this_version_keep_keras_order(tmp_path):
    model = build(keras)
    model.compile("adam", "mse")
    x = np.ones((4, 4), "float32")
    model.fit(x, x, epochs=1, verbose=0)
    model.save(tmp_path / "now.keras")
    again = keras.models.load_model(tmp_path / "now.keras")
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
