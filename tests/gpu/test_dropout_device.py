"""Dropout on the GPU: the mask is drawn on the device (the host generator's GPU twin), the
output and gradient stay there, the share of dropped elements matches the rate, and a seeded
run draws the same masks again. Runs on the stand-in for CuPy or a real GPU
(GLASSNET_TEST_DEVICE).

The GPU draws other numbers than the host (a GPU generator differs), so these tests check the
device's masks against themselves and against the rate, never against the CPU's."""

from __future__ import annotations

import numpy as np
import pytest
import standin
from helpers import TEST_DEVICE, device_block

import glassnet as gn
from glassnet import backend

pytestmark = pytest.mark.skipif(not TEST_DEVICE,
                                reason="GLASSNET_TEST_DEVICE=none: device checks are off")


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _no_transfers():
    """On the stand-in: no copy between host and device may happen (a real GPU has no
    counter; there the check is that results stay on the device)."""
    return standin.no_transfers() if TEST_DEVICE == "standin" else _Nothing()


def _on_gpu(array):
    with gn.device("gpu"):
        return gn.tensor(array, requires_grad=True)


def _kept(t):
    """The host bool array of the elements dropout kept (x is all ones: kept ones are > 0)."""
    return backend.to_host(t.data) != 0


def test_mask_output_and_gradient_stay_on_the_device():
    rate = 0.4
    x = np.random.default_rng(0).uniform(0.5, 2.0, (6, 7)).astype(np.float32)
    with device_block():
        t = _on_gpu(x)
        with gn.device("gpu"):
            g = gn.tensor(np.ones_like(x))
        with _no_transfers():
            y = gn.dropout(t, rate, generator=np.random.default_rng(3))
            y.backward(g)
        assert backend.on_device(y.data), f"the output left the GPU: {type(y.data)}"
        assert backend.on_device(t.grad), f"the gradient left the GPU: {type(t.grad)}"
        out, grad = backend.to_host(y.data), backend.to_host(t.grad)
        keep = out != 0
        scale = np.float32(1 / (1 - rate))
        np.testing.assert_allclose(out[keep], x[keep] * scale, rtol=1e-6)
        # the gradient is the mask itself: scale where kept, 0 where dropped
        np.testing.assert_allclose(grad, keep * scale, rtol=1e-6)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropped_share_matches_the_rate(rate):
    n = 200_000
    with device_block():
        y = gn.dropout(_on_gpu(np.ones(n, np.float32)), rate, generator=np.random.default_rng(1))
        kept = _kept(y)
        # the share dropped is Binomial(n, rate) / n: within 5 standard deviations
        sigma = np.sqrt(rate * (1 - rate) / n)
        assert abs((1 - kept.mean()) - rate) < 5 * sigma
        # inverted scaling keeps the mean: E[y] = x = 1
        mean = backend.to_host(y.data).mean()
        assert abs(mean - 1) < 5 * sigma / (1 - rate)


def test_a_seeded_run_draws_the_same_masks_again():
    x = np.ones((50, 40), np.float32)
    with device_block():
        def two_draws(seed):
            gn.seed(seed)
            t = _on_gpu(x)
            return _kept(gn.dropout(t, 0.5)), _kept(gn.dropout(t, 0.5))

        first, second = two_draws(7)
        again_first, again_second = two_draws(7)
        np.testing.assert_array_equal(first, again_first)
        np.testing.assert_array_equal(second, again_second)
        assert (first != second).any(), "two draws in one run gave the same mask"
        other, _ = two_draws(8)
        assert (first != other).any(), "another seed gave the same mask"


def test_a_fresh_generator_with_one_seed_draws_one_mask():
    x = np.ones((30, 30), np.float32)
    with device_block():
        masks = [_kept(gn.dropout(_on_gpu(x), 0.3, generator=np.random.default_rng(11)))
                 for _ in range(2)]
        np.testing.assert_array_equal(masks[0], masks[1])


def test_noise_shape_drops_whole_rows_on_the_device():
    x = np.ones((64, 9), np.float32)
    with device_block():
        y = gn.dropout(_on_gpu(x), 0.5, generator=np.random.default_rng(2),
                       noise_shape=(None, 1))
        assert backend.on_device(y.data)
        kept = _kept(y)
        assert (kept.all(axis=1) | ~kept.any(axis=1)).all(), "a row was partly dropped"
        assert 0 < kept[:, 0].sum() < 64


def test_inference_returns_the_input_on_the_device():
    with device_block():
        t = _on_gpu(np.ones((3, 4), np.float32))
        assert gn.dropout(t, 0.5, training=False) is t


def test_attention_dropout_is_drawn_on_the_device_and_seeded():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 3), (2, 5, 3),
                                                                    (2, 5, 2)))
    with device_block():
        def run(seed):
            gn.seed(seed)
            tq, tk, tv = _on_gpu(q), _on_gpu(k), _on_gpu(v)
            with gn.device("gpu"):
                upstream = gn.tensor(np.ones((2, 4, 2), np.float32))
            with _no_transfers():
                out = gn.scaled_dot_product_attention(tq, tk, tv, dropout_p=0.3)
                out.backward(upstream)
            assert backend.on_device(out.data) and backend.on_device(tq.grad)
            return backend.to_host(out.data)

        np.testing.assert_array_equal(run(4), run(4))
