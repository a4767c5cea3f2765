"""Elementwise extras: cbrt, exp2, logaddexp2, sinc, deg2rad, rad2deg, heaviside, ldexp,
divide_no_nan, nan_to_num, fmax, fmin, copy, saturate_cast, erfc; and, without gradients,
gcd, lcm, nextafter, angle, signbit, isneginf, isposinf, isreal, isclose, isin.

>>> import glassnet
>>> glassnet.cbrt(glassnet.tensor([8.0, -1.0])).tolist()
[2.0, -1.0]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant, no_grad_tensor, operands
from glassnet.autograd.ops.arithmetic import mul, sub
from glassnet.autograd.ops.elementwise import cast, clip, where
from glassnet.autograd.ops.exponential import erf
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "angle", "cbrt", "copy", "deg2rad", "divide_no_nan", "erfc", "exp2", "fmax", "fmin",
    "gcd", "heaviside", "isclose", "isin", "isneginf", "isposinf", "isreal", "lcm", "ldexp",
    "logaddexp2", "nan_to_num", "nextafter", "rad2deg", "saturate_cast", "signbit", "sinc",
]

_LN2 = math.log(2.0)


def _beside(array, t):
    """``array`` on the device of tensor ``t`` (a host array meeting GPU data is copied)."""
    if backend.on_device(t.data) and not backend.on_device(array):
        return backend.to_device(array, backend.device_of(t.data))
    return array


def _pair(a, b, op):
    a, b = operands(a, b)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: cannot broadcast shapes {a.shape} and {b.shape}") from None
    return a, b


class Cbrt(Function):
    """y = x**(1/3) (real, odd);  dx = gy / (3 y**2)  (infinite at 0)."""

    def forward(self, x):
        self.y = np.cbrt(x)
        return self.y

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return gy / (3 * self.y * self.y)


class Exp2(Function):
    """y = 2**x;  dx = gy * y * ln 2."""

    def forward(self, x):
        self.y = np.exp2(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * _LN2


class LogAddExp2(Function):
    """y = log2(2**a + 2**b), stably (NumPy's logaddexp2);
    da = gy / (1 + 2**(b - a)),  db = gy / (1 + 2**(a - b))."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.logaddexp2(a, b)

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        with np.errstate(over="ignore"):
            d = self.b - self.a
            ga = unbroadcast(gy / (1 + np.exp2(d)), self.a.shape) if need_a else None
            gb = unbroadcast(gy / (1 + np.exp2(-d)), self.b.shape) if need_b else None
        return ga, gb


class Sinc(Function):
    """y = sin(pi x) / (pi x), 1 at x = 0;  dx = gy * (cos(pi x) - y) / x, 0 at x = 0."""

    def forward(self, x):
        self.x, self.y = x, np.sinc(x)
        return self.y

    def backward(self, gy):
        zero = self.x == 0
        safe = np.where(zero, 1, self.x)
        return gy * np.where(zero, 0, (np.cos(np.pi * self.x) - self.y) / safe)


class DivideNoNan(Function):
    """y = a / b, 0 where b == 0;  da = gy / b,  db = -gy * a / b**2  (both 0 where b == 0)."""

    def forward(self, a, b):
        self.a, self.zero = a, b == 0
        self.b = np.where(self.zero, 1, b)
        return np.where(self.zero, 0, a / self.b).astype(np.result_type(a.dtype, b.dtype))

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        g = np.where(self.zero, 0, gy / self.b)
        ga = unbroadcast(g, self.a.shape) if need_a else None
        gb = unbroadcast(-g * self.a / self.b, self.zero.shape) if need_b else None
        return ga, gb


class NanToNum(Function):
    """y = x with nan, +inf, -inf replaced by numbers;  dx = gy where x is finite, else 0."""

    def __init__(self, nan, posinf, neginf):
        self.args = (nan, posinf, neginf)

    def forward(self, x):
        self.finite = np.isfinite(x)
        nan, posinf, neginf = self.args
        return np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, gy):
        return np.where(self.finite, gy, 0).astype(gy.dtype)


