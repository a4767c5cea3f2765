"""``keras.ops.numpy``'s reductions, statistics and sorting (re-exported by ``numpy``):
Keras's argument names and defaults over glassnet's ops.

>>> from glassnet.keras import ops
>>> ops.median(ops.convert_to_tensor([3.0, 1.0, 2.0])).item()
2.0
"""

from __future__ import annotations

from glassnet.autograd import ops as _ops
from glassnet.keras.ops.core import convert_to_numpy, convert_to_tensor, floating

_t = convert_to_tensor

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "argpartition", "argsort", "average",
    "bincount", "corrcoef", "count_nonzero", "cumprod", "cumsum", "diff", "digitize",
    "histogram", "max", "mean", "median", "min", "nanargmax", "nanargmin", "nancumprod",
    "nancumsum", "nanmax", "nanmean", "nanmin", "nanprod", "nanstd", "nansum", "nanvar",
    "percentile", "prod", "ptp", "quantile", "searchsorted", "sort", "std", "sum", "trace",
    "trapezoid", "unique", "var",
]


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _ops.sum(_t(x), axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return _ops.mean(floating(x), axis, keepdims)


def _with_initial(out, initial, combine):
    return out if initial is None else combine(out, initial)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    return _with_initial(_ops.max(_t(x), axis, keepdims), initial, _ops.maximum)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    return _with_initial(_ops.min(_t(x), axis, keepdims), initial, _ops.minimum)


def amax(x, axis=None, keepdims=False):
    return _ops.max(_t(x), axis, keepdims)


def amin(x, axis=None, keepdims=False):
    return _ops.min(_t(x), axis, keepdims)


def var(x, axis=None, keepdims=False):
    return _ops.var(floating(x), axis, keepdims)


def std(x, axis=None, keepdims=False):
    return _ops.std(floating(x), axis, keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _t(x) if dtype is None else _ops.cast(_t(x), dtype)
    return _ops.prod(x, axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _ops.all(_t(x), axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _ops.any(_t(x), axis, keepdims)


def count_nonzero(x, axis=None):
    return _ops.count_nonzero(_t(x), axis)


def argmax(x, axis=None, keepdims=False):
    return _ops.argmax(_t(x), axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _ops.argmin(_t(x), axis, keepdims)


def _cumulative(op, x, axis, dtype):
    x = _t(x) if dtype is None else _ops.cast(_t(x), dtype)
    return op(x, axis)


def cumsum(x, axis=None, dtype=None):
    return _cumulative(_ops.cumsum, x, axis, dtype)


def cumprod(x, axis=None, dtype=None):
    return _cumulative(_ops.cumprod, x, axis, dtype)


def median(x, axis=None, keepdims=False):
    return _ops.median(floating(x), axis, keepdims)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _ops.quantile(floating(x), q, axis=axis, keepdims=keepdims, method=method)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    # q / 100 in float64, so 30 becomes NumPy's 0.3 rather than float32's 0.30000001
    q = convert_to_numpy(q).astype("float64") / 100.0
    return _ops.quantile(floating(x), q, axis=axis, keepdims=keepdims, method=method)


def sort(x, axis=-1):
    return _ops.sort(_t(x), axis)


def argsort(x, axis=-1):
    return _ops.argsort(_t(x), axis)


def argpartition(x, kth, axis=-1):
    return _ops.argpartition(_t(x), kth, axis)


def searchsorted(sorted_sequence, values, side="left"):
    return _ops.searchsorted(_t(sorted_sequence), _t(values), side=side)


def digitize(x, bins):
    return _ops.digitize(_t(x), _t(bins))


def unique(x, sorted=True, return_index=False, return_inverse=False,  # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """Unique values (always sorted); ``return_index``/``size`` are not supported."""
    if not sorted or return_index or size is not None:
        raise ValueError(f"unique: supported with sorted=True, return_index=False and size=None "
                         f"only. Received: sorted={sorted}, return_index={return_index}, "
                         f"size={size}")
    return _ops.unique(_t(x), return_inverse=return_inverse, return_counts=return_counts,
                       axis=axis)


def average(x, axis=None, weights=None):
    return _ops.average(floating(x), axis, None if weights is None else floating(weights))


def ptp(x, axis=None, keepdims=False):
    return _ops.ptp(_t(x), axis, keepdims)


def trace(x, offset=0, axis1=0, axis2=1):
    return _ops.trace(_t(x), offset, axis1, axis2)


def diff(a, n=1, axis=-1):
    return _ops.diff(_t(a), n, axis)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    return _ops.trapezoid(floating(y), None if x is None else floating(x), dx, axis)


def corrcoef(x):
    return _ops.corrcoef(floating(x))


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("bincount: sparse=True is not supported (glassnet tensors are dense)")
    return _ops.bincount(_t(x), None if weights is None else _t(weights), minlength)


def histogram(x, bins=10, range=None):  # noqa: A002 - Keras's name
    return _ops.histogram(floating(x), bins, range)


def nansum(x, axis=None, keepdims=False):
    return _ops.nansum(_t(x), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    return _ops.nanmean(floating(x), axis, keepdims)


def nanmax(x, axis=None, keepdims=False):
    return _ops.nanmax(_t(x), axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    return _ops.nanmin(_t(x), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    return _ops.nanprod(_t(x), axis, keepdims)


def nanvar(x, axis=None, keepdims=False):
    return _ops.nanvar(floating(x), axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    return _ops.nanstd(floating(x), axis, keepdims)


def nanargmax(x, axis=None, keepdims=False):
    return _ops.nanargmax(_t(x), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return _ops.nanargmin(_t(x), axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    return _cumulative(_ops.nancumsum, x, axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    return _cumulative(_ops.nancumprod, x, axis, dtype)
