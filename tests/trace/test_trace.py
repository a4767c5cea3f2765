"""trace: one recorded step equals train_on_batch; the chain rule's arrays equal autograd."""

import json

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.trace import Trace, trace


def make(units=(2, 1), activations=("sigmoid", None), n_in=2, optimizer=None, loss="mse",
         seed=0):
    keras.utils.set_random_seed(seed)
    layers = [keras.layers.Dense(u, activation=a) for u, a in zip(units, activations)]
    model = keras.Sequential([keras.Input((n_in,)), *layers])
    if optimizer is not None:
        model.compile(optimizer=optimizer(), loss=loss)
    return model


def data(n=4, n_in=2, n_out=1, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)).astype("float32"), \
        rng.standard_normal((n, n_out)).astype("float32")


def autograd_grads(model, x, y, loss="mse"):
    fn = keras.losses.get(loss)
    with glassnet.GradientTape() as tape:
        value = fn(y, model(x, training=True))
    return [np.asarray(g) for g in tape.gradient(value, model.trainable_weights)]


def assert_same_weights(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(learning_rate=0.5),
    "momentum": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "nesterov": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_two_steps_equal_train_on_batch(name):
    x, y = data()
    traced, fitted = make(optimizer=OPTIMIZERS[name]), make(optimizer=OPTIMIZERS[name])
    for _ in range(2):  # the second step uses the optimizer's state (m, v, t = 2)
        t = trace(traced, x, y)
        loss = fitted.train_on_batch(x, y)
        assert t.loss == pytest.approx(loss, rel=1e-5)
        assert_same_weights(traced, fitted)
        for u in t.updates:  # the written-out rule gives what the optimizer wrote
            np.testing.assert_allclose(u["W_new"], u["applied"], rtol=1e-5, atol=1e-6)
    if name == "adam":
        assert t.updates[0]["t"] == 2 and {"m", "v", "m_hat", "v_hat", "step"} <= set(
            t.updates[0])


def test_gradients_equal_autograd_and_chain_rule_exact():
    model = make(units=(3, 3, 1), activations=("tanh", "relu", "sigmoid"), n_in=2)
    x, y = data(n=5)
    expected = autograd_grads(model, x, y)
    t = trace(model, x, y, loss="mse", optimizer="sgd", apply=False)
    recorded = [g for rec in t.layers for g in (rec["dL/dW"], rec["dL/db"])]
    for got, want in zip(recorded, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    for rec in t.layers:
        np.testing.assert_array_equal(rec["dL/dz"], rec["dL/da"] * rec["da/dz"])
        np.testing.assert_array_equal(rec["z"], rec["x"] @ rec["W"] + rec["b"])
    for upper, lower in zip(t.layers[1:], t.layers[:-1]):
        np.testing.assert_array_equal(upper["dL/dx"], lower["dL/da"])
        np.testing.assert_array_equal(upper["x"], lower["a"])
    sig = t.layers[-1]
    np.testing.assert_allclose(sig["da/dz"], sig["a"] * (1 - sig["a"]), rtol=1e-6)


def test_softmax_cross_entropy_10_10_2():
    def opt():
        return keras.optimizers.SGD(learning_rate=0.1)

    x, _ = data(n=6, n_in=10)
    y = np.eye(2, dtype="float32")[np.arange(6) % 2]
    kwargs = dict(units=(10, 2), activations=("relu", "softmax"), n_in=10, optimizer=opt,
                  loss="categorical_crossentropy")
    traced, fitted = make(**kwargs), make(**kwargs)
    t = trace(traced, x, y)
    fitted.train_on_batch(x, y)
    assert_same_weights(traced, fitted)
    top = t.layers[-1]
    assert top["da/dz"].shape == (6, 2, 2) and top["fused_loss"]
    # the fused (p - y) / N and the chain rule through the softmax Jacobian agree
    np.testing.assert_allclose(top["dL/dz"], (top["a"] - y) / 6, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.einsum("nj,njk->nk", top["dL/da"], top["da/dz"]),
                               top["dL/dz"], rtol=1e-4, atol=1e-6)


def test_apply_false_leaves_model_and_optimizer():
    model = make(optimizer=OPTIMIZERS["adam"])
    before = [w.copy() for w in model.get_weights()]
    x, y = data()
    t = trace(model, x, y, apply=False)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations) == 0 and not t.applied


def test_text_markdown_and_dict():
    model = make(optimizer=OPTIMIZERS["sgd"])
    x, y = data()
    t = trace(model, x, y)
    assert isinstance(t, Trace)
    text = str(t)
    for rec in t.layers:
        assert f"'{rec['name']}'" in text
    assert f"{t.loss:.6g}" in text and "dL/dz = dL/da * da/dz" in text
    assert "W_new = W - lr * dW" in text and "b_new = b - lr * db" in text
    md = t.to_markdown()
    assert sum(line.startswith("|---|") for line in md.splitlines()) == 3
    assert t.layers[0]["name"] in md
    d = json.loads(json.dumps(t.to_dict()))
    assert d["loss"] == pytest.approx(t.loss) and len(d["layers"]) == 2
    assert np.allclose(d["layers"][0]["dL/dW"], t.layers[0]["dL/dW"])


def test_bad_input():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2),
                              keras.layers.Dropout(0.5, name="drop"), keras.layers.Dense(1)])
    x, y = data()
    with pytest.raises(ValueError, match="layer 'drop' is a Dropout"):
        trace(model, x, y, loss="mse")
    with pytest.raises(ValueError, match="no loss"):
        trace(make(), x, y)
    with pytest.raises(ValueError, match="same number of samples"):
        trace(make(), x, y[:3], loss="mse")
    with pytest.raises(ValueError, match="2-D batch"):
        trace(make(), x[:, :, None], y, loss="mse")


def test_regularized_sparse_softmax_equals_train_on_batch():
    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([
            keras.Input((3,)), keras.layers.Dense(4, activation="relu", kernel_regularizer="l2"),
            keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=keras.optimizers.SGD(0.3),
                      loss="sparse_categorical_crossentropy")
        return model

    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    y = np.array([0, 1, 2, 1, 0])
    traced, fitted = build(), build()
    t = trace(traced, x, y)
    fitted.train_on_batch(x, y)
    assert_same_weights(traced, fitted)
    first = t.layers[0]
    assert first["dR/dW"] is not None and "dR/dW" in str(t)
    for u, g in zip(t.updates, [r[k] for r in t.layers for k in ("dL/dW", "dL/db")]):
        np.testing.assert_allclose(u["dW"], g, rtol=1e-5, atol=1e-6)


def test_rejects_non_sequential():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    with pytest.raises(ValueError, match="expected a Sequential.*received Functional|"
                                         "expected a Sequential.*received Model"):
        trace(model, *data(), loss="mse")
    with pytest.raises(ValueError, match="expected a Sequential"):
        trace("model", *data(), loss="mse")
