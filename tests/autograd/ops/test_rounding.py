import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.rounding import ceil, floor, floor_divide, fmod, mod, round, trunc

SHAPES = [(), (1,), (7,), (3, 5)]
INTEGERS = tuple(range(-2, 3))
HALVES = (-1.5, -0.5, 0.5, 1.5)

# name: (glassnet, torch, kinks) -- every one has gradient 0 everywhere, as torch's
UNARY = {
    "floor": (floor, torch.floor, INTEGERS),
    "ceil": (ceil, torch.ceil, INTEGERS),
    "trunc": (trunc, torch.trunc, INTEGERS),
    "round": (round, torch.round, HALVES),
    "round_1": (lambda x: round(x, 1), lambda x: torch.round(x, decimals=1),
                tuple(np.arange(-20.5, 21) / 10)),
    # jumps every 0.01: too dense to keep finite differences off them (torch check only)
    "round_2": (lambda x: round(x, 2), lambda x: torch.round(x, decimals=2), None),
    "round_-1": (lambda x: round(x * 10, -1), lambda x: torch.round(x * 10, decimals=-1),
                 HALVES),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", SHAPES)
def test_unary_value_and_zero_gradient(name, shape):
    ours, theirs, kinks = UNARY[name]
    check_op(ours, theirs, [shape], kinks=kinks or (), fd=kinks is not None)


def test_round_halves_to_even_like_torch():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.125, 1.005, 1234.5], np.float32)
    for d in (0, 1, 2, -1, -2):
        np.testing.assert_array_equal(round(gn.tensor(x), d).numpy(),
                                      torch.round(torch.tensor(x), decimals=d).numpy())
    assert round(gn.tensor(x)).dtype == np.float32


@pytest.mark.parametrize("fn", [floor, ceil, trunc, round])
def test_integer_input_is_returned_unchanged(fn):
    x = gn.tensor(np.array([7, -7, 5], np.int32))
    out = fn(x)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), [7, -7, 5])


def test_round_rejects_decimals_on_integers_and_non_integer_decimals():
    with pytest.raises(NotImplementedError):  # torch's own refusal
        torch.round(torch.tensor([7]), decimals=1)
    with pytest.raises(TypeError, match=r"round: decimals=1 .*int64"):
        round(gn.tensor([7]), 1)
    with pytest.raises(TypeError, match="round: decimals must be an integer"):
        round(gn.tensor([1.5]), 1.0)


def test_python_numbers_and_arrays_are_accepted():
    assert floor(2.7).numpy() == 2.0
    np.testing.assert_array_equal(ceil(np.array([0.2, -0.2])).numpy(), [1.0, -0.0])
    np.testing.assert_array_equal(mod(np.array([-3, 3]), 2).numpy(), [1, 1])
    np.testing.assert_array_equal(fmod([-3, 3], 2).numpy(), [-1, 1])
    assert floor_divide(7, 2).numpy() == 3


# -- mod and fmod -----------------------------------------------------------------------------


