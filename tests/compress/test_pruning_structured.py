"""Structured pruning: removing dead units changes nothing, parameter counts fall by the
formula, the norms choose the units, BatchNormalization and Flatten are followed, and
models it cannot follow are refused or left whole."""

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.compress.pruning import prune_structured, unit_scores


def kill(layer, units):
    """Zero the kernel slice and bias of ``units``: they then output a constant zero."""
    weights = layer.get_weights()
    weights[0][..., units] = 0
    weights[1][units] = 0
    layer.set_weights(weights)


def test_removing_units_with_zero_weights_leaves_the_mlp_unchanged():
    glassnet.seed(0)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(12, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(4)])
    kill(model.layers[0], [0, 3, 4, 7, 9, 11])
    kill(model.layers[2], [1, 2, 6, 7])
    small = prune_structured(model, 0.5)
    assert [layer.units for layer in small.layers if hasattr(layer, "units")] == [6, 4, 4]
    # 20*6+6 + 6*4+4 + 4*4+4 weights remain
    assert small.count_params() == 126 + 28 + 20
    x = np.random.default_rng(0).normal(size=(32, 20)).astype("float32")
    np.testing.assert_allclose(small.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_removing_dead_filters_through_batch_norm_pooling_and_flatten_changes_nothing():
    glassnet.seed(1)
    inputs = keras.Input((12, 12, 2))
    x = keras.layers.Conv2D(6, 3, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(10, activation="relu")(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    conv, bn, conv2, dense = model.layers[1], model.layers[2], model.layers[4], model.layers[6]
    kill(conv, [1, 4, 5])
    gamma, beta, mean, var = bn.get_weights()
    beta[[1, 4, 5]], mean[[1, 4, 5]] = 0, 0  # the dead channel stays 0 after normalizing
    bn.set_weights([gamma, beta, mean, var])
    kill(conv2, [0, 2, 5, 7])
    kill(dense, [3, 4, 5, 6, 7])
    small = prune_structured(model, 0.5)
    shapes = [w.shape for w in small.weights]
    assert shapes[:2] == [(3, 3, 2, 3), (3,)] and (3, 3, 3, 4) in shapes
    assert (5 * 5 * 4, 5) in shapes and (5, 3) in shapes
    images = np.random.default_rng(2).random((8, 12, 12, 2), dtype="float32")
    np.testing.assert_allclose(small.predict(images, verbose=0),
                               model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)


def test_the_lowest_norm_units_go_and_order_is_kept():
    kernel = np.array([[1.0, -5.0, 0.5, 2.0], [1.0, 0.0, -0.5, -2.0]], "float32")
    np.testing.assert_allclose(unit_scores(kernel, "l1"), [2, 5, 1, 4])
    np.testing.assert_allclose(unit_scores(kernel, "l2"), np.sqrt([2, 25, 0.5, 8]))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.layers[0].set_weights([kernel, np.arange(4, dtype="float32")])
    small = prune_structured(model, 0.5, norm="l2")
    np.testing.assert_array_equal(small.layers[0].kernel.numpy(), kernel[:, [1, 3]])
    np.testing.assert_array_equal(small.layers[0].bias.numpy(), [1, 3])
    np.testing.assert_array_equal(small.layers[1].kernel.numpy(),
                                  model.layers[1].kernel.numpy()[[1, 3]])


def test_sparsity_per_layer_and_the_output_layer_keeps_its_units():
    glassnet.seed(2)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(10, name="a"),
                              keras.layers.Dense(10, name="b"), keras.layers.Dense(3, name="c")])
    small = prune_structured(model, {"b": 0.3})
    assert [layer.units for layer in small.layers] == [10, 7, 3]
    assert [layer.units for layer in prune_structured(model, 0.9).layers] == [1, 1, 3]
    assert [layer.units for layer in model.layers] == [10, 10, 3]  # the original untouched


def test_a_branching_model_and_bad_arguments_are_refused():
    inputs = keras.Input((4,))
    a, b = keras.layers.Dense(3)(inputs), keras.layers.Dense(3)(inputs)
    branching = keras.Model(inputs, keras.layers.Add()([a, b]))
    with pytest.raises(ValueError, match="chain"):
        prune_structured(branching, 0.5)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"sparsity must be in range \[0,1\)"):
        prune_structured(model, 1.0)
    with pytest.raises(ValueError, match="norm"):
        prune_structured(model, 0.5, norm="l0")
    with pytest.raises(ValueError, match="does not have"):
        prune_structured(model, {"nope": 0.5})
    with pytest.raises(TypeError, match="Sequential or functional"):
        prune_structured(keras.layers.Dense(2), 0.5)


def test_a_layer_feeding_something_it_cannot_follow_is_left_whole():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8),
                              keras.layers.Reshape((2, 4)), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    small = prune_structured(model, 0.5)
    assert small.layers[0].units == 8
    assert small.count_params() == model.count_params()


def test_the_smaller_model_trains_and_saves(tmp_path):
    glassnet.seed(3)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2)])
    small = prune_structured(model, 0.5)
    small.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
    small.fit(x, (x[:, 0] > 0).astype("int64"), epochs=1, verbose=0)
    small.save(tmp_path / "small.keras")
    loaded = keras.models.load_model(tmp_path / "small.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), small.predict(x, verbose=0))


def test_sparsity_is_checked_even_when_no_layer_is_prunable():
    from glassnet import keras
    from glassnet.compress import prune_structured

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])  # the output stays
    with pytest.raises(ValueError, match=r"sparsity must be in range \[0,1\). Received: "
                                         r"sparsity=1.5"):
        prune_structured(model, 1.5)
