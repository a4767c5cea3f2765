"""Exponentials, logarithms, powers and special functions: log2, log10, log1p, expm1,
logaddexp, square, rsqrt, reciprocal, lerp, copysign, erf, erfinv.

(exp, log and sqrt live in ``elementwise``.) Outside an op's domain the value is NaN or
infinite, as in NumPy and PyTorch; no exception is raised. ``erf`` and ``erfinv`` need no
SciPy: erf is W. J. Cody's rational Chebyshev approximation (Math. Comp. 23, 1969; relative
error near 1e-16 in float64) and erfinv is M. Giles' approximation refined by two Newton
steps on that erf.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant, operands
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "copysign",
    "erf",
    "erfinv",
    "expm1",
    "lerp",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "reciprocal",
    "rsqrt",
    "square",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


class Log2(Function):
    """y = log2(x);  dx = gy / (x * ln 2)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log2(x)

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return gy / (self.x * _LN2)


class Log10(Function):
    """y = log10(x);  dx = gy / (x * ln 10)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log10(x)

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return gy / (self.x * _LN10)


class Log1p(Function):
    """y = ln(1 + x), accurate for small x;  dx = gy / (1 + x)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log1p(x)

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return gy / (1 + self.x)


class Expm1(Function):
    """y = e**x - 1, accurate for small x;  dx = gy * (y + 1)."""

    def forward(self, x):
        self.y = np.expm1(x)
        return self.y

    def backward(self, gy):
        return gy * (self.y + 1)


class LogAddExp(Function):
    """y = ln(e**a + e**b), computed stably as max(a, b) + log1p(e**-|a - b|);
    da = gy / (1 + e**(b - a)),  db = gy / (1 + e**(a - b))  (each input's softmax weight)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.logaddexp(a, b)

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        with np.errstate(over="ignore", invalid="ignore"):
            d = self.b - self.a
            ga = gy / (1 + np.exp(d)) if need_a else None
            gb = gy / (1 + np.exp(-d)) if need_b else None
        return (
            unbroadcast(ga, self.a.shape) if need_a else None,
            unbroadcast(gb, self.b.shape) if need_b else None,
        )


class Square(Function):
    """y = x**2;  dx = 2 * gy * x."""

    def forward(self, x):
        self.x = x
        return np.square(x)

    def backward(self, gy):
        return 2 * gy * self.x


class Rsqrt(Function):
    """y = 1 / sqrt(x);  dx = -gy * y**3 / 2."""

    def forward(self, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            self.y = 1 / np.sqrt(x)
        return self.y

    def backward(self, gy):
        return -0.5 * gy * self.y * self.y * self.y


class Reciprocal(Function):
    """y = 1 / x;  dx = -gy * y**2."""

    def forward(self, x):
        with np.errstate(divide="ignore"):
            self.y = 1 / x
        return self.y

    def backward(self, gy):
        return -gy * self.y * self.y


class Lerp(Function):
    """y = start + w * (end - start);
    dstart = gy * (1 - w),  dend = gy * w,  dw = gy * (end - start)."""

    def forward(self, start, end, weight):
        self.start, self.end, self.weight = start, end, weight
        diff = end - start
        # PyTorch's form: exact at both ends (w = 0 gives start, w = 1 gives end).
        return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, gy):
        need_s, need_e, need_w = self.needs_input_grad
        w = self.weight
        return (
            unbroadcast(gy * (1 - w), self.start.shape) if need_s else None,
            unbroadcast(gy * w, self.end.shape) if need_e else None,
            unbroadcast(gy * (self.end - self.start), w.shape) if need_w else None,
        )


class Copysign(Function):
    """y = |a| with the sign of b;  da = gy * y / a (0 where a = 0),  db = 0 (as PyTorch)."""

    def forward(self, a, b):
        self.a, self.b_shape = a, b.shape
        self.y = np.copysign(a, b)
        return self.y

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:
            nonzero = self.a != 0
            ratio = np.where(nonzero, self.y / np.where(nonzero, self.a, 1), 0)
            ga = unbroadcast(gy * ratio.astype(gy.dtype, copy=False), self.a.shape)
        if need_b:
            gb = np.zeros(self.b_shape, dtype=gy.dtype)
        return ga, gb


# W. J. Cody's coefficients (SPECFUN CALERF): erf on |x| <= 0.46875, then erfc * e**(x**2)
# on (0.46875, 4], then erfc * x * e**(x**2) in powers of 1/x**2 beyond 4.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_ERF_XBIG = 26.543  # erfc underflows beyond this


def _erf64(x):
    """erf of a float64 array, vectorized over all three of Cody's intervals."""
    y = np.abs(x)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        # |x| <= 0.46875: erf directly.
        z = y * y
        num, den = _ERF_A[4] * z, z
        for a, b in zip(_ERF_A[:3], _ERF_B[:3]):
            num, den = (num + a) * z, (den + b) * z
        small = x * (num + _ERF_A[3]) / (den + _ERF_B[3])

        # e**(-y**2) with y**2 split as ysq**2 + del for accuracy (Cody's trick).
        ysq = np.floor(16 * y) / 16
        decay = np.exp(-ysq * ysq) * np.exp(-(y - ysq) * (y + ysq))

        # 0.46875 < |x| <= 4: erfc = e**(-y**2) * R(y).
        num, den = _ERF_C[8] * y, y
        for c, d in zip(_ERF_C[:7], _ERF_D[:7]):
            num, den = (num + c) * y, (den + d) * y
        mid = decay * (num + _ERF_C[7]) / (den + _ERF_D[7])

        # |x| > 4: erfc = e**(-y**2) / y * (1/sqrt(pi) - R(1/y**2) / y**2).
        z = 1 / (y * y)
        num, den = _ERF_P[5] * z, z
        for p, q in zip(_ERF_P[:4], _ERF_Q[:4]):
            num, den = (num + p) * z, (den + q) * z
        r = z * (num + _ERF_P[4]) / (den + _ERF_Q[4])
        big = np.where(y < _ERF_XBIG, decay * (1 / math.sqrt(math.pi) - r) / y, 0.0)

        erfc = np.where(y <= 4.0, mid, big)
        out = np.where(y <= 0.46875, small, np.copysign(1 - erfc, x))
    return np.where(np.isnan(x), np.nan, out)


