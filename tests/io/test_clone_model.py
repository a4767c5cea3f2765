"""keras.models.clone_model: new layers, fresh weights, the same architecture."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras.models import clone_model


def _weights_differ(a, b):
    return any(not np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


def test_sequential_clone_has_new_layers_and_fresh_weights():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)], name="seq")
    twin = clone_model(model)
    assert twin.name == "seq" and type(twin) is keras.Sequential
    assert all(a is not b for a, b in zip(model.layers, twin.layers))
    assert [type(layer) for layer in twin.layers] == [type(layer) for layer in model.layers]
    assert twin.count_params() == model.count_params() and _weights_differ(model, twin)
    twin.set_weights(model.get_weights())
    x = np.ones((3, 4), "float32")
    np.testing.assert_allclose(twin.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_clone_keeps_shared_layers_shared():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = keras.layers.Dense(2)
    model = keras.Model([a, b], keras.layers.Add()([shared(a), shared(b)]))
    twin = clone_model(model)
    dense = [layer for layer in twin.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) == 1 and dense[0] is not shared
    assert twin.input_names == ["a", "b"] and twin.count_params() == 8
    twin.set_weights(model.get_weights())
    xs = [np.ones((2, 3), "float32"), np.full((2, 3), 2.0, "float32")]
    np.testing.assert_allclose(twin.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_clone_function_is_applied_to_each_layer():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(2)])
    seen = []

    def clone(layer):
        seen.append(layer.name)
        config = layer.get_config()
        config["name"] = "copy_" + config["name"]
        return type(layer).from_config(config)

    twin = clone_model(model, clone_function=clone)
    assert seen == [layer.name for layer in model.layers]
    assert [layer.name for layer in twin.layers] == ["copy_" + n for n in seen]
    with pytest.raises(TypeError, match="must return a Layer"):
        clone_model(model, clone_function=lambda layer: 3)


def test_input_tensors_replace_the_inputs():
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(2)(x))
    new_input = keras.Input((4,), name="fresh")
    twin = clone_model(model, input_tensors=new_input)
    assert twin.inputs[0] is new_input
    with pytest.raises(ValueError, match="input_tensors must be 1 keras.Input"):
        clone_model(model, input_tensors=[new_input, new_input])


def test_nested_models_are_cloned_too():
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="base")
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(1)(base(x)))
    twin = clone_model(model)
    assert twin.layers[1] is not base and twin.count_params() == model.count_params()


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Model or Sequential"):
        clone_model(keras.layers.Dense(2))

    class Sub(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="subclassed model"):
        clone_model(Sub())


def test_clone_model_keeps_calls_with_several_tensors_and_tensor_keywords():
    class WeightedSum(keras.layers.Layer):
        def call(self, a, b, scale=1.0):
            return scale * (a + b)

    x, y = keras.Input((3,)), keras.Input((4, 2))
    summed = WeightedSum()(keras.layers.Dense(3)(x), x, scale=2.0)
    attended = keras.layers.MultiHeadAttention(2, 2)(query=y, value=y)
    model = keras.Model([x, y], [summed, attended])
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    data = [np.ones((2, 3), "float32"), np.linspace(0, 1, 16, dtype="float32").reshape(2, 4, 2)]
    for ours, theirs in zip(twin.predict(data, verbose=0), model.predict(data, verbose=0)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert all(a is not b for a, b in zip(twin.layers, model.layers))