def _division_inputs(x_shape, d_shape, seed=0):
    """x in [-5, 5] and divisors of either sign with |d| in [0.5, 2], with x / d kept 0.01
    away from integers, where the quotient (and so the divisor's gradient) jumps."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5, 5, x_shape)
    d = rng.uniform(0.5, 2.0, d_shape) * rng.choice([-1.0, 1.0], d_shape)
    q = x / d
    frac = q - np.round(q)
    q = np.where(np.abs(frac) < 0.01, np.round(q) + np.where(frac >= 0, 0.01, -0.01), q)
    return [np.asarray(q * d), np.asarray(d)]


@pytest.mark.parametrize("ours, theirs", [(mod, torch.remainder), (fmod, torch.fmod)])
@pytest.mark.parametrize("shape", SHAPES)
def test_mod_fmod_gradients(ours, theirs, shape):
    check_op(ours, theirs, None, arrays=_division_inputs(shape, shape))


@pytest.mark.parametrize("ours, theirs", [(mod, torch.remainder), (fmod, torch.fmod)])
def test_mod_fmod_broadcast_gradients(ours, theirs):
    rng = np.random.default_rng(3)
    x = rng.uniform(-5, 5, (3, 4))
    d = np.array([0.7, -1.3, 1.9, -0.55])
    q = x / d  # keep x / d off the integers, as above
    frac = q - np.round(q)
    x = np.where(np.abs(frac) < 0.01, (np.round(q) + 0.02) * d, x)
    check_op(ours, theirs, None, arrays=[x, d])


def test_mod_operator_gradients():
    x = _division_inputs((6,), (6,))[0]
    check_op(lambda t: t % 3, lambda t: t % 3, None, arrays=[x])
    check_op(lambda t: t % -1.5, lambda t: t % -1.5, None, arrays=[x])
    d = _division_inputs((6,), (6,), seed=2)[1]
    # torch's ``7.3 % t`` (remainder with a Scalar dividend) has no derivative at all; the
    # Tensor-Tensor form has, and that is the one matched here
    check_op(lambda t: 7.3 % t, lambda t: torch.remainder(torch.tensor(7.3), t), None,
             fd=False, arrays=[d])


def test_mod_fmod_gradient_formulas():
    x = gn.tensor([5.5, -5.5, 5.5], requires_grad=True)
    d = gn.tensor([2.0, 2.0, -2.0], requires_grad=True)
    mod(x, d).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 1])
    np.testing.assert_array_equal(d.grad, [-2, 3, 3])  # -floor(x / d)
    x.grad = d.grad = None
    fmod(x, d).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 1])
    np.testing.assert_array_equal(d.grad, [-2, 2, 2])  # -trunc(x / d)


def test_signs_python_versus_c():
    x = np.array([-7, -7, 7, 7, -7.5, 7.5])
    d = np.array([3, -3, 3, -3, 2, -2])
    for ours, theirs in [(mod, torch.remainder), (fmod, torch.fmod), (floor_divide,
                                                                       torch.floor_divide)]:
        for dtype in (np.int64, np.float32):
            a, b = x.astype(dtype), d.astype(dtype)
            if dtype == np.int64:
                a = np.trunc(x).astype(dtype)
            np.testing.assert_array_equal(ours(gn.tensor(a), gn.tensor(b)).numpy(),
                                          theirs(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(mod(gn.tensor([-7, 7]), 3).numpy(), [2, 1])
    np.testing.assert_array_equal(fmod(gn.tensor([-7, 7]), 3).numpy(), [-1, 1])


def test_float_division_by_zero_gives_nan_and_inf_like_torch():
    x = np.array([5.0, -5.0, 0.0, -0.0], np.float32)
    d = np.zeros(4, np.float32)
    for ours, theirs in [(mod, torch.remainder), (fmod, torch.fmod), (floor_divide,
                                                                       torch.floor_divide)]:
        np.testing.assert_array_equal(ours(gn.tensor(x), gn.tensor(d)).numpy(),
                                      theirs(torch.tensor(x), torch.tensor(d)).numpy())


@pytest.mark.parametrize("ours, theirs", [(mod, torch.remainder), (fmod, torch.fmod),
                                          (floor_divide, torch.floor_divide)])
def test_integer_division_by_zero_raises(ours, theirs):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        theirs(torch.tensor([5, 6]), torch.tensor([1, 0]))
    with pytest.raises(ZeroDivisionError, match=ours.__name__):
        ours(gn.tensor([5, 6]), gn.tensor([1, 0]))
    with pytest.raises(ZeroDivisionError):
        ours(gn.tensor([5, 6]), 0)


def test_integer_dtype_is_kept_with_python_ints():
    x = gn.tensor(np.array([7, -7], np.int32))
    for out in (x % 3, 7 // x, fmod(x, 3), floor_divide(x, -2), 9 % x):
        assert out.dtype == np.int32
    assert (x % 3).numpy().tolist() == torch.remainder(
        torch.tensor([7, -7], dtype=torch.int32), 3).tolist()
    assert (x % 1.5).dtype.kind == "f"


def test_float32_is_kept():
    x = gn.tensor([1.5, -2.5])
    for out in (x % 2, 2 % x, fmod(x, 2), x // 2, 2 // x, floor(x), round(x, 1)):
        assert out.dtype == np.float32


def test_broadcast_error_names_the_op():
    with pytest.raises(ValueError, match="mod"):
        mod(gn.tensor(np.ones((2, 3))), gn.tensor(np.ones(4)))
    with pytest.raises(ValueError, match="floor_divide"):
        gn.tensor(np.ones((2, 3))) // gn.tensor(np.ones(4))


def test_bool_input_is_rejected():
    with pytest.raises(TypeError, match="mod: .*bool"):
        mod(gn.tensor([True]), 2)


# -- floor_divide -----------------------------------------------------------------------------


def test_floor_divide_values_like_torch():
    x, d = _division_inputs((4, 3), (4, 3))
    x, d = x.astype(np.float32), d.astype(np.float32)
    np.testing.assert_array_equal(floor_divide(gn.tensor(x), gn.tensor(d)).numpy(),
                                  torch.floor_divide(torch.tensor(x), torch.tensor(d)).numpy())
    np.testing.assert_array_equal((gn.tensor(x) // 0.75).numpy(),
                                  (torch.tensor(x) // 0.75).numpy())
    i = np.array([7, -7, 5, -5])
    np.testing.assert_array_equal((7 // gn.tensor([2, -2, 3, -3])).numpy(),
                                  (7 // torch.tensor([2, -2, 3, -3])).numpy())
    np.testing.assert_array_equal((gn.tensor(i) // 2).numpy(), (torch.tensor(i) // 2).numpy())


def test_floor_divide_backward_raises_as_torch():
    t = torch.tensor([3.5, -1.0], requires_grad=True)
    out = torch.floor_divide(t, 2.0)
    assert out.requires_grad
    with pytest.raises(RuntimeError, match="not implemented"):
        out.sum().backward()

    x = gn.tensor([3.5, -1.0], requires_grad=True)
    y = x // 2.0
    assert y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [1.0, -1.0])
    with pytest.raises(RuntimeError, match="floor_divide: the derivative is not implemented"):
        y.sum().backward()
    with gn.no_grad():
        assert not (x // 2.0).requires_grad


# -- the operators on Tensors -----------------------------------------------------------------


def test_operators():
    x = gn.tensor([-3.5, 2.5, 7.0])
    np.testing.assert_allclose((x % 3).numpy(), [2.5, 2.5, 1.0])
    np.testing.assert_allclose((10 % gn.tensor([3.0, -3.0])).numpy(), [1.0, -2.0])
    np.testing.assert_array_equal((7 // gn.tensor([2, -2])).numpy(), [3, -4])
    np.testing.assert_array_equal((x // 2).numpy(), [-2.0, 1.0, 3.0])
    np.testing.assert_array_equal((np.array([7, -7]) % gn.tensor([3])).numpy(), [1, 2])
    np.testing.assert_array_equal((np.array([7, -7]) // gn.tensor([3])).numpy(), [2, -3])
    assert isinstance(np.array([7]) % gn.tensor([3]), gn.Tensor)
