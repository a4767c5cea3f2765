"""Array utilities tutorials call before training: to_categorical, normalize."""

from __future__ import annotations

import numpy as np

from glassnet import checks


def _numeric_array(x, arg, owner):
    """``x`` as a numeric NumPy array, raising a ValueError naming ``arg`` for ragged or
    non-numeric input (instead of NumPy's inhomogeneous-shape or conversion errors)."""
    try:
        a = np.asarray(x)
    except ValueError:
        raise ValueError(f"{owner}: `{arg}` must be a rectangular array of numbers; received "
                         f"a ragged nested sequence (sublists of different lengths)") from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"{owner}: `{arg}` must hold numbers; received an array of dtype "
                         f"{a.dtype} (of shape {a.shape})")
    return a


def to_categorical(x, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels: shape (..., ) -> (..., num_classes).

    >>> to_categorical([0, 2], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    y = _numeric_array(x, "x", "to_categorical")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and not np.array_equal(y, np.round(y)):
        bad = y[y != np.round(y)].ravel()[0] if np.isfinite(y).all() else \
            y[~np.isfinite(y)].ravel()[0]
        raise ValueError(f"to_categorical: labels must be whole numbers (class indices); "
                         f"received {bad.item()!r}")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative class indices; "
                         f"received {y.min()}")
    if num_classes is None:
        if not y.size:
            raise ValueError("to_categorical: cannot infer num_classes from empty labels; "
                             "pass num_classes")
        n = int(y.max()) + 1
    else:
        n = checks.integer(num_classes, "num_classes", "to_categorical", 1)
    if y.size and y.max() >= n:
        raise ValueError(f"to_categorical: label {y.max()} is out of range for "
                         f"num_classes={n} (labels must be in [0, {n}))")
    try:
        out = np.zeros((*y.shape, n), dtype=dtype)
    except TypeError:
        raise TypeError(f"to_categorical: `dtype` is not a data type. Received: "
                        f"dtype={dtype!r}") from None
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero)."""
    x = _numeric_array(x, "x", "normalize")
    x = x.astype(np.float64 if x.dtype == np.float64 else np.float32)
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"normalize: `axis` must be an integer. Received: axis={axis!r} "
                        f"(of type {type(axis).__name__})")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"normalize: `axis` {axis} is out of bounds for `x` of shape "
                         f"{x.shape} ({x.ndim} dimensions). Received: axis={axis}")
    if isinstance(order, (bool, np.bool_)) or \
            not isinstance(order, (int, float, np.integer, np.floating)):
        raise ValueError(f"normalize: `order` must be a number (the p of the p-norm, e.g. 1, "
                         f"2 or np.inf). Received: order={order!r}")
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
