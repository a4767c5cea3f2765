"""Operators between model tensors save with the model; shapes and weight order of models."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.nn.layers.operators import TensorOperator


def test_operators_and_indexing_between_model_tensors_save_and_load(tmp_path):
    a, b = keras.Input((5, 3)), keras.Input((5, 3))
    z = (a + 2.0) * b - a[:, :, :1] / 3 + np.ones(3, "float32")
    last = z[:, -1]
    model = keras.Model([a, b], [-last, last @ np.eye(3, dtype="float32"), z[..., None, 1:]])
    assert not any(isinstance(layer, TensorOperator) for layer in model.layers)
    assert model.output_shape == [(None, 3), (None, 3), (None, 5, 1, 2)]
    model.save(tmp_path / "ops.keras")
    loaded = keras.models.load_model(tmp_path / "ops.keras")
    rng = np.random.default_rng(0)
    x = [rng.random((2, 5, 3), dtype=np.float32) for _ in range(2)]
    for ours, theirs in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_allclose(ours, theirs)
    expected = (x[0] + 2) * x[1] - x[0][:, :, :1] / 3 + 1
    np.testing.assert_allclose(model.predict(x, verbose=0)[0], -expected[:, -1], rtol=1e-6)


def test_unpacked_states_of_an_lstm_save_and_keep_keras_layer_indices(tmp_path):
    x = keras.Input((None, 4))
    out, h, c = keras.layers.LSTM(3, return_state=True)(x)
    model = keras.Model(x, [out, h, c])
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "LSTM"]
    model.save(tmp_path / "states.keras")
    loaded = keras.models.load_model(tmp_path / "states.keras")
    data = np.random.default_rng(1).standard_normal((2, 6, 4)).astype("float32")
    for ours, theirs in zip(model.predict(data, verbose=0), loaded.predict(data, verbose=0)):
        np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("key", [{"slice": [0, "1", None]}, {"tuple": "x"}, {"index": [1.5]},
                                 {"spam": 1}])
def test_malformed_index_keys_in_a_config_are_refused(key):
    with pytest.raises(ValueError, match="malformed index key"):
        TensorOperator("get_item", key=key)


def test_a_checkpoint_written_during_fit_loads(tmp_path):
    """fit's own list of the trainable weights must not reorder model.weights while it runs
    (a BatchNormalization's moving statistics would be saved out of place)."""
    inputs = keras.Input((8, 1))
    h = keras.layers.Conv1D(4, 3, padding="same")(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.GlobalAveragePooling1D()(keras.layers.ReLU()(h))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy")
    path = tmp_path / "best.keras"
    rng = np.random.default_rng(0)
    model.fit(rng.random((32, 8, 1)), rng.integers(0, 2, 32), epochs=1, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(path)])
    loaded = keras.models.load_model(path)
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    data = rng.random((3, 8, 1))
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-6)