def _giles_erfinv(x):
    """M. Giles' single-precision erfinv approximation (relative error about 1e-7)."""
    w = -np.log((1 - x) * (1 + x))
    central, tail = w - 2.5, np.sqrt(w) - 3
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * central
    q = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
        q = c + q * tail
    return np.where(w < 5, p, q) * x


def _erfinv64(x):
    """erfinv of a float64 array: Giles' approximation, then two Newton steps on erf."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        inside = np.abs(x) < 1
        xi = np.where(inside, x, 0.0)
        y = _giles_erfinv(xi)
        for _ in range(2):
            y = y - (_erf64(y) - xi) / (_TWO_OVER_SQRT_PI * np.exp(-y * y))
        edge = np.where(np.abs(x) == 1, np.copysign(np.inf, x), np.nan)
        return np.where(inside, y, edge)


def _float_dtype(x):
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) * integral of e**(-t**2) from 0 to x;
    dx = gy * 2/sqrt(pi) * e**(-x**2)."""

    def forward(self, x):
        self.x = x
        return _erf64(backend.asarray(x, dtype=np.float64)).astype(_float_dtype(x), copy=False)

    def backward(self, gy):
        return gy * (_TWO_OVER_SQRT_PI * np.exp(-self.x * self.x))


class Erfinv(Function):
    """y = erfinv(x), the inverse of erf on (-1, 1);  dx = gy * sqrt(pi)/2 * e**(y**2)."""

    def forward(self, x):
        self.y = _erfinv64(backend.asarray(x, dtype=np.float64)).astype(_float_dtype(x), copy=False)
        return self.y

    def backward(self, gy):
        with np.errstate(over="ignore"):
            return gy * (_SQRT_PI_OVER_TWO * np.exp(self.y * self.y))


def log2(x) -> Tensor:
    """Base-2 logarithm."""
    return Log2()(constant(x))


def log10(x) -> Tensor:
    """Base-10 logarithm."""
    return Log10()(constant(x))


def log1p(x) -> Tensor:
    """ln(1 + x), accurate for small x."""
    return Log1p()(constant(x))


def expm1(x) -> Tensor:
    """e**x - 1, accurate for small x."""
    return Expm1()(constant(x))


def logaddexp(x, y) -> Tensor:
    """ln(e**x + e**y) without overflow, with broadcasting.

    >>> import glassnet
    >>> from glassnet.autograd.ops.exponential import logaddexp
    >>> round(float(logaddexp(glassnet.tensor(1000.0), glassnet.tensor(1000.0)).numpy()), 2)
    1000.69
    """
    return LogAddExp()(*operands(x, y))


def square(x) -> Tensor:
    """x * x."""
    return Square()(constant(x))


def rsqrt(x) -> Tensor:
    """1 / sqrt(x)."""
    return Rsqrt()(constant(x))


def reciprocal(x) -> Tensor:
    """1 / x (a float result, also for integer x)."""
    x = constant(x)
    if x.data.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float64), None)
    return Reciprocal()(x)


def lerp(start, end, weight) -> Tensor:
    """start + weight * (end - start), as ``torch.lerp``; ``weight`` a tensor or a number,
    all three broadcast together."""
    start, end = operands(start, end)
    start, weight = operands(start, weight)
    end, start = operands(end, start)
    return Lerp()(start, end, weight)


def copysign(x, y) -> Tensor:
    """|x| with the sign of y, with broadcasting; the gradient flows to x only (as PyTorch)."""
    return Copysign()(*operands(x, y))


def erf(x) -> Tensor:
    """The error function (Cody's rational approximation; no SciPy needed)."""
    return Erf()(constant(x))


def erfinv(x) -> Tensor:
    """The inverse error function: ±inf at ±1, NaN outside [-1, 1]."""
    return Erfinv()(constant(x))
