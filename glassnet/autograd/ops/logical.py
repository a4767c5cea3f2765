"""Tests, logic and bits, none with a gradient (as in PyTorch): isnan, isinf, isfinite give
bool tensors; logical_and, logical_or, logical_xor, logical_not take any dtype (nonzero is true)
and give bool tensors; bitwise_and, bitwise_or, bitwise_xor, bitwise_not, left_shift,
right_shift take integer or bool tensors only (a floating one raises TypeError) and keep their
dtype (bool for bool inputs, except the shifts, which give integers)."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops._operands import constant, no_grad_tensor, operands
from glassnet.autograd.ops.rounding import _scalar_like
from glassnet.autograd.tensor import Tensor

__all__ = [
    "isnan", "isinf", "isfinite",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "left_shift", "right_shift",
]


def _binary(ufunc, op, a, b):
    a, b = operands(_scalar_like(a, b), _scalar_like(b, a))
    try:
        return a, b, ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(f"{op}: cannot broadcast shapes {a.shape} and {b.shape}") from None


# -- tests ------------------------------------------------------------------------------------


def isnan(x) -> Tensor:
    """True where x is nan (never for integer or bool tensors)."""
    return no_grad_tensor(np.isnan(constant(x).data))


def isinf(x) -> Tensor:
    """True where x is +inf or -inf (never for integer or bool tensors)."""
    return no_grad_tensor(np.isinf(constant(x).data))


def isfinite(x) -> Tensor:
    """True where x is neither nan nor +-inf (always for integer or bool tensors)."""
    return no_grad_tensor(np.isfinite(constant(x).data))


# -- logic ------------------------------------------------------------------------------------


def logical_and(a, b) -> Tensor:
    """a and b elementwise, nonzero counting as true; a bool tensor.

    >>> logical_and(Tensor([0.0, 0.5, 2.0]), Tensor([1, 1, 0])).numpy().tolist()
    [False, True, False]
    """
    return no_grad_tensor(_binary(np.logical_and, "logical_and", a, b)[2])


def logical_or(a, b) -> Tensor:
    """a or b elementwise, nonzero counting as true; a bool tensor."""
    return no_grad_tensor(_binary(np.logical_or, "logical_or", a, b)[2])


def logical_xor(a, b) -> Tensor:
    """Exactly one of a and b nonzero, elementwise; a bool tensor."""
    return no_grad_tensor(_binary(np.logical_xor, "logical_xor", a, b)[2])


def logical_not(x) -> Tensor:
    """True where x is zero (or False); a bool tensor."""
    return no_grad_tensor(np.logical_not(constant(x).data))


# -- bits -------------------------------------------------------------------------------------


def _check_bits(op, *tensors):
    for t in tensors:
        if t.data.dtype.kind not in "iub":
            raise TypeError(
                f"{op}: expected integer or bool tensors, but received dtype {t.data.dtype} "
                f"(as in PyTorch, bitwise ops are not defined for floating point)"
            )


def _bitwise(ufunc, op, a, b):
    a, b = _scalar_like(a, b), _scalar_like(b, a)
    a, b = constant(a), constant(b)
    _check_bits(op, a, b)  # before any casting, so a float names itself
    return no_grad_tensor(_binary(ufunc, op, a, b)[2])


def bitwise_and(a, b) -> Tensor:
    """a & b bit by bit (for bools, logical and).

    >>> bitwise_and(Tensor([12, 10]), 6).numpy().tolist()
    [4, 2]
    """
    return _bitwise(np.bitwise_and, "bitwise_and", a, b)


def bitwise_or(a, b) -> Tensor:
    """a | b bit by bit (for bools, logical or)."""
    return _bitwise(np.bitwise_or, "bitwise_or", a, b)


def bitwise_xor(a, b) -> Tensor:
    """a ^ b bit by bit (for bools, logical xor)."""
    return _bitwise(np.bitwise_xor, "bitwise_xor", a, b)


def bitwise_not(x) -> Tensor:
    """~x bit by bit: -x - 1 for signed integers, logical not for bools."""
    x = constant(x)
    _check_bits("bitwise_not", x)
    return no_grad_tensor(np.invert(x.data))


def left_shift(a, b) -> Tensor:
    """a << b: a times 2**b for b >= 0; 0 for a negative b or one past the width (PyTorch).

    Bool inputs count as 0/1 and give an integer result.
    """
    return _bitwise(np.left_shift, "left_shift", a, b)


def right_shift(a, b) -> Tensor:
    """a >> b, arithmetic (the sign is kept): floor(a / 2**b) for b >= 0; 0 or -1 for a
    negative b or one past the width (PyTorch)."""
    return _bitwise(np.right_shift, "right_shift", a, b)
