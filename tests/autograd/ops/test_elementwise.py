import numpy as np
import pytest
import torch
from helpers import check_op
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import glassnet as gn

SHAPES = [(), (1,), (7,), (3, 5), (2, 1, 3)]

# name: (glassnet, torch, domain low, domain high, kinks)
UNARY = {
    "exp": (gn.exp, torch.exp, -2.0, 2.0, ()),
    "log": (gn.log, torch.log, 0.2, 3.0, ()),
    "sqrt": (gn.sqrt, torch.sqrt, 0.2, 3.0, ()),
    "abs": (gn.abs, torch.abs, -2.0, 2.0, (0.0,)),
    "sin": (gn.sin, torch.sin, -3.0, 3.0, ()),
    "cos": (gn.cos, torch.cos, -3.0, 3.0, ()),
    "clip": (lambda x: gn.clip(x, -0.5, 1.0), lambda x: torch.clamp(x, -0.5, 1.0), -2.0, 2.0,
             (-0.5, 1.0)),
    "clip_min": (lambda x: gn.clip(x, min=0.3), lambda x: torch.clamp(x, min=0.3), -2.0, 2.0,
                 (0.3,)),
    "clip_max": (lambda x: x.clip(max=0.3), lambda x: torch.clamp(x, max=0.3), -2.0, 2.0,
                 (0.3,)),
    "method_exp": (lambda x: x.exp(), lambda x: x.exp(), -2.0, 2.0, ()),
    "method_log": (lambda x: x.log(), lambda x: x.log(), 0.2, 3.0, ()),
    "method_sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), 0.2, 3.0, ()),
    "builtin_abs": (lambda x: abs(x), lambda x: abs(x), -2.0, 2.0, (0.0,)),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", SHAPES)
def test_unary(name, shape):
    ours, theirs, low, high, kinks = UNARY[name]
    check_op(ours, theirs, [shape], low=low, high=high, kinks=kinks)


@settings(max_examples=20, deadline=None)
@given(hnp.array_shapes(min_dims=0, max_dims=4, max_side=4))
def test_unary_drawn_shapes(shape):
    for name in ("exp", "log", "abs", "sin", "clip"):
        ours, theirs, low, high, kinks = UNARY[name]
        check_op(ours, theirs, [shape], low=low, high=high, kinks=kinks)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1), (1, 3))])
def test_maximum_minimum(shapes):
    check_op(gn.maximum, torch.maximum, shapes)
    check_op(gn.minimum, torch.minimum, shapes)
    check_op(lambda a, b: a.maximum(b), torch.maximum, shapes, seed=2)


def test_maximum_minimum_ties_split_the_gradient_like_torch():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([1.0, 0.0, 3.0], np.float32)
    for ours, theirs in ((gn.maximum, torch.maximum), (gn.minimum, torch.minimum)):
        ga, gb = gn.tensor(a, requires_grad=True), gn.tensor(b, requires_grad=True)
        ours(ga, gb).sum().backward()
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        theirs(ta, tb).sum().backward()
        np.testing.assert_allclose(ga.grad, ta.grad.numpy())
        np.testing.assert_allclose(gb.grad, tb.grad.numpy())
    # maximum with a number: the relu written by hand
    check_op(lambda x: gn.maximum(x, 0.0), lambda x: torch.clamp(x, min=0.0), [(4, 3)],
             kinks=(0.0,))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                                    ((2, 1), (1, 3), ())])
def test_where(shapes):
    cond = np.random.default_rng(0).random(shapes[0]) > 0.5
    check_op(lambda a, b: gn.where(cond, a, b), lambda a, b: torch.where(torch.tensor(cond), a, b),
             shapes[1:])
    check_op(lambda a, b: gn.where(gn.tensor(cond), a, b),
             lambda a, b: torch.where(torch.tensor(cond), a, b), shapes[1:], seed=4)


def test_sign_and_comparisons_carry_no_gradient():
    x = gn.tensor([-1.5, 0.0, 2.0], requires_grad=True)
    assert gn.sign(x).tolist() == [-1.0, 0.0, 1.0]
    assert not gn.sign(x).requires_grad
    y = gn.tensor([0.0, 0.0, 3.0])
    for ours, theirs in [
        (x < y, [True, False, True]), (x <= y, [True, True, True]), (x > y, [False] * 3),
        (x >= y, [False, True, False]), (x == y, [False, True, False]),
        (x != y, [True, False, True]), (x > 0, [False, False, True]),
        (gn.greater(x, 0.0), [False, False, True]),
    ]:
        assert ours.dtype == np.bool_ and ours.tolist() == theirs and not ours.requires_grad


def test_cast_between_floats_is_differentiable():
    check_op(lambda x: gn.cast(x, np.float64).sum().astype(x.dtype) * 1.0,
             lambda x: x.double().sum().float() * 1.0, [(3,)])
    x = gn.tensor([1.7, -2.2], requires_grad=True)
    ints = x.long()
    assert ints.dtype == np.int64 and ints.tolist() == [1, -2] and not ints.requires_grad


def test_clip_needs_a_bound_in_order():
    with pytest.raises(ValueError, match="at least one of min and max"):
        gn.clip(gn.ones(2))
    with pytest.raises(ValueError, match="min must not exceed max"):
        gn.clip(gn.ones(2), 2.0, 1.0)


def test_where_with_two_python_scalars_matches_torch():
    cond = np.array([True, False, True])
    for a, b in [(1, 3), (1.0, 3), (0.5, -2.5)]:
        ours = gn.where(cond, a, b)
        theirs = torch.where(torch.tensor(cond), a, b)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == theirs.numpy().dtype, (a, b)
    check_op(lambda x: gn.where(cond, x, 0.0), lambda x: torch.where(torch.tensor(cond), x, 0.0),
             [(3,)])
    check_op(lambda x: gn.where(cond, 2, x), lambda x: torch.where(torch.tensor(cond), 2.0, x),
             [(3,)])
