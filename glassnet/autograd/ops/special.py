"""The log-gamma and digamma functions, in NumPy alone (no SciPy).

lgamma(x) = log|Gamma(x)| by Lanczos' approximation (g = 7, nine coefficients: relative error
near 1e-15 in float64), with the reflection formula Gamma(x) Gamma(1 - x) = pi / sin(pi x)
for x < 1/2. Its derivative is digamma(x) = d/dx log|Gamma(x)|: shifted up by six with
psi(x) = psi(x + 1) - 1/x, then the asymptotic series
psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k), and reflected for x < 1/2 with
psi(1 - x) - psi(x) = pi cot(pi x). At the poles (0, -1, -2, ...) both are +-inf or NaN, as
PyTorch's.

>>> import glassnet
>>> [round(v, 6) + 0.0 for v in glassnet.lgamma(glassnet.tensor([1.0, 5.0, 0.5])).tolist()]
[0.0, 3.178054, 0.572365]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["digamma", "lgamma"]

_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905,
            -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7)
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
# B_2k / (2k) for k = 1..6 (Bernoulli numbers), the asymptotic series of digamma
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760)


def _lgamma64(x):
    reflect = x < 0.5
    z = np.where(reflect, 1.0 - x, x) - 1.0
    total = np.full_like(z, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], start=1):  # nine terms, each over the whole array
        total = total + c / (z + k)
    t = z + _G + 0.5
    value = _HALF_LOG_TWO_PI + (z + 0.5) * np.log(t) - t + np.log(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        reflected = math.log(math.pi) - np.log(np.abs(np.sin(math.pi * x))) - value
    pole = (x <= 0) & (x == np.floor(x))  # sin(pi x) is not exactly 0 there in floating point
    return np.where(pole, np.inf, np.where(reflect, reflected, value))


def _digamma64(x):
    reflect = x < 0.5
    y = np.where(reflect, 1.0 - x, x)
    shift = np.zeros_like(y)
    for k in range(6):  # psi(y) = psi(y + 6) - sum 1/(y + k)
        shift = shift + 1.0 / (y + k)
    w = y + 6.0
    inv2 = 1.0 / (w * w)
    series, power = np.zeros_like(w), np.ones_like(w)
    for c in _DIGAMMA_SERIES:
        power = power * inv2
        series = series + c * power
    value = np.log(w) - 0.5 / w - series - shift
    with np.errstate(divide="ignore", invalid="ignore"):
        reflected = value - math.pi / np.tan(math.pi * x)
    # as PyTorch: -inf at 0, NaN at the negative integers
    out = np.where(reflect, reflected, value)
    return np.where(x == 0, -np.inf, np.where((x < 0) & (x == np.floor(x)), np.nan, out))


def _float_dtype(x):
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)


class LGamma(Function):
    """y = log|Gamma(x)|;  dx = gy * digamma(x)."""

    def forward(self, x):
        self.x = x
        return _lgamma64(np.asarray(x, np.float64)).astype(_float_dtype(x), copy=False)

    def backward(self, gy):
        return gy * _digamma64(np.asarray(self.x, np.float64)).astype(gy.dtype, copy=False)


def lgamma(x) -> Tensor:
    """log|Gamma(x)| (Lanczos' approximation; no SciPy needed)."""
    return LGamma()(constant(x))


def digamma(x) -> Tensor:
    """psi(x) = d/dx log|Gamma(x)| (no gradient: its derivative, trigamma, is not here)."""
    x = constant(x)
    values = _digamma64(np.asarray(x.data, np.float64)).astype(_float_dtype(x.data))
    return Tensor(values, dtype=values.dtype)
