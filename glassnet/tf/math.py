"""``tf.math``: elementwise math, reductions (``reduce_*``), scans, top_k and segment sums,
with TensorFlow's names and defaults over the op library.

Reductions keep an integer input's dtype, as tf does (``reduce_sum`` of int32 is int32, and
``reduce_mean`` of integers is their truncated integer mean).

>>> import glassnet as tf
>>> tf.math.reduce_sum([[1, 2], [3, 4]], axis=1).tolist()
[3, 7]
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops import (  # noqa: F401 - re-exported under tf's names
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    ceil,
    cos,
    cosh,
    cumprod,
    equal,
    erf,
    erfinv,
    exp,
    expm1,
    floor,
    greater,
    greater_equal,
    l2_normalize,
    less,
    less_equal,
    log,
    log1p,
    log_sigmoid,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    not_equal,
    pow,
    reciprocal,
    round,
    rsqrt,
    segment_sum,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    softplus,
    sqrt,
    square,
    tan,
    tanh,
    unsorted_segment_sum,
)
from glassnet.autograd.ops._operands import constant, normalize_axis, operands
from glassnet.autograd.ops.special import digamma, lgamma
from glassnet.tf.core import argmax, argmin, cumsum  # noqa: F401 - tf.math has them too
from glassnet.tf.dtypes import int32, int64, numpy_dtype

# bincount is tf.math's only (no tf.bincount): left out of __all__, which the top level
# takes, so glassnet.bincount stays the op library's (rows of a 2-D x counted apart).
__all__ = [
    "digamma", "divide", "divide_no_nan", "floordiv", "floormod", "is_finite", "is_inf",
    "is_nan", "lgamma", "mod", "multiply", "multiply_no_nan", "negative", "reduce_all",
    "reduce_any",
    "reduce_euclidean_norm", "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_std", "reduce_sum", "reduce_variance", "squared_difference",
    "subtract", "truediv",
]

subtract = ops.sub
multiply = ops.mul
negative = ops.neg
floordiv = ops.floor_divide
floormod = mod = ops.mod  # the remainder with the divisor's sign, as Python's %
is_nan, is_inf, is_finite = ops.isnan, ops.isinf, ops.isfinite
cumulative_logsumexp = ops.logcumsumexp


def divide(x, y, name=None):
    """x / y; integers divide to floating point (float64), as tf."""
    return ops.div(x, y)


truediv = divide


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y is 0 (also its gradient there), instead of inf or NaN.

    >>> divide_no_nan([1.0, 2.0], [0.0, 4.0]).tolist()
    [0.0, 0.5]
    """
    x, y = operands(x, y)
    zero = y.data == 0
    return ops.where(zero, 0.0, x / ops.where(zero, 1.0, y))


def multiply_no_nan(x, y, name=None):
    """x * y, and 0 where y is 0 even if x is inf or NaN."""
    x, y = operands(x, y)
    return ops.where(y.data == 0, 0.0, x) * y  # x is zeroed first: inf * 0 would be NaN


def squared_difference(x, y, name=None):
    """(x - y)**2, elementwise with broadcasting."""
    return ops.square(ops.sub(x, y))


# -- reductions ---------------------------------------------------------------------------------


def _axes(x, axis, op):
    if axis is not None and not isinstance(axis, (int, np.integer)):
        axis = tuple(int(a) for a in np.asarray(axis.data if hasattr(axis, "data") else axis)
                     .reshape(-1))
    return normalize_axis(axis, x.ndim, op)


def _reduce(fn, input_tensor, axis, keepdims, op, keep_int=True):
    x = constant(input_tensor)
    out = fn(x, _axes(x, axis, op), bool(keepdims))
    if keep_int and x.data.dtype.kind in "iu" and out.data.dtype != x.data.dtype:
        out = ops.cast(out, x.data.dtype)  # NumPy widens int32 sums to int64; tf does not
    return out


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum over ``axis`` (None: all)."""
    return _reduce(ops.sum, input_tensor, axis, keepdims, "reduce_sum")


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over ``axis``; of integers, the integer mean truncated toward 0, as tf.

    >>> reduce_mean([1, 2]).item(), reduce_mean([1.0, 2.0]).item()
    (1, 1.5)
    """
    x = constant(input_tensor)
    if x.data.dtype.kind in "iub":
        axes = _axes(x, axis, "reduce_mean")
        total = np.sum(x.data, axis=axes, keepdims=bool(keepdims))
        count = int(np.prod([x.shape[a] for a in axes]))
        return ops.cast(constant(np.trunc(total / count)), x.data.dtype)
    return _reduce(ops.mean, x, axis, keepdims, "reduce_mean")


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """Largest entry over ``axis``; tied maxima share the gradient."""
    return _reduce(ops.max, input_tensor, axis, keepdims, "reduce_max")


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """Smallest entry over ``axis``; tied minima share the gradient."""
    return _reduce(ops.min, input_tensor, axis, keepdims, "reduce_min")


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """Product over ``axis``."""
    return _reduce(ops.prod, input_tensor, axis, keepdims, "reduce_prod")


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical or over ``axis`` (bool)."""
    return _reduce(ops.any, input_tensor, axis, keepdims, "reduce_any", keep_int=False)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical and over ``axis`` (bool)."""
    return _reduce(ops.all, input_tensor, axis, keepdims, "reduce_all", keep_int=False)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Population variance (divided by n) over ``axis``."""
    return _reduce(ops.var, input_tensor, axis, keepdims, "reduce_variance")


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Population standard deviation over ``axis``."""
    return _reduce(ops.std, input_tensor, axis, keepdims, "reduce_std")


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) over ``axis``, stable for any magnitude."""
    return _reduce(ops.logsumexp, input_tensor, axis, keepdims, "reduce_logsumexp")


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x**2)) over ``axis``."""
    x = constant(input_tensor)
    return ops.sqrt(_reduce(ops.sum, x * x, axis, keepdims, "reduce_euclidean_norm"))


