"""Rounding and integer-style division, as PyTorch defines them: floor, ceil, round, trunc
(gradient 0 everywhere, as PyTorch's); mod (``torch.remainder``, sign of the divisor) and fmod
(C's, sign of the dividend), both differentiable; floor_divide, which has no derivative."""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant, operands
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["floor", "ceil", "round", "trunc", "mod", "fmod", "floor_divide"]


class _ZeroGrad(Function):
    """A piecewise-constant op: its derivative is 0 wherever it exists, and PyTorch takes it as
    0 at the jumps too, so ``dx = 0`` everywhere (not None: the input still gets a gradient)."""

    def forward(self, x):
        return self.apply(x)

    def apply(self, x):
        raise NotImplementedError

    def backward(self, gy):
        return np.zeros_like(gy)


class Floor(_ZeroGrad):
    """y = largest integer <= x;  dx = 0."""

    def apply(self, x):
        return np.floor(x)


class Ceil(_ZeroGrad):
    """y = smallest integer >= x;  dx = 0."""

    def apply(self, x):
        return np.ceil(x)


class Trunc(_ZeroGrad):
    """y = x with its fraction dropped (towards 0);  dx = 0."""

    def apply(self, x):
        return np.trunc(x)


class Round(_ZeroGrad):
    """y = x rounded to ``decimals`` places, halves to even;  dx = 0.

    With decimals, as PyTorch (and NumPy): ``rint(x * 10**d) / 10**d`` for d > 0 and
    ``rint(x / 10**-d) * 10**-d`` for d < 0, so results carry the error of that scaling
    (``round(1.005, 2)`` is 1.0 in float32).
    """

    def __init__(self, decimals):
        self.decimals = decimals

    def apply(self, x):
        return np.round(x, self.decimals)


class Mod(Function):
    """y = x - floor(x / d) * d (sign of the divisor d, as Python's % and torch.remainder);
    dx = gy,  dd = -gy * floor(x / d)."""

    def forward(self, x, d):
        self.x, self.d = x, d
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(x, d)

    def backward(self, gy):
        need_x, need_d = self.needs_input_grad
        gd = None
        if need_d:
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.floor_divide(self.x, self.d)
            gd = unbroadcast(-gy * q, self.d.shape)
        return (unbroadcast(gy, self.x.shape) if need_x else None), gd


class Fmod(Function):
    """y = x - trunc(x / d) * d (sign of the dividend x, as C's fmod and torch.fmod);
    dx = gy,  dd = -gy * trunc(x / d)."""

    def forward(self, x, d):
        self.x, self.d = x, d
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(x, d)

    def backward(self, gy):
        need_x, need_d = self.needs_input_grad
        gd = None
        if need_d:
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.trunc(self.x / self.d)
            gd = unbroadcast(-gy * q, self.d.shape)
        return (unbroadcast(gy, self.x.shape) if need_x else None), gd


class FloorDivide(Function):
    """y = floor(x / d), as Python's // and torch.floor_divide;  no derivative.

    PyTorch 2.13 records the op, so the result of differentiable inputs has
    ``requires_grad=True``, but raises ``RuntimeError: derivative for aten::floor_divide is
    not implemented`` when a backward pass reaches it. This does the same.
    """

    def forward(self, x, d):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(x, d)

    def backward(self, gy):
        raise RuntimeError(
            "floor_divide: the derivative is not implemented (as in PyTorch: floor(x / d) is "
            "piecewise constant); detach its inputs, or use div and floor for a zero gradient"
        )


def _rounding_input(x, op) -> Tensor:
    x = constant(x)
    if x.data.dtype.kind not in "fiub":
        raise TypeError(f"{op}: unsupported dtype {x.data.dtype}")
    return x


def _unary(fn, x, op):
    x = _rounding_input(x, op)
    if x.data.dtype.kind != "f":  # integers are already whole: returned as they are (PyTorch)
        return x
    return fn(x)


def floor(x) -> Tensor:
    """Largest integer <= x, elementwise; gradient 0. Integer tensors come back unchanged."""
    return _unary(Floor(), x, "floor")


