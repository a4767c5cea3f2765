"""Turning op arguments into tensors: constants take the dtype of the tensor they meet."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor


def constant(value, like=None):
    """``value`` as a tensor outside the graph; a number meeting a float tensor takes its dtype.

    So ``x * 2`` stays float32 for a float32 ``x`` (as in PyTorch), instead of NumPy's float64.
    """
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if like is not None and like.data.dtype.kind == "f" and array.dtype.kind in "fiub":
        array = array.astype(like.data.dtype, copy=False)
    return Tensor(array)


def operands(a, b):
    """Two op arguments as tensors of a common kind (an integer one meeting a float is cast)."""
    if not isinstance(a, Tensor):
        a = constant(a, like=b)
    if not isinstance(b, Tensor):
        b = constant(b, like=a)
    da, db = a.data.dtype, b.data.dtype
    if da != db:
        if da.kind == "f" and db.kind != "f":
            b = Tensor._from_op(b.data.astype(da), None)
        elif db.kind == "f" and da.kind != "f":
            a = Tensor._from_op(a.data.astype(db), None)
    return a, b


def normalize_axis(axis, ndim, op):
    """``axis`` (int, tuple or None) as a tuple of non-negative axes, checked against ``ndim``."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions "
                f"(expected -{ndim} <= axis < {ndim})"
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis} repeats an axis")
    return tuple(out)
