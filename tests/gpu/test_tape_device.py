"""``GradientTape`` on GPU tensors: ``gradient``, ``jacobian`` and ``batch_jacobian`` equal the
CPU's, and their results (seeds, zeros for unconnected sources, stacked Jacobians) stay on the
GPU. Runs on the stand-in for CuPy (or a real GPU) (GLASSNET_TEST_DEVICE)."""

from __future__ import annotations

import numpy as np
import pytest
import standin
from helpers import DEVICE_ATOL, DEVICE_RTOL, TEST_DEVICE, device_block

import glassnet as gn
from glassnet import backend
from glassnet.autograd.tape import GradientTape
from glassnet.autograd.variable import Variable

pytestmark = pytest.mark.skipif(not TEST_DEVICE,
                                reason="GLASSNET_TEST_DEVICE=none: device checks are off")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 2)).astype(np.float32)
W = RNG.normal(size=(2, 4)).astype(np.float32)
U = RNG.normal(size=(2, 2)).astype(np.float32)
G = RNG.normal(size=(3, 4)).astype(np.float32)


def _same(got, want):
    assert backend.on_device(got.data), f"the result left the GPU: {type(got.data)}"
    np.testing.assert_allclose(backend.to_host(got.data), backend.to_host(want.data),
                               rtol=DEVICE_RTOL, atol=DEVICE_ATOL)


def _no_transfers():
    """On the stand-in: no copy between host and device may happen (a real GPU has no
    counter; there the check is that results stay on the device)."""
    if TEST_DEVICE == "standin":
        return standin.no_transfers()
    return _Nothing()


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _run(gpu, output_gradients=None):
    """gradient, jacobian and batch_jacobian of y = tanh(x @ w) (and an unused u), on the
    CPU or on the GPU; the output gradients, if any, are given as host arrays."""
    def make():
        return (gn.tensor(X), Variable(W), gn.tensor(U), gn.tensor(G))

    if gpu:
        with gn.device("gpu"):
            x, w, u, g = make()
    else:
        x, w, u, g = make()
    with GradientTape(persistent=True) as tape:
        tape.watch([x, u])
        y = gn.tanh(x @ w)
        loss = (y * y).sum()
    out = {}
    with _no_transfers() if gpu else _Nothing():
        out["grad"] = tape.gradient(loss, [x, w])
        out["weighted"] = tape.gradient(y, [x, w], output_gradients=g)
        out["zeros"] = tape.gradient(loss, [u], unconnected_gradients="zero")
        out["jacobian"] = tape.jacobian(y, [w, u], unconnected_gradients="zero")
        out["batch_jacobian"] = tape.batch_jacobian(y, x)
    # a host array as the output gradient of a GPU target is copied beside it
    out["host_seed"] = tape.gradient(y, [x], output_gradients=G)
    return out


def test_tape_on_device_matches_cpu():
    cpu = _run(gpu=False)
    with device_block():
        gpu = _run(gpu=True)
        for key in cpu:
            gots, wants = gpu[key], cpu[key]
            if key == "batch_jacobian":
                gots, wants = [gots], [wants]
            assert len(gots) == len(wants)
            for got, want in zip(gots, wants):
                _same(got, want)
        assert gpu["jacobian"][0].shape == (3, 4, 2, 4)
        assert gpu["batch_jacobian"].shape == (3, 4, 2)
        assert float(np.abs(backend.to_host(gpu["zeros"][0].data)).sum()) == 0


def test_batch_jacobian_of_an_unconnected_source_is_zeros_on_device():
    with device_block(), gn.device("gpu"):
        x, z = gn.tensor(X), gn.tensor(X)
        with GradientTape() as tape:
            tape.watch([x, z])
            y = gn.tanh(x @ gn.tensor(W))
        with _no_transfers():
            bj = tape.batch_jacobian(y, z, unconnected_gradients="zero")
        assert backend.on_device(bj.data) and bj.shape == (3, 4, 2)
        assert float(np.abs(backend.to_host(bj.data)).sum()) == 0
