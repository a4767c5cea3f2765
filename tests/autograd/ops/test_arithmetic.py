import numpy as np
import pytest
import torch
from helpers import check_op
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import glassnet as gn

BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 5), (3, 1)),
    ((1,), (2, 3)),
    ((), (3, 2)),
    ((5, 1, 3), (1, 7, 1)),
]

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "functional_add": (gn.add, torch.add),
    "functional_sub": (gn.sub, torch.sub),
    "functional_mul": (gn.mul, torch.mul),
    "functional_div": (gn.div, torch.div),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS)
def test_binary_broadcasting(name, shapes):
    ours, theirs = BINARY[name]
    # Divisors are kept away from 0, where the quotient's gradient blows up.
    check_op(ours, theirs, shapes, low=0.5, high=2.0)
    check_op(lambda a, b: ours(a, b) * 1.0, lambda a, b: theirs(a, b) * 1.0, shapes[::-1],
             low=0.5, high=2.0, seed=3)


@settings(max_examples=25, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
def test_binary_broadcasting_drawn(shapes):
    for name in ("add", "sub", "mul", "div"):
        ours, theirs = BINARY[name]
        check_op(ours, theirs, shapes.input_shapes, low=0.5, high=2.0)


@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5), (2, 1, 3)])
def test_neg_and_reflected_scalars(shape):
    check_op(lambda x: -x, lambda x: -x, [shape])
    check_op(lambda x: 2 - x, lambda x: 2 - x, [shape])
    check_op(lambda x: 1 / x, lambda x: 1 / x, [shape], low=0.5, high=2.0)
    check_op(lambda x: 3 + x * 0.5, lambda x: 3 + x * 0.5, [shape])
    check_op(lambda x: 2**x, lambda x: 2**x, [shape])
    check_op(gn.neg, torch.neg, [shape])


@pytest.mark.parametrize("p", [2, 3, 0.5, -1.5, 0])
def test_pow_scalar_exponent(p):
    check_op(lambda x: x**p, lambda x: x**p, [(3, 4)], low=0.5, high=2.0)
    check_op(lambda x: gn.pow(x, p), lambda x: torch.pow(x, p), [(5,)], low=0.5, high=2.0)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1), (3,))])
def test_pow_tensor_exponent(shapes):
    check_op(lambda a, b: a**b, lambda a, b: a**b, shapes, low=0.5, high=2.0)


def test_pow_tensor_exponent_limits_match_torch():
    a = np.array([0.0, 0.0, 2.0, 3.0], np.float32)
    b = np.array([0.0, 2.0, 0.0, 1.0], np.float32)
    ga, gb = gn.tensor(a, requires_grad=True), gn.tensor(b, requires_grad=True)
    (ga**gb).sum().backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ta**tb).sum().backward()
    np.testing.assert_allclose(ga.grad, ta.grad.numpy())
    np.testing.assert_allclose(gb.grad, tb.grad.numpy())


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((1, 4), (4, 1)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, shapes)
    check_op(gn.matmul, torch.matmul, shapes, seed=5)


def test_rmatmul_with_array():
    w = gn.tensor(np.ones((3, 2)), requires_grad=True)
    y = np.ones((4, 3), np.float32) @ w
    assert isinstance(y, gn.Tensor) and y.shape == (4, 2)
    y.sum().backward()
    np.testing.assert_allclose(w.grad, np.full((3, 2), 4.0))


@pytest.mark.parametrize("x_shape", [(5, 4), (1, 4), (2, 3, 4)])
def test_linear_fused(x_shape):
    ref = lambda x, w, b: torch.nn.functional.linear(x, w.T, b)  # noqa: E731
    check_op(gn.linear, ref, [x_shape, (4, 3), (3,)])
    check_op(lambda x, w: gn.linear(x, w), lambda x, w: x @ w, [x_shape, (4, 3)])


def test_linear_skips_gradients_nobody_needs():
    x = gn.randn(8, 4)
    w = gn.randn(4, 3, requires_grad=True)
    b = gn.zeros(3, requires_grad=True)
    gn.linear(x, w, b).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3) and b.grad.shape == (3,)


def test_scalar_operands_keep_float32():
    x = gn.ones(3)
    for y in (x * 2, x * 0.5, 2.5 - x, x / np.float64(3), x**2.0, 2.0**x, x + np.int64(1)):
        assert y.dtype == np.float32


def test_integer_and_float_tensors_combine_as_float():
    labels = gn.tensor([1, 2, 3])
    assert labels.dtype == np.int64
    assert (labels * 0.5).dtype == np.float32
    assert (labels + gn.ones(3)).dtype == np.float32
    assert (labels + 1).dtype == np.int64


def test_zero_base_pow_gradient_matches_torch():
    # 0 ** x is the constant 0 for x > 0: its gradient is 0 (the formula gives 0 * -inf)
    check_op(lambda x: 0 ** x, lambda x: 0 ** x, [(6,)], low=0.1, high=2.0)
    check_op(lambda x: 0.0 ** x, lambda x: 0.0 ** x, [(6,)], low=0.1, high=2.0)
    # at x = 0 (1, gradient 0) and x < 0 (inf, gradient -inf): no finite differences there
    edge = [np.array([0.0, -1.0, -0.5, 1.0, 2.5])]
    check_op(lambda x: 0 ** x, lambda x: 0 ** x, None, arrays=edge, fd=False)


def test_zero_base_tensor_pow_matches_torch_in_both_inputs():
    base = np.zeros(6)
    exponent = np.array([2.0, 1.0, 0.5, 0.0, -1.0, -0.5])
    check_op(lambda a, b: a**b, lambda a, b: a**b, None, arrays=[base, exponent], fd=False)
    check_op(lambda a: a ** gn.tensor(exponent.astype(np.float32)),
             lambda a: a ** torch.tensor(exponent, dtype=torch.float32), None, arrays=[base],
             fd=False)
    for p in (2, 1, 0.5, 0, -1):
        check_op(lambda a, p=p: a**p, lambda a, p=p: a**p, None, arrays=[np.zeros(3)],
                 fd=False)