def ceil(x) -> Tensor:
    """Smallest integer >= x, elementwise; gradient 0. Integer tensors come back unchanged."""
    return _unary(Ceil(), x, "ceil")


def trunc(x) -> Tensor:
    """x rounded towards zero, elementwise; gradient 0. Integer tensors come back unchanged."""
    return _unary(Trunc(), x, "trunc")


def round(x, decimals=0) -> Tensor:  # noqa: A001 - the op's name
    """x rounded to ``decimals`` places (negative: to tens, hundreds...), halves to even as
    ``torch.round``; gradient 0.

    >>> round(Tensor([0.5, 1.5, 2.5, -0.5])).numpy().tolist()
    [0.0, 2.0, 2.0, -0.0]
    """
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an integer; received {decimals!r}")
    x = _rounding_input(x, "round")
    if x.data.dtype.kind != "f":
        if decimals != 0:  # PyTorch: "round_cpu" not implemented for 'Long'
            raise TypeError(
                f"round: decimals={decimals} is not supported for dtype {x.data.dtype} (as in "
                f"PyTorch, only floating tensors can be rounded to decimal places)"
            )
        return x
    return Round(int(decimals))(x)


def _division_operands(a, b, op):
    """``operands``, but a Python int meeting an integer tensor takes its dtype (PyTorch's
    promotion: int32 % 3 stays int32), and integer division by zero raises."""
    a, b = _scalar_like(a, b), _scalar_like(b, a)
    a, b = operands(a, b)
    for t in (a, b):
        if t.data.dtype.kind not in "fiu":
            raise TypeError(
                f"{op}: expected floating or integer tensors, but received dtype {t.data.dtype}"
            )
    if b.data.dtype.kind in "iu" and a.data.dtype.kind in "iu" and np.any(b.data == 0):
        raise ZeroDivisionError(f"{op}: integer division by zero (as PyTorch, which raises)")
    return a, b


def _scalar_like(value, other):
    """A Python int/bool scalar meeting an integer or bool tensor, as a tensor of its dtype
    where that keeps the value (PyTorch keeps the tensor's dtype); anything else unchanged."""
    if isinstance(value, (Tensor, np.ndarray)) or not isinstance(other, Tensor):
        return value
    kind = other.data.dtype.kind
    if isinstance(value, (bool, np.bool_)):
        return Tensor(backend.asarray(value, dtype=other.data.dtype if kind in "iub" else bool))
    if isinstance(value, (int, np.integer)) and kind in "iu":
        info = np.iinfo(other.data.dtype)
        if info.min <= value <= info.max:
            return Tensor(backend.asarray(value, dtype=other.data.dtype))
    return value


def _binary(fn, a, b, op):
    return fn(*_division_operands(a, b, op))  # a shape mismatch is named by Function


def mod(x, d) -> Tensor:
    """x modulo d with the sign of d (Python's ``%``, ``torch.remainder``); differentiable:
    dx = 1, dd = -floor(x / d). Float division by zero gives nan; integer raises.

    >>> mod(Tensor([-3, 3]), 2).numpy().tolist()
    [1, 1]
    """
    return _binary(Mod(), x, d, "mod")


def fmod(x, d) -> Tensor:
    """x modulo d with the sign of x (C's fmod, ``torch.fmod``); differentiable:
    dx = 1, dd = -trunc(x / d). Float division by zero gives nan; integer raises.

    >>> fmod(Tensor([-3, 3]), 2).numpy().tolist()
    [-1, 1]
    """
    return _binary(Fmod(), x, d, "fmod")


def floor_divide(x, d) -> Tensor:
    """floor(x / d) elementwise (Python's ``//``, ``torch.floor_divide``).

    No gradient, as PyTorch 2.13: the result of a differentiable input is recorded, and
    backward through it raises RuntimeError ("derivative ... is not implemented").
    Float division by zero gives +-inf or nan; integer division by zero raises.
    """
    return _binary(FloorDivide(), x, d, "floor_divide")
