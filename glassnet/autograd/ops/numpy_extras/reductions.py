"""Reduction extras: nan-aware reductions (nansum, nanmean, nanmax, nanmin, nanprod, nanvar,
nanstd, nanargmax, nanargmin, nancumsum, nancumprod), average, ptp, trace, diff, trapezoid,
corrcoef. Each is composed from the library's reductions, so its gradient is theirs; a nan
entry gets gradient 0.

>>> import glassnet, math
>>> glassnet.nansum(glassnet.tensor([1.0, math.nan, 2.0])).item()
3.0
"""

from __future__ import annotations

import builtins

import numpy as np

from glassnet import backend
from glassnet.autograd import ops as _lib  # for ops of sibling modules, looked up on use
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.arithmetic import add, div, mul, sub
from glassnet.autograd.ops.elementwise import sqrt, where
from glassnet.autograd.ops.reduction import argmax, argmin, max, min, sum
from glassnet.autograd.ops.scans import cumprod, cumsum
from glassnet.autograd.ops.shape import reshape, transpose
from glassnet.autograd.tensor import Tensor

__all__ = [
    "average", "corrcoef", "diff", "nanargmax", "nanargmin", "nancumprod", "nancumsum",
    "nanmax", "nanmean", "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "ptp", "trace",
    "trapezoid",
]


def _filled(x, value):
    """x with its nan entries replaced by ``value`` (they get no gradient)."""
    x = constant(x)
    if x.dtype.kind != "f":
        return x, backend.get_array_module(x.data).zeros(x.shape, bool)
    nan = np.isnan(x.data)
    return where(nan, x.dtype.type(value), x), nan


def nansum(x, axis=None, keepdims=False) -> Tensor:
    """The sum ignoring nan."""
    return sum(_filled(x, 0)[0], axis, keepdims)


def _count(nan, axis, keepdims, dtype):
    return Tensor(np.sum(~nan, axis=normalize_axis(axis, nan.ndim, "nanmean"),
                         keepdims=keepdims).astype(dtype))