def count_nonzero(input, axis=None, keepdims=None, dtype=int64, name=None):  # noqa: A002
    """The number of nonzero entries over ``axis`` (int64)."""
    x = constant(input)
    out = ops.count_nonzero(x, _axes(x, axis, "count_nonzero"), bool(keepdims))
    return ops.cast(out, numpy_dtype(dtype))


TopKV2 = namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type=int32, name=None):  # noqa: A002
    """(values, indices) of the ``k`` largest entries along the last axis; the indices are
    int32, as tf; the gradient of the values goes to where they came from.

    >>> top_k([1.0, 3.0, 2.0], k=2).indices.tolist()
    [1, 2]
    """
    values, indices = ops.top_k(input, k, -1, True, sorted)
    return TopKV2(values, ops.cast(indices, numpy_dtype(index_type)))


def in_top_k(targets, predictions, k, name=None):
    """Whether each row's target class is among its ``k`` largest predictions (bool)."""
    p = constant(predictions).data
    t = np.asarray(constant(targets).data).astype(np.int64)
    target_score = p[np.arange(p.shape[0]), t]
    return constant((p > target_score[:, None]).sum(axis=1) < k)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=int32,
                     name=None):
    """m[i, j] = how many samples of class i were predicted as j (or their summed weights).

    >>> confusion_matrix([0, 1, 1], [0, 1, 0]).tolist()
    [[1, 0], [1, 1]]
    """
    y = np.asarray(constant(labels).data).reshape(-1)
    p = np.asarray(constant(predictions).data).reshape(-1)
    if y.shape != p.shape:
        raise ValueError(f"confusion_matrix: labels and predictions must have the same "
                         f"length; received {y.size} and {p.size}")
    if (y.size and min(y.min(), p.min()) < 0) or y.dtype.kind not in "iu" \
            or p.dtype.kind not in "iu":
        raise ValueError("confusion_matrix: labels and predictions must be non-negative "
                         "integers")
    n = int(num_classes) if num_classes is not None else int(max(y.max(), p.max()) + 1) \
        if y.size else 0
    if y.size and max(y.max(), p.max()) >= n:
        raise ValueError(f"confusion_matrix: labels and predictions must be < "
                         f"num_classes={n}")
    w = None if weights is None else np.asarray(constant(weights).data).reshape(-1)
    counts = np.bincount(y * n + p, weights=w, minlength=n * n).reshape(n, n)
    return constant(counts.astype(numpy_dtype(dtype)))


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=int32, name=None,
             axis=None, binary_output=False):
    """Counts (or summed ``weights``) of each value of ``arr`` (non-negative integers) over
    the whole tensor; the result has max(arr) + 1 bins, at least ``minlength`` and at most
    ``maxlength`` (larger values are dropped). ``binary_output``: 1 where a value occurs."""
    x = constant(arr)
    if axis not in (None, 0, -1):
        raise ValueError(f"bincount: axis must be None, 0 or -1; received {axis}")
    if axis is None:
        x = ops.reshape(x, (-1,))
    keep = None
    if maxlength is not None:
        keep = x.data < int(maxlength)
        x = constant(x.data[keep]) if x.ndim == 1 else ops.where(keep, x, 0)
        if weights is not None and x.ndim == 1:  # (weights keep their gradient)
            weights = ops.reshape(constant(weights), (-1,))[np.flatnonzero(keep.reshape(-1))]
    elif weights is not None and axis is None:
        weights = ops.reshape(constant(weights), (-1,))
    counts = ops.bincount(x, weights, minlength=int(minlength or 0))
    if maxlength is not None:
        counts = counts[..., :int(maxlength)]
    if binary_output:
        counts = ops.cast(counts > 0, counts.dtype)
    return counts if weights is not None else ops.cast(counts, numpy_dtype(dtype))
