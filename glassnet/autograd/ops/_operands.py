"""Turning op arguments into tensors: constants take the dtype of the tensor they meet."""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor


def constant(value, like=None):
    """``value`` as a tensor outside the graph; a number meeting a float tensor takes its dtype.

    So ``x * 2`` stays float32 for a float32 ``x`` (as in PyTorch), instead of NumPy's float64.
    """
    if isinstance(value, Tensor):
        return value
    array = backend.asarray(value)
    if like is not None and type(like.data) is not np.ndarray and backend.on_device(like.data):
        array = backend.to_device(array, backend.device_of(like.data))  # beside its partner
    if like is not None and like.data.dtype.kind == "f" and array.dtype.kind in "fiub":
        # The dtype given, not only the cast: Tensor() would turn float64 into floatx.
        return Tensor(array.astype(like.data.dtype, copy=False), dtype=like.data.dtype)
    return Tensor(array)


def no_grad_tensor(data) -> Tensor:
    """``data`` as a tensor outside the graph (an index, a mask, a count: no gradient)."""
    return Tensor._from_op(backend.as_array(data), None)


def int_array(value, name, op):
    """``value`` (an int, a sequence, an array or an integer tensor) as an int64 NumPy array;
    a TypeError naming ``op`` and ``name`` for anything else."""
    data = backend.asarray(value.data if isinstance(value, Tensor) else value)
    if data.size == 0 and data.dtype.kind == "f":  # [] holds no numbers, not floats
        data = data.astype(np.int64)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers; received dtype {data.dtype}")
    return data.astype(np.int64, copy=False)


def operands(a, b):
    """Two op arguments as tensors of a common kind (an integer one meeting a float is cast)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a, b = constant(a), constant(b)
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
    """``axis`` (int, tuple or None) as a tuple of non-negative axes, checked against ``ndim``.

    As in PyTorch, a 0-d tensor accepts axis 0 and -1 (it is treated as having one axis of
    size 1); they name no axis of its own, so the result is ``()``.
    """
    if axis is None:
        return tuple(range(ndim))
    try:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    except TypeError:
        raise TypeError(f"{op}: an axis must be an integer; received {axis!r}") from None
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: an axis must be an integer; received {a!r}")
        if ndim == 0:
            if a not in (0, -1):
                raise ValueError(
                    f"{op}: axis {a} is out of range for a 0-d tensor (ndim 0 accepts only "
                    f"axis 0 or -1)"
                )
            continue
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions "
                f"(expected -{ndim} <= axis < {ndim})"
            )
        out.append(int(a) % ndim)
    if len(set(out)) != len(out) or (ndim == 0 and len(axes) > 1):
        raise ValueError(f"{op}: axis {axis} repeats an axis")
    return tuple(out)
