"""Models run Conv2D(relu) + MaxPooling2D(2) as one op (a rewrite of their graph), with the
same results."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import keras, kernels
from glassnet.nn.layer import trace_calls

L = keras.layers


@pytest.fixture
def fused_calls(monkeypatch):
    calls = []
    real = kernels.conv2d_relu_max_pool

    def spy(*args, **kwargs):
        calls.append(args[1].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(kernels, "conv2d_relu_max_pool", spy)
    return calls


def cnn(conv_kwargs=None, pool_kwargs=None):
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((12, 12, 2)),
        L.Conv2D(4, 3, **{"activation": "relu", **(conv_kwargs or {})}),
        L.MaxPooling2D(**{"pool_size": 2, **(pool_kwargs or {})}),
        L.Conv2D(6, 3, activation="relu", padding="same"),
        L.MaxPooling2D(),
        L.Flatten(), L.Dense(3)])


def test_a_sequential_cnn_runs_each_conv_relu_pool_pair_as_one_op(fused_calls):
    model = cnn()
    x = np.random.default_rng(0).standard_normal((5, 12, 12, 2)).astype(np.float32)
    fused_out = model(x)
    assert fused_calls == [(3, 3, 2, 4), (3, 3, 4, 6)]
    # the same layers called one by one
    h = gn.tensor(x)
    for layer in model.layers:
        h = layer(h)
    np.testing.assert_array_equal(fused_out.numpy(), h.numpy())


def test_fused_training_equals_training_layer_by_layer(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 12, 12, 2)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    weights = []
    for fuse in (True, False):
        if not fuse:
            monkeypatch.setattr("glassnet.train.fusion.conv_relu_pool", lambda a, b: False)
        model = cnn()
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=True))
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("conv_kwargs,pool_kwargs", [
    ({"activation": "tanh"}, {}),
    ({"activity_regularizer": "l2"}, {}),
    ({}, {"pool_size": 3}),
    ({}, {"strides": 1}),
    ({}, {"padding": "same"}),
], ids=["tanh", "activity-regularizer", "pool-3", "stride-1", "same-pool"])
def test_pairs_that_differ_run_layer_by_layer(fused_calls, conv_kwargs, pool_kwargs):
    model = cnn(conv_kwargs, pool_kwargs)
    model(np.zeros((2, 12, 12, 2), np.float32))
    assert fused_calls == [(3, 3, 4, 6)]  # only the second pair


def test_a_trace_of_layer_outputs_sees_every_layer(fused_calls):
    model = cnn()
    with trace_calls() as calls:
        model(np.zeros((2, 12, 12, 2), np.float32))
    assert fused_calls == []
    assert [layer.name for layer, _ in calls][:2] == [layer.name for layer in model.layers[:2]]


def test_the_layers_keep_their_own_outputs_for_functional_use():
    model = cnn()
    features = keras.Model(model.input, model.layers[0].output)
    assert features(np.zeros((1, 12, 12, 2), np.float32)).shape == (1, 10, 10, 4)


def test_a_functional_model_fuses_a_conv_read_only_by_its_pool(fused_calls):
    inputs = keras.Input((12, 12, 2))
    pooled = L.MaxPooling2D()(L.Conv2D(4, 3, activation="relu")(inputs))
    conv2 = L.Conv2D(4, 3, activation="relu", padding="same")(pooled)
    both = L.Concatenate()([L.MaxPooling2D()(conv2), L.AveragePooling2D()(conv2)])
    model = keras.Model(inputs, L.Dense(2)(L.Flatten()(both)))
    x = np.random.default_rng(0).standard_normal((3, 12, 12, 2)).astype(np.float32)
    out = model(x)
    assert fused_calls == [(3, 3, 2, 4)]  # conv2 has two readers: run layer by layer
    h = x
    for layer in model.layers[1:3]:
        h = layer(h)
    c = model.layers[3](h)
    h = model.layers[-3]([model.layers[4](c), model.layers[5](c)])
    expected = model.layers[-1](model.layers[-2](h))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_a_conv_output_that_is_a_model_output_is_not_fused(fused_calls):
    inputs = keras.Input((12, 12, 2))
    conv = L.Conv2D(4, 3, activation="relu")(inputs)
    model = keras.Model(inputs, [conv, L.MaxPooling2D()(conv)])
    features, pooled = model(np.ones((1, 12, 12, 2), np.float32))
    assert fused_calls == [] and features.shape == (1, 10, 10, 4) and pooled.shape == (1, 5, 5, 4)
