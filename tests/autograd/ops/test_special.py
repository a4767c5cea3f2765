import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.special import digamma, lgamma


def test_lgamma_against_torch_and_finite_differences():
    check_op(lgamma, torch.lgamma, [(40,)], low=0.1, high=12.0)
    # the reflected side, away from the poles 0, -1, -2, ...
    check_op(lgamma, torch.lgamma, [(40,)], low=-3.9, high=0.4,
             kinks=(0.0, -1.0, -2.0, -3.0), seed=2)


def test_digamma_and_lgamma_are_accurate_in_float64():
    x = np.concatenate([np.linspace(0.05, 30, 300), np.linspace(-3.9, 0.45, 300), [1e3, 1e5]])
    x = x[np.abs(x - np.round(x)) > 0.02]
    t = gn.tensor(x, dtype="float64")
    for ours, theirs in [(digamma, torch.digamma), (lgamma, torch.lgamma)]:
        expected = theirs(torch.tensor(x)).numpy()
        err = np.abs(ours(t).numpy() - expected) / np.maximum(1.0, np.abs(expected))
        assert err.max() < 1e-12


def test_poles_as_torch():
    x = np.array([0.0, -1.0, -2.0])
    np.testing.assert_array_equal(lgamma(x).numpy(), [np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(digamma(x).numpy(), [-np.inf, np.nan, np.nan])
    assert lgamma(np.array([1.0, 2.0])).numpy() == pytest.approx([0.0, 0.0], abs=1e-6)
    assert float(gn.math.lgamma(3.0)) == pytest.approx(np.log(2.0))  # tf.math has both
    assert float(gn.math.digamma(1.0)) == pytest.approx(-0.5772157)
