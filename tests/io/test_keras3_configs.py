"""A model config written by Keras 3 whose layers take two positional tensors (a custom
``call(self, a, b)``) and tensor keyword arguments (``mha(query=q, value=q)``) loads with
``model_from_json`` and predicts what Keras predicted (fixtures/keras3_json)."""

import pathlib

import numpy as np

from glassnet import keras

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "keras3_json"


class WeightedSum(keras.layers.Layer):
    def __init__(self, alpha=0.5, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, a, b):
        return self.alpha * a + (1 - self.alpha) * b

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def test_keras3_two_tensor_and_keyword_tensor_calls_load_and_predict_the_same():
    saved = np.load(FIXTURES / "two_tensor_calls.npz")
    model = keras.models.model_from_json((FIXTURES / "two_tensor_calls.json").read_text(),
                                         custom_objects={"demo>WeightedSum": WeightedSum})
    model.set_weights([saved[f"arr_{i}"] for i in range(len(model.get_weights()))])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32"),
         rng.normal(size=(2, 4, 2)).astype("float32")]
    mixed, attended = model.predict(x, verbose=0)
    np.testing.assert_allclose(mixed, saved["out0"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(attended, saved["out1"], rtol=1e-5, atol=1e-6)
    assert model.get_layer("mix").alpha == 0.25
    again = keras.models.model_from_json(model.to_json(),
                                         custom_objects={"WeightedSum": WeightedSum})
    again.set_weights(model.get_weights())  # glassnet's own JSON of it round-trips
    for ours, theirs in zip(again.predict(x, verbose=0), (mixed, attended)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_onnx_export_names_a_call_with_several_tensor_arguments(tmp_path):
    import pytest

    pytest.importorskip("onnx")
    x = keras.Input((3,))
    model = keras.Model(x, WeightedSum(name="mix")(keras.layers.Dense(3)(x), x))
    with pytest.raises(ValueError, match=r"mix \(WeightedSum: a call with several tensor "
                                         r"arguments\)"):
        model.export(str(tmp_path / "m.onnx"), format="onnx")


def test_h5_refuses_a_call_with_several_tensors_and_names_the_layer(tmp_path):
    import pytest

    pytest.importorskip("h5py")
    x = keras.Input((3,))
    model = keras.Model(x, WeightedSum(name="mix")(keras.layers.Dense(3)(x), x))
    with pytest.raises(ValueError, match="'mix' is called with several tensor arguments"):
        model.save(tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()
