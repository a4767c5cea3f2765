import math

import numpy as np
import pytest
import torch
from helpers import check_broadcast_gradients, check_op

import glassnet as gn
from glassnet.autograd.ops.exponential import (
    copysign,
    erf,
    erfinv,
    expm1,
    lerp,
    log1p,
    log2,
    log10,
    logaddexp,
    reciprocal,
    rsqrt,
    square,
)

SHAPES = [(), (1,), (7,), (3, 5), (2, 1, 3)]

# name: (glassnet, torch, domain low, domain high)
UNARY = {
    "log2": (log2, torch.log2, 0.2, 3.0),
    "log10": (log10, torch.log10, 0.2, 3.0),
    "log1p": (log1p, torch.log1p, -0.8, 3.0),
    "expm1": (expm1, torch.expm1, -2.0, 2.0),
    "square": (square, torch.square, -2.0, 2.0),
    "rsqrt": (rsqrt, torch.rsqrt, 0.3, 3.0),
    "reciprocal": (reciprocal, torch.reciprocal, 0.3, 3.0),
    "reciprocal_negative": (reciprocal, torch.reciprocal, -3.0, -0.3),
    "erf": (erf, torch.erf, -2.5, 2.5),
    "erfinv": (erfinv, torch.erfinv, -0.9, 0.9),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", SHAPES)
def test_unary(name, shape):
    ours, theirs, low, high = UNARY[name]
    check_op(ours, theirs, [shape], low=low, high=high)


BINARY_SHAPES = [((), ()), ((7,), (7,)), ((3, 4), (4,)), ((2, 1), (1, 3))]


@pytest.mark.parametrize("shapes", BINARY_SHAPES)
def test_logaddexp(shapes):
    check_op(logaddexp, torch.logaddexp, shapes, low=-3.0, high=3.0)


def test_logaddexp_is_stable():
    a = gn.tensor([1000.0, -1000.0, 0.0], requires_grad=True)
    b = gn.tensor([1000.0, -1000.0, -1000.0], requires_grad=True)
    y = logaddexp(a, b)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [1000.0 + math.log(2), -1000.0 + math.log(2), 0.0],
                               rtol=1e-6)
    np.testing.assert_allclose(a.grad, [0.5, 0.5, 1.0])
    np.testing.assert_allclose(b.grad, [0.5, 0.5, 0.0])


@pytest.mark.parametrize("shapes", BINARY_SHAPES)
def test_copysign(shapes):
    check_op(copysign, torch.copysign, shapes, kinks=(0.0,))


def test_copysign_gradient_at_zero_is_zero_like_torch():
    x = np.array([0.0, 1.5, -2.0], np.float32)
    s = np.array([-1.0, -1.0, 3.0], np.float32)
    t = gn.tensor(x, requires_grad=True)
    copysign(t, s).sum().backward()
    tt = torch.tensor(x, requires_grad=True)
    torch.copysign(tt, torch.tensor(s)).sum().backward()
    np.testing.assert_array_equal(t.grad, tt.grad.numpy())


LERP_SHAPES = [((), (), ()), ((5,), (5,), (5,)), ((3, 4), (4,), (3, 1)), ((2, 1), (1, 3), ())]


@pytest.mark.parametrize("shapes", LERP_SHAPES)
def test_lerp_tensor_weight(shapes):
    check_op(lerp, torch.lerp, shapes, low=-1.0, high=1.5, kinks=(0.5, -0.5))


@pytest.mark.parametrize("weight", [0.25, 0.75, 2.0])
def test_lerp_number_weight(weight):
    check_op(lambda s, e: lerp(s, e, weight), lambda s, e: torch.lerp(s, e, weight),
             [(3, 4), (4,)])


def test_lerp_is_exact_at_the_ends():
    s, e = np.array([0.1, -3.0], np.float32), np.array([7.3, 1e7], np.float32)
    np.testing.assert_array_equal(lerp(s, e, 0.0).numpy(), s)
    np.testing.assert_array_equal(lerp(s, e, 1.0).numpy(), e)


@pytest.mark.parametrize("op", [logaddexp, copysign, lambda a, b: lerp(a, b, 0.3)])
def test_broadcasting_binary_finite_differences(op):
    check_broadcast_gradients(op)


def test_erf_matches_math_erf_in_float64():
    x = np.concatenate([np.linspace(-8.0, 8.0, 40001), [0.0, 1e-300, 0.46875, 4.0, 30.0]])
    ours = erf(gn.tensor(x, dtype=np.float64)).numpy()
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=1e-16)


def test_erf_edges():
    y = erf(gn.tensor([np.inf, -np.inf, np.nan, 0.0], dtype=np.float64)).numpy()
    np.testing.assert_array_equal(y[:2], [1.0, -1.0])
    assert np.isnan(y[2]) and y[3] == 0.0


def test_erfinv_inverts_erf_in_float64():
    y = np.linspace(-3.0, 3.0, 6001)
    p = np.array([math.erf(v) for v in y])
    np.testing.assert_allclose(erfinv(gn.tensor(p, dtype=np.float64)).numpy(), y,
                               rtol=1e-11, atol=1e-12)
    p = np.linspace(-0.999999, 0.999999, 20001)
    y = erfinv(gn.tensor(p, dtype=np.float64)).numpy()
    back = np.array([math.erf(v) for v in y])
    np.testing.assert_allclose(back, p, rtol=0, atol=1e-15)


def test_erfinv_near_one_matches_torch():
    x = np.array([0.99, 0.999, -0.9999, 1e-8, -1e-30], np.float32)
    np.testing.assert_allclose(erfinv(x).numpy(), torch.erfinv(torch.tensor(x)).numpy(),
                               rtol=2e-6)


def test_outside_the_domain_gives_nan_or_inf_like_torch():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0], np.float32)
    for ours, theirs in ((log2, torch.log2), (log10, torch.log10), (log1p, torch.log1p),
                         (rsqrt, torch.rsqrt), (reciprocal, torch.reciprocal),
                         (erfinv, torch.erfinv)):
        y = ours(gn.tensor(x)).numpy()
        np.testing.assert_allclose(y, theirs(torch.tensor(x)).numpy(), rtol=1e-6,
                                   err_msg=ours.__name__)


def test_numbers_and_arrays_are_accepted():
    np.testing.assert_allclose(square(3).numpy(), 9)
    np.testing.assert_allclose(reciprocal(4).numpy(), 0.25)
    np.testing.assert_allclose(erf(0.5).numpy(), math.erf(0.5))
    x = gn.tensor([0.5], dtype=np.float32)
    assert logaddexp(x, 2).dtype == np.float32
    assert lerp(0, x, 0.5).dtype == np.float32
    assert erf(x).dtype == np.float32 and erfinv(x).dtype == np.float32
