"""max_pool3d and avg_pool3d against torch.nn.functional, forward and gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op, random_inputs

import glassnet as gn
from glassnet.autograd.ops.convolution import same_padding
from glassnet.autograd.ops.pooling3d import avg_pool3d, max_pool3d


def ncdhw(t):
    return t.permute(0, 4, 1, 2, 3)


def ndhwc(t):
    return t.permute(0, 2, 3, 4, 1)


def same_pads(shape, pool, strides):
    pads = [same_padding(n, k, s, 1) for n, k, s in zip(shape[1:4], pool, strides)]
    return tuple(v for pair in reversed(pads) for v in pair)


CASES = [  # x shape, pool, strides, padding
    ((2, 4, 4, 4, 2), (2, 2, 2), None, "valid"),
    ((1, 5, 4, 5, 2), (3, 2, 3), (2, 1, 2), "valid"),   # overlapping, odd sizes
    ((2, 5, 3, 4, 1), (2, 2, 2), (2, 2, 2), "same"),
    ((1, 4, 5, 3, 2), (3, 3, 2), (1, 2, 1), "same"),
]


@pytest.mark.parametrize("case", CASES)
def test_max_pool3d_matches_torch(case):
    shape, pool, strides, padding = case
    st = pool if strides is None else strides

    def theirs(x):
        x = ncdhw(x)
        if padding == "same":
            x = F.pad(x, same_pads(shape, pool, st), value=-float("inf"))
        return ndhwc(F.max_pool3d(x, pool, st))

    # Distinct values, so no window holds a tie and finite differences are exact.
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) / 10.0
    check_op(lambda x: max_pool3d(x, pool, strides, padding), theirs, [shape], arrays=[x])


@pytest.mark.parametrize("case", CASES)
def test_avg_pool3d_matches_torch(case):
    shape, pool, strides, padding = case
    st = pool if strides is None else strides

    def theirs(x):
        x = ncdhw(x)
        if padding == "valid":
            return ndhwc(F.avg_pool3d(x, pool, st))
        # Keras divides by the real values in a window: pool the sum and the count.
        pads = same_pads(shape, pool, st)
        total = F.avg_pool3d(F.pad(x, pads), pool, st, divisor_override=1)
        count = F.avg_pool3d(F.pad(torch.ones_like(x[:, :1]), pads), pool, st,
                             divisor_override=1)
        return ndhwc(total / count)

    check_op(lambda x: avg_pool3d(x, pool, strides, padding), theirs, [shape])


def test_max_pool3d_ties_go_to_the_first_maximum_and_no_grad_path():
    x = gn.tensor(np.ones((1, 2, 2, 2, 1), np.float32), requires_grad=True)
    max_pool3d(x).sum().backward()
    assert x.grad.ravel().tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    (a,) = random_inputs([(2, 4, 4, 4, 3)])
    with gn.no_grad():
        fast = max_pool3d(a.astype(np.float32), 2).numpy()
    np.testing.assert_array_equal(fast, a.astype(np.float32).reshape(
        2, 2, 2, 2, 2, 2, 2, 3).max(axis=(2, 4, 6)))


def test_pool3d_errors():
    with pytest.raises(ValueError, match=r"max_pool3d: expected 5-D input .* \(2, 4, 4, 1\)"):
        max_pool3d(np.zeros((2, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"avg_pool3d: pool_size must be a positive integer"):
        avg_pool3d(np.zeros((1, 4, 4, 4, 1)), (2, -1, 2))
    with pytest.raises(ValueError, match=r"padding must be 'valid' or 'same'"):
        avg_pool3d(np.zeros((1, 4, 4, 4, 1)), padding="causal")
    with pytest.raises(ValueError, match=r"a pool of 3x3x3 does not fit an input of 2x4x4"):
        max_pool3d(np.zeros((1, 2, 4, 4, 1)), 3)
