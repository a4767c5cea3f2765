"""``Layer.to(device)``: a layer moved to the GPU (before or after it is built) computes what
it computes on the CPU, keeps its weights, outputs and gradients there, and ``to("cpu")``
brings everything back. Runs on the stand-in for CuPy (or a real GPU) (GLASSNET_TEST_DEVICE)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DEVICE_ATOL, DEVICE_RTOL, TEST_DEVICE, device_block

import glassnet as gn
from glassnet import backend
from glassnet.nn import layers as L

pytestmark = pytest.mark.skipif(not TEST_DEVICE,
                                reason="GLASSNET_TEST_DEVICE=none: device checks are off")

CASES = {
    "dense": (lambda: L.Dense(3, activation="relu"), (4, 5)),
    "conv2d": (lambda: L.Conv2D(2, 3, padding="same"), (2, 6, 6, 3)),
    "lstm": (lambda: L.LSTM(4, return_sequences=True), (2, 5, 3)),
    "batch_norm": (lambda: L.BatchNormalization(), (6, 4)),
}


def _input(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _same(a, b):
    np.testing.assert_allclose(backend.to_host(a), backend.to_host(b), rtol=DEVICE_RTOL,
                               atol=DEVICE_ATOL)


def _run(layer, x, training):
    """Output and gradients (input, trainable weights) of one call, all as they come."""
    t = gn.tensor(x, requires_grad=True)
    if backend.on_device(layer.weights[0].data):
        t = gn.tensor(backend.to_device(x, "gpu"), requires_grad=True)
    for p in layer.trainable_weights:
        p.grad = None
    out = layer(t, training=training)
    out.backward(gn.ones_like(out))
    return out, [t.grad] + [p.grad for p in layer.trainable_weights]


def _assert_on(layer, gpu):
    assert layer.weights, "the layer has no weights to check"
    for w in layer.weights:
        assert backend.on_device(w.data) is gpu, f"{w.name} on {backend.device_of(w.data)}"


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("built_first", [True, False], ids=["after_build", "before_build"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_to_gpu_matches_cpu(case, built_first, training):
    make, shape = CASES[case]
    x = _input(shape)
    with device_block():
        ref = make()
        ref(x)  # build on the CPU
        layer = make()
        if built_first:
            layer(x)
            assert layer.to("gpu") is layer
        else:
            assert layer.to("gpu") is layer
            assert not layer.built
            layer(x)  # built lazily: its weights are made on the GPU
        _assert_on(layer, True)
        layer.set_weights(ref.get_weights())
        _assert_on(layer, True)
        assert all(type(w) is np.ndarray for w in layer.get_weights())

        out, grads = _run(layer, x, training)
        ref_out, ref_grads = _run(ref, x, training)
        assert backend.on_device(out.data)
        _same(out.data, ref_out.data)
        for g, r in zip(grads, ref_grads):
            assert g is not None and backend.on_device(g)
            _same(g, r)
        # state updated by a training call (BatchNormalization's moving statistics) stays
        # on the GPU and equals the CPU's
        _assert_on(layer, True)
        for w, r in zip(layer.weights, ref.weights):
            _same(w.data, r.data)

        # a host NumPy input is placed on the layer's device
        assert backend.on_device(layer(x).data)

        assert layer.to("cpu") is layer
        _assert_on(layer, False)
        for p in layer.trainable_weights:
            assert p.grad is None or type(p.grad) is np.ndarray
        back = layer(x, training=False)
        assert type(back.data) is np.ndarray
        np.testing.assert_array_equal(back.numpy(), ref(x, training=False).numpy())


def test_to_moves_sublayers_and_builds_them_there():
    x = _input((3, 4))
    with device_block():
        model = gn.keras.Sequential([L.Dense(5), L.Dense(2)])
        model.to("gpu")
        y = model(x)
        assert backend.on_device(y.data)
        _assert_on(model, True)
        for layer in model.layers:
            _assert_on(layer, True)
        model.to("cpu")
        _assert_on(model, False)
        assert type(model(x).data) is np.ndarray


def test_to_accepts_other_spellings_and_rejects_bad_ones():
    with device_block():
        layer = L.Dense(2)
        layer(_input((1, 3)))
        for spec in ("cuda", "/GPU:0", "gpu:0"):
            layer.to(spec)
            _assert_on(layer, True)
        layer.to("/device:CPU:0")
        _assert_on(layer, False)
        with pytest.raises(ValueError):
            layer.to("tpu")