class Copy(Function):
    """y = a copy of x;  dx = gy."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def cbrt(x) -> Tensor:
    """The real cube root."""
    return Cbrt()(constant(x))


def exp2(x) -> Tensor:
    """2 to the power x."""
    return Exp2()(constant(x))


def logaddexp2(x1, x2) -> Tensor:
    """log2(2**x1 + 2**x2), without overflow."""
    return LogAddExp2()(*_pair(x1, x2, "logaddexp2"))


def sinc(x) -> Tensor:
    """The normalized sinc, sin(pi x) / (pi x).

    >>> sinc([0.0, 0.5]).tolist()[0]
    1.0
    """
    return Sinc()(constant(x))


def deg2rad(x) -> Tensor:
    """x * pi / 180."""
    return mul(x, math.pi / 180)


def rad2deg(x) -> Tensor:
    """x * 180 / pi."""
    return mul(x, 180 / math.pi)


def divide_no_nan(x1, x2) -> Tensor:
    """x1 / x2, and 0 where x2 is 0 (no inf or nan from division by zero)."""
    return DivideNoNan()(*_pair(x1, x2, "divide_no_nan"))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """x with nan -> ``nan``, +inf -> ``posinf`` and -inf -> ``neginf`` (default: the largest
    finite values of x's dtype), as ``np.nan_to_num``."""
    x = constant(x)
    if x.dtype.kind != "f":
        return x
    return NanToNum(nan, posinf, neginf)(x)


def heaviside(x1, x2) -> Tensor:
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0 (gradient only into x2, at x1 == 0)."""
    x1, x2 = _pair(x1, x2, "heaviside")
    step = (x1.data > 0).astype(x2.dtype if x2.dtype.kind == "f" else np.float32)
    return where(x1.data == 0, x2, step)


def ldexp(x1, x2) -> Tensor:
    """x1 * 2**x2 for integer x2 (the gradient flows into x1)."""
    x2 = constant(x2)
    if x2.dtype.kind not in "iu":
        raise TypeError(f"ldexp: x2 must hold integers. Received: x2 of dtype {x2.dtype}")
    x1 = constant(x1)
    xp = backend.get_array_module(x2.data)
    return mul(x1, np.ldexp(xp.ones((), x1.dtype if x1.dtype.kind == "f" else np.float32),
                            x2.data))


def _nan_aware(pick_a_data, a, b):
    return where(pick_a_data, a, b)


def fmax(x1, x2) -> Tensor:
    """The elementwise maximum, ignoring nan (nan only where both are nan)."""
    a, b = _pair(x1, x2, "fmax")
    return _nan_aware((a.data >= b.data) | np.isnan(b.data), a, b)


def fmin(x1, x2) -> Tensor:
    """The elementwise minimum, ignoring nan (nan only where both are nan)."""
    a, b = _pair(x1, x2, "fmin")
    return _nan_aware((a.data <= b.data) | np.isnan(b.data), a, b)


def copy(x) -> Tensor:
    """A copy of x that the gradient passes through."""
    return Copy()(constant(x))


def saturate_cast(x, dtype) -> Tensor:
    """x clipped to the range of ``dtype``, then cast to it (no integer wrap-around);
    differentiable between floating dtypes (the gradient is 0 where x was clipped)."""
    x, dtype = constant(x), np.dtype(dtype)
    if dtype.kind not in "iuf" or (x.dtype.kind != "f" and dtype.kind == "f"):
        return cast(x, dtype)
    target = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    source = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
    lo, hi = max(target.min, source.min), min(target.max, source.max)
    if x.dtype.kind != "f":
        return no_grad_tensor(np.clip(x.data, lo, hi).astype(dtype))
    return cast(clip(x, float(lo), float(hi)), dtype)


def erfc(x) -> Tensor:
    """1 - erf(x) (composed, so accurate to absolute, not relative, precision for large x)."""
    return sub(1.0, erf(x))


# -- no gradient: integer, bit-level and boolean results ------------------------------------


def gcd(x1, x2) -> Tensor:
    a, b = _pair(x1, x2, "gcd")
    return no_grad_tensor(np.gcd(a.data, b.data))


def lcm(x1, x2) -> Tensor:
    a, b = _pair(x1, x2, "lcm")
    return no_grad_tensor(np.lcm(a.data, b.data))


def nextafter(x1, x2) -> Tensor:
    """The next representable number after x1 towards x2."""
    a, b = _pair(x1, x2, "nextafter")
    return no_grad_tensor(np.nextafter(a.data, b.data))


def angle(x) -> Tensor:
    """The complex argument of real x: 0 for x >= 0, pi for x < 0."""
    x = constant(x)
    return no_grad_tensor(np.angle(x.data).astype(x.dtype if x.dtype.kind == "f" else np.float32))


def signbit(x) -> Tensor:
    return no_grad_tensor(np.signbit(constant(x).data))


def isneginf(x) -> Tensor:
    return no_grad_tensor(np.isneginf(constant(x).data))


def isposinf(x) -> Tensor:
    return no_grad_tensor(np.isposinf(constant(x).data))


def isreal(x) -> Tensor:
    """All True: glassnet tensors are real."""
    x = constant(x)
    return no_grad_tensor(backend.get_array_module(x.data).ones(x.shape, dtype=bool))


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """|x1 - x2| <= atol + rtol * |x2|, elementwise."""
    a, b = _pair(x1, x2, "isclose")
    return no_grad_tensor(np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isin(x1, x2, invert=False) -> Tensor:
    """True where an element of x1 occurs anywhere in x2."""
    x1 = constant(x1)
    return no_grad_tensor(np.isin(x1.data, _beside(constant(x2).data, x1), invert=invert))
