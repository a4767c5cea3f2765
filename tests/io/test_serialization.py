"""keras.saving's registry and Keras 3's serialized dicts; JSON round trips; from_config."""

import json
import os

import numpy as np
import pytest

from glassnet import keras
from glassnet.io import UnsafeFileError
from glassnet.keras import saving
from glassnet.keras.models import model_from_json

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "legacy_h5")
# What Keras 3.15 emits for the same objects (keras.saving.serialize_keras_object).
KERAS3_DENSE = {
    "module": "keras.layers", "class_name": "Dense", "registered_name": None,
    "config": {"name": "d", "trainable": True, "dtype": {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
        "registered_name": None}, "units": 3, "activation": "relu", "use_bias": True,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                               "config": {"seed": None, "input_axes": None,
                                          "output_axes": None}, "registered_name": None},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
                             "config": {}, "registered_name": None},
        "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None, "quantization_config": None},
    "build_config": {"input_shape": [None, 5]}}


@saving.register_keras_serializable(package="tests")
class Doubler(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _model():
    x = keras.Input((3,))
    return keras.Model(x, keras.layers.Dense(2)(Doubler(3.0)(x)))


def test_registry_names_and_lookups():
    assert saving.get_registered_name(Doubler) == "tests>Doubler"
    assert saving.get_registered_object("tests>Doubler") is Doubler
    assert saving.get_custom_objects()["tests>Doubler"] is Doubler
    assert saving.get_registered_name(np.mean) == "mean"
    assert saving.get_registered_object("nope") is None
    with pytest.raises(ValueError, match="Cannot register a class that does not have a "
                                         "get_config"):
        saving.register_keras_serializable()(type("NoConfig", (), {}))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_registered_classes_load_without_custom_objects(tmp_path, suffix):
    model = _model()
    x = np.ones((2, 3), "float32")
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = saving.load_model(path)
    assert isinstance(loaded.layers[1], Doubler) and loaded.layers[1].factor == 3.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    again = keras.models.model_from_config(json.loads(model.to_json()))
    assert isinstance(again.layers[1], Doubler)


def test_custom_object_scope():
    class Local(keras.layers.Layer):
        def call(self, x):
            return x + 1

    x = keras.Input((2,))
    text = keras.Model(x, Local()(x)).to_json()
    with pytest.raises(ValueError, match="'Local', which is not a glassnet layer"):
        model_from_json(text)
    with saving.custom_object_scope({"Local": Local}):
        assert isinstance(model_from_json(text).layers[1], Local)
    with saving.CustomObjectScope({"Local": Local}):
        assert saving.get_registered_object("Local") is Local
    assert saving.get_registered_object("Local") is None
    assert isinstance(model_from_json(text, custom_objects={"Local": Local}).layers[1], Local)


def test_serialized_dicts_are_keras_3_s():
    s = saving.serialize_keras_object
    assert s(keras.losses.MeanSquaredError()) == {
        "module": "keras.losses", "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
        "registered_name": None}
    assert s(keras.regularizers.L2(0.1)) == {"module": "keras.regularizers",
                                             "class_name": "L2", "config": {"l2": 0.1},
                                             "registered_name": None}
    assert s(keras.activations.relu) == {"module": "builtins", "class_name": "function",
                                         "config": "relu", "registered_name": "function"}
    assert s(keras.metrics.MeanSquaredError()) == {
        "module": "keras.metrics", "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "dtype": "float32"}, "registered_name": None}
    assert s(np.zeros(2)) == {"class_name": "__numpy__",
                              "config": {"value": [0.0, 0.0], "dtype": "float64"}}
    assert s(np.float32(1.5)) == 1.5 and s([1, (2, 3)]) == [1, (2, 3)]
    layer = keras.layers.Dense(2, name="dd")
    layer.build((None, 3))
    out = s(layer)
    assert (out["module"], out["class_name"], out["registered_name"]) == (
        "keras.layers", "Dense", None)
    assert out["build_config"] == {"input_shape": (None, 3)}
    assert s(Doubler())["registered_name"] == "tests>Doubler"
    with pytest.raises(TypeError, match="lambda"):
        s(lambda x: x)


def test_deserializing_keras_3_s_dicts():
    d = saving.deserialize_keras_object
    layer = d(KERAS3_DENSE)
    assert isinstance(layer, keras.layers.Dense) and layer.units == 3 and layer.built
    assert layer.kernel.shape == (5, 3)
    assert d({"module": "builtins", "class_name": "function", "config": "relu",
              "registered_name": "function"}) is keras.activations.relu
    opt = d({"module": "keras.optimizers", "class_name": "Adam", "registered_name": None,
             "config": {"name": "adam", "learning_rate": 0.01, "use_ema": False,
                        "ema_momentum": 0.99, "loss_scale_factor": None, "beta_1": 0.8}})
    assert type(opt).__name__ == "Adam" and opt.learning_rate == pytest.approx(0.01)
    for obj in (keras.losses.Huber(delta=2.0), keras.initializers.GlorotUniform(seed=3),
                keras.regularizers.L1(0.5), keras.metrics.MeanSquaredError()):
        back = d(saving.serialize_keras_object(obj))
        assert type(back) is type(obj) and back.get_config() == obj.get_config()
    np.testing.assert_array_equal(d(saving.serialize_keras_object(np.arange(3.0))),
                                  np.arange(3.0))
    with pytest.raises(ValueError, match="lambda"):
        d({"class_name": "__lambda__", "config": {"value": "x"}})
    with pytest.raises(ValueError, match="glassnet's Dense does not support"):
        d({**KERAS3_DENSE, "config": {**KERAS3_DENSE["config"], "lora_rank": 4}})


def test_layers_serialize_and_deserialize():
    from glassnet.keras.layers import deserialize, serialize

    layer = keras.layers.Conv2D(4, 3, strides=2, activation="relu", name="c")
    back = deserialize(serialize(layer))
    assert type(back) is keras.layers.Conv2D and back.get_config() == layer.get_config()
    assert deserialize({"class_name": "Dense", "config": {"units": 4}}).units == 4
    with pytest.raises(ValueError, match="not a layer"):
        deserialize(saving.serialize_keras_object(keras.losses.MeanSquaredError()))


def _predict_same(a, b, x):
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(b.predict(x, verbose=0), a.predict(x, verbose=0))


def test_to_json_round_trips_sequential_and_functional():
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                            keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    text = seq.to_json(indent=2)
    assert json.loads(text)["class_name"] == "Sequential"
    _predict_same(seq, model_from_json(text), np.ones((2, 4), "float32"))
    a, b = keras.Input((3,)), keras.Input((2,))
    fun = keras.Model([a, b], keras.layers.Dense(1)(keras.layers.Concatenate()(
        [keras.layers.Dense(4)(a), b])))
    xs = [np.ones((2, 3), "float32"), np.ones((2, 2), "float32")]
    _predict_same(fun, model_from_json(fun.to_json()), xs)
    _predict_same(fun, keras.Model.from_config(fun.get_config()), xs)
    _predict_same(seq, keras.Sequential.from_config(seq.get_config()),
                  np.ones((2, 4), "float32"))


def test_tf_keras_json_is_read():
    import h5py

    with h5py.File(os.path.join(HERE, "two_input_k2.h5")) as f:
        text = f.attrs["model_config"]
    model = model_from_json(text)
    assert [t.shape for t in model.inputs] == [(None, 3), (None, 2)]
    assert model.count_params() == 4 * 3 + 4 + 6 + 1


def test_json_is_parsed_strictly():
    with pytest.raises(UnsafeFileError, match="appears twice"):
        model_from_json('{"class_name": "Sequential", "class_name": "Model", "config": {}}')
    with pytest.raises(UnsafeFileError, match="nests"):
        model_from_json("[" * 100 + "]" * 100)
    with pytest.raises(TypeError, match="expected a JSON string"):
        model_from_json(3)
