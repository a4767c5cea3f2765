"""Functional models on dicts of inputs and outputs (Keras 3): data and losses by key,
predict returning a dict, saving keeping the keys; integer Inputs keep integer data."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers


def _model():
    a, b = keras.Input((3,), name="age"), keras.Input((2,), name="blood_in")
    h = layers.concatenate([a, b])
    outputs = {"priority": layers.Dense(1, name="priority_head")(h),
               "department": layers.Dense(4, activation="softmax", name="dept")(h)}
    return keras.Model({"age": a, "blood": b}, outputs)


def _data(n=32):
    rng = np.random.default_rng(0)
    x = {"age": rng.random((n, 3)), "blood": rng.random((n, 2))}
    y = {"priority": rng.random((n, 1)), "department": rng.integers(0, 4, n)}
    return x, y


def test_dict_inputs_and_outputs_train_predict_and_save(tmp_path):
    model = _model()
    assert model.output_names == ["department", "priority"]  # sorted, as Keras flattens
    model.compile("adam", loss={"priority": "mse", "department": "sparse_categorical_crossentropy"},
                  metrics={"department": ["accuracy"]})
    x, y = _data()
    history = model.fit(x, y, epochs=3, verbose=0)
    assert {"loss", "priority_loss", "department_loss", "department_accuracy"} \
        <= set(history.history)
    assert history.history["loss"][-1] < history.history["loss"][0]
    predicted = model.predict(x, verbose=0)
    assert {k: v.shape for k, v in predicted.items()} == {"department": (32, 4),
                                                          "priority": (32, 1)}
    called = model(x)
    np.testing.assert_allclose(called["priority"].numpy(), predicted["priority"], rtol=1e-6)
    model.save(tmp_path / "dict.keras")
    again = keras.models.load_model(tmp_path / "dict.keras")
    for key, value in again.predict(x, verbose=0).items():
        np.testing.assert_allclose(value, predicted[key], rtol=1e-6)
    with pytest.raises(ValueError, match=r"lacks the model input\(s\) \['blood'\]"):
        model({"age": x["age"]})


def test_integer_inputs_keep_their_dtype_for_lookups():
    ids = keras.Input((1,), name="cp", dtype="int64")
    lookup = layers.IntegerLookup(output_mode="one_hot")
    lookup.adapt(np.array([0, 1, 2, 3]))
    model = keras.Model({"cp": ids}, layers.Dense(1)(lookup(ids)))
    model.compile("adam", "mse")
    model.fit({"cp": np.array([[1], [2], [3], [0]])}, np.zeros(4), epochs=1, verbose=0)
    assert model.predict({"cp": np.array([[1]])}, verbose=0).shape == (1, 1)
