import numpy as np
import pytest
import torch
from helpers import check_broadcast_gradients, check_op

import glassnet as gn
from glassnet.autograd.ops.trigonometric import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    hypot,
    sinh,
    tan,
)

SHAPES = [(), (1,), (7,), (3, 5), (2, 1, 3)]

# name: (glassnet, torch, domain low, domain high)
UNARY = {
    "tan": (tan, torch.tan, -1.2, 1.2),
    "asin": (asin, torch.asin, -0.9, 0.9),
    "acos": (acos, torch.acos, -0.9, 0.9),
    "atan": (atan, torch.atan, -3.0, 3.0),
    "sinh": (sinh, torch.sinh, -2.0, 2.0),
    "cosh": (cosh, torch.cosh, -2.0, 2.0),
    "asinh": (asinh, torch.asinh, -3.0, 3.0),
    "acosh": (acosh, torch.acosh, 1.2, 3.0),
    "atanh": (atanh, torch.atanh, -0.9, 0.9),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", SHAPES)
def test_unary(name, shape):
    ours, theirs, low, high = UNARY[name]
    check_op(ours, theirs, [shape], low=low, high=high)


BINARY_SHAPES = [((), ()), ((7,), (7,)), ((3, 4), (4,)), ((2, 1), (1, 3))]


@pytest.mark.parametrize("shapes", BINARY_SHAPES)
def test_atan2(shapes):
    # Kept off the origin (and off the axes, where atan2 jumps by 2 pi for x < 0).
    check_op(atan2, torch.atan2, shapes, low=-2.0, high=2.0, kinks=(0.0,), rtol=1e-4)


@pytest.mark.parametrize("shapes", BINARY_SHAPES)
def test_hypot(shapes):
    check_op(hypot, torch.hypot, shapes, low=-2.0, high=2.0, kinks=(0.0,))


def test_atan2_quadrants_match_torch():
    y = np.array([1.0, 1.0, -1.0, -1.0, 0.0, 0.0], np.float32)
    x = np.array([1.0, -1.0, -1.0, 1.0, -1.0, 1.0], np.float32)
    np.testing.assert_allclose(atan2(y, x).numpy(), torch.atan2(torch.tensor(y),
                                                                torch.tensor(x)).numpy())


@pytest.mark.parametrize("op", [atan2, hypot])
def test_broadcasting_binary_finite_differences(op):
    check_broadcast_gradients(op)


def test_numbers_and_arrays_are_accepted():
    np.testing.assert_allclose(tan(0.5).numpy(), np.tan(0.5))
    np.testing.assert_allclose(atan2(1.0, np.array([1.0, -1.0])).numpy(),
                               np.arctan2(1.0, [1.0, -1.0]))
    x = gn.tensor([0.5], dtype=np.float32)
    assert hypot(x, 2).dtype == np.float32
    assert atan2(2, x).dtype == np.float32


def test_outside_the_domain_gives_nan_or_inf_like_torch():
    x = np.array([-2.0, -1.0, 0.5, 1.0, 2.0], np.float32)
    for ours, theirs in ((asin, torch.asin), (acos, torch.acos), (acosh, torch.acosh),
                         (atanh, torch.atanh)):
        t = gn.tensor(x, requires_grad=True)
        y = ours(t)
        y.sum().backward()
        tt = torch.tensor(x, requires_grad=True)
        ty = theirs(tt)
        ty.sum().backward()
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-6)
