import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_inverted_scaling(rate):
    gn.seed(0)
    x = gn.ones(200, 500, requires_grad=True)
    y = gn.dropout(x, rate)
    values = y.numpy()
    kept = values != 0
    # Kept elements are scaled by 1 / (1 - rate), so the expectation is unchanged.
    np.testing.assert_allclose(values[kept], 1 / (1 - rate), rtol=1e-6)
    assert abs((~kept).mean() - rate) < 0.01
    assert abs(values.mean() - 1.0) < 0.02
    upstream = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    y.backward(upstream)
    np.testing.assert_allclose(x.grad, upstream * values, rtol=1e-6)


def test_dropout_is_identity_when_not_training_or_rate_zero():
    x = gn.randn(3, 4, requires_grad=True)
    assert gn.dropout(x, 0.5, training=False) is x
    assert gn.dropout(x, 0.0) is x


def test_dropout_is_reproducible_with_a_seed():
    gn.seed(3)
    a = gn.dropout(gn.ones(50), 0.5).numpy()
    gn.seed(3)
    b = gn.dropout(gn.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    c = gn.dropout(gn.ones(50), 0.5, generator=np.random.default_rng(3)).numpy()
    assert c.shape == (50,)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "half"])
def test_dropout_rejects_rates_outside_0_1(rate):
    with pytest.raises(ValueError, match=r"dropout: expected 0 <= rate < 1. Received: rate="):
        gn.dropout(gn.ones(3), rate)


def test_dropout_through_the_op_checker():
    # A generator seeded afresh on each call draws the same mask every time, so the op is a
    # fixed function of x that torch can reproduce and finite differences can probe.
    shape, rate = (6, 5), 0.4
    keep = np.random.default_rng(11).random(shape, dtype=np.float32) >= rate
    mask = torch.tensor(keep / (1 - rate), dtype=torch.float32)
    # device=False: a GPU draws other masks (tests/gpu/test_dropout_device.py checks them)
    check_op(lambda x: gn.dropout(x, rate, generator=np.random.default_rng(11)),
             lambda x: x * mask, [shape], device=False)