def nanmean(x, axis=None, keepdims=False) -> Tensor:
    """The mean of the non-nan entries (nan where there are none)."""
    filled, nan = _filled(x, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return div(sum(filled, axis, keepdims), _count(nan, axis, keepdims, filled.dtype))


def nanmax(x, axis=None, keepdims=False) -> Tensor:
    """The maximum ignoring nan (-inf where every entry is nan)."""
    return max(_filled(x, -np.inf)[0], axis, keepdims)


def nanmin(x, axis=None, keepdims=False) -> Tensor:
    """The minimum ignoring nan (+inf where every entry is nan)."""
    return min(_filled(x, np.inf)[0], axis, keepdims)


def nanprod(x, axis=None, keepdims=False) -> Tensor:
    """The product ignoring nan (nan counts as 1)."""
    return _lib.prod(_filled(x, 1)[0], axis, keepdims)


def nanvar(x, axis=None, keepdims=False) -> Tensor:
    """The variance of the non-nan entries: nanmean((x - nanmean(x))**2)."""
    filled, nan = _filled(x, 0)
    centered = sub(filled, nanmean(x, axis, keepdims=True))
    return nanmean(where(nan, filled.dtype.type(np.nan), mul(centered, centered)), axis,
                   keepdims)


def nanstd(x, axis=None, keepdims=False) -> Tensor:
    return sqrt(nanvar(x, axis, keepdims))


def nanargmax(x, axis=None, keepdims=False) -> Tensor:
    return argmax(_filled(x, -np.inf)[0], axis, keepdims)


def nanargmin(x, axis=None, keepdims=False) -> Tensor:
    return argmin(_filled(x, np.inf)[0], axis, keepdims)


def nancumsum(x, axis=None) -> Tensor:
    return cumsum(_filled(x, 0)[0], axis)


def nancumprod(x, axis=None) -> Tensor:
    return cumprod(_filled(x, 1)[0], axis)


def average(x, axis=None, weights=None) -> Tensor:
    """sum(x * w) / sum(w) over ``axis`` (the mean without weights); 1-D weights lie along
    ``axis``, as NumPy."""
    x = constant(x)
    if weights is None:
        return _lib.mean(x, axis)
    w = constant(weights, like=x)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1 or w.shape[0] != x.shape[axis]:
            raise ValueError(f"average: weights of shape {w.shape} must have x's shape "
                             f"{x.shape}, or be 1-D of the length of axis {axis}")
        shape = [1] * x.ndim
        shape[axis] = w.shape[0]
        w = reshape(w, tuple(shape))
    ones = Tensor._from_op(backend.get_array_module(x.data).ones(x.shape, x.dtype), None)
    return div(sum(mul(x, w), axis), sum(mul(ones, w), axis))


def ptp(x, axis=None, keepdims=False) -> Tensor:
    """max - min ("peak to peak")."""
    return sub(max(x, axis, keepdims), min(x, axis, keepdims))


def trace(x, offset=0, axis1=0, axis2=1) -> Tensor:
    """The sum of the ``offset`` diagonal of the planes (axis1, axis2)."""
    x = constant(x)
    if x.ndim < 2:
        raise ValueError(f"trace: expected at least 2 axes. Received: shape {x.shape}")
    a, b = normalize_axis((axis1, axis2), x.ndim, "trace")
    rest = tuple(i for i in range(x.ndim) if i not in (a, b))
    planes = transpose(x, rest + (a, b))
    rows, cols = x.shape[a], x.shape[b]
    xp = backend.get_array_module(x.data)
    i = xp.arange(builtins.max(0, -offset), builtins.min(rows, cols - offset))
    if i.size == 0:
        return sum(planes[..., :0, 0], -1)
    return sum(planes[..., i, i + offset], -1)


def diff(a, n=1, axis=-1) -> Tensor:
    """The ``n``-th discrete difference along ``axis``: a[1:] - a[:-1], n times."""
    a = constant(a)
    (axis,) = normalize_axis(axis, a.ndim, "diff")
    if n < 0:
        raise ValueError(f"diff: n must be non-negative. Received: n={n}")
    lead = (slice(None),) * axis
    for _ in range(int(n)):
        a = sub(a[lead + (slice(1, None),)], a[lead + (slice(None, -1),)])
    return a


def trapezoid(y, x=None, dx=1.0, axis=-1) -> Tensor:
    """The integral of y by the trapezoidal rule along ``axis``: sum((y[1:] + y[:-1]) / 2 *
    dx), dx the spacing of the sample points ``x`` when given."""
    y = constant(y)
    (axis,) = normalize_axis(axis, y.ndim, "trapezoid")
    lead = (slice(None),) * axis
    upper, lower = y[lead + (slice(1, None),)], y[lead + (slice(None, -1),)]
    if x is not None:
        x = constant(x, like=y)
        step = diff(x, 1, -1 if x.ndim == 1 else axis)
        if x.ndim == 1 and y.ndim > 1:
            shape = [1] * y.ndim
            shape[axis] = step.shape[0]
            step = reshape(step, tuple(shape))
    else:
        step = dx
    return sum(mul(mul(add(upper, lower), step), 0.5), axis)


def corrcoef(x) -> Tensor:
    """Pearson correlation coefficients of the rows of x (variables) over its columns."""
    x = constant(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"corrcoef: expected a 1-D or 2-D tensor. Received: shape {x.shape}")
    if x.ndim == 1:
        x = reshape(x, (1, -1))
    centered = sub(x, _lib.mean(x, 1, keepdims=True))
    cov = _lib.matmul(centered, transpose(centered))
    i = backend.get_array_module(x.data).arange(x.shape[0])
    d = sqrt(cov[i, i])
    return div(div(cov, reshape(d, (-1, 1))), reshape(d, (1, -1)))
