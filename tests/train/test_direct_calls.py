"""Graphs call built-in layers straight to ``layer.call`` (and, without gradients, on the
arrays), with the same results as ``Layer.__call__`` gives, bit for bit; anything the
general call handles (masks, regularizers, traces, subclasses) still goes through it."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import keras
from glassnet.nn.layer import trace_calls
from glassnet.train import direct_calls
from glassnet.train.direct_calls import DirectStep

L = keras.layers


def mlp(**dense):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4, 7)), L.Flatten(),
                             L.Dense(16, activation="relu", **dense), L.Dropout(0.5),
                             L.Dense(5, activation="softmax")])


def layer_by_layer(model, x, training=None):
    h = gn.tensor(x)
    for layer in model.layers:
        h = layer(h, training=training)
    return h


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((3, 4, 7)).astype(np.float32)


def test_each_builtin_layer_call_is_a_direct_step():
    steps = mlp()._graph.steps
    assert [type(s) for s in steps] == [DirectStep] * 4


@pytest.mark.parametrize("mode", ["grad", "no_grad", "predict"])
def test_outputs_equal_the_general_calls_bit_for_bit(x, mode):
    model = mlp()
    expected = layer_by_layer(model, x).numpy()
    if mode == "grad":
        got = model(x).numpy()
    elif mode == "no_grad":
        with gn.no_grad():
            got = model(x).numpy()
    else:
        got = model.predict_on_batch(x)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float32


def test_without_gradients_the_result_is_a_fresh_array_each_call(x):
    model = mlp()
    first = model.predict_on_batch(x)
    second = model.predict_on_batch(x + 1)
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, model.predict_on_batch(x))


def test_gradients_equal_the_general_calls(x):
    model = mlp()
    grads = []
    for direct in (True, False):
        for w in model.trainable_weights:
            w.grad = None
        out = model(x) if direct else layer_by_layer(model, x)
        (out * gn.tensor(np.arange(15.0, dtype=np.float32).reshape(3, 5))).sum().backward()
        grads.append([w.grad.copy() for w in model.trainable_weights])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_training_still_drops_out(x):
    model = mlp()
    a = model(x, training=True).numpy()
    b = model(x, training=False).numpy()
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(b, layer_by_layer(model, x, training=False).numpy())


def test_each_direct_call_still_checks_its_input(x, monkeypatch):
    checked = []
    real = L.Dense.check_input
    monkeypatch.setattr(L.Dense, "check_input", lambda self, inputs: checked.append(
        (self.name, inputs.shape)) or real(self, inputs))
    model = mlp()
    model(x)
    assert [shape for _, shape in checked] == [(3, 28), (3, 16)]


@pytest.mark.parametrize("gradients", [True, False])
def test_an_input_that_does_not_fit_is_named_by_the_layer(gradients):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([L.Dense(4, activation="relu"), L.Dense(2, name="head")])
    model(np.ones((1, 3), np.float32))  # built for 3 features, no Input layer to check
    with pytest.raises(ValueError, match="Dense 'dense.*expected 3 input features"):
        if gradients:
            model(np.ones((1, 5), np.float32))
        else:
            model.predict_on_batch(np.ones((1, 5), np.float32))


def test_an_activity_regularizer_set_later_is_still_applied(x):
    model = mlp()
    model(x)
    model.layers[1].activity_regularizer = keras.regularizers.L2(0.1)
    model(x)
    assert len(model.losses) == 1 and float(model.losses[0].numpy()) > 0


def test_a_subclass_of_a_builtin_layer_keeps_the_general_call(x):
    class Scaled(L.Dense):
        def call(self, inputs):
            self.add_loss(gn.tensor(1.0))
            return super().call(inputs) * 2

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((7,)), Scaled(3)])
    assert type(model._graph.steps[0]) is not DirectStep
    model(x[:, 0])
    assert len(model.losses) == 1


def test_masks_and_traces_go_through_the_general_call():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), L.Embedding(10, 4, mask_zero=True),
                              L.Dense(3), L.GlobalAveragePooling1D()])
    tokens = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]])
    h = model.layers[1](model.layers[0](tokens))
    assert h._keras_mask is not None  # the Dense passed the mask on
    np.testing.assert_allclose(model.predict_on_batch(tokens),
                               model.layers[2](h).numpy(), rtol=1e-6)
    plain = mlp()
    with trace_calls() as calls:
        plain(np.zeros((1, 4, 7), np.float32))
    assert [layer.name for layer, _ in calls if layer is not plain] == [
        layer.name for layer in plain.layers]


def test_a_dense_with_another_activation_computes_through_its_ops(x):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((7,)), L.Dense(3, activation="tanh")])
    assert direct_calls._IN_PLACE.get(model.layers[0].activation) is None
    np.testing.assert_array_equal(model.predict_on_batch(x[:, 0]),
                                  model.layers[0](gn.tensor(x[:, 0])).numpy())
