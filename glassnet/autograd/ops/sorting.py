"""Sorting along an axis: sort, argsort, top_k.

Every order here is stable: equal elements keep their original order, ascending or
descending (as ``torch.sort(stable=True)``), and NaN counts as the largest value (last when
ascending, first when descending, as PyTorch). The gradient of sorted values goes back through
the permutation: each input element gets the upstream gradient of the position it moved to.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.shape import reshape
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["argsort", "sort", "top_k"]

# top_k partitions (O(n)) instead of sorting (O(n log n)) when k is at most this share of n
_PARTITION_SHARE = 0.25


def _stable_order(x, axis, descending):
    """Indices that sort ``x`` along ``axis``, equal elements in their original order.

    Descending: sort the reversed array ascending (stable), then reverse that order back; the
    last of a run of equals in the reversed array is the first in the original one.
    """
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    reversed_order = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(reversed_order, axis)


def _scatter(gy, indices, axis, shape):
    """The gradient of ``take_along_axis(x, indices, axis)``: gy put back where it was read
    (the indices along an axis are distinct, so nothing adds up)."""
    g = np.zeros(shape, gy.dtype)
    np.put_along_axis(g, indices, gy, axis=axis)
    return g


class Sort(Function):
    """y = x permuted along ``axis`` into sorted order p (y_j = x_{p_j});  dx_{p_j} = gy_j."""

    def __init__(self, axis, descending):
        self.axis, self.descending = axis, descending

    def forward(self, x):
        self.in_shape = x.shape
        self.order = _stable_order(x, self.axis, self.descending)
        return np.take_along_axis(x, self.order, axis=self.axis)

    def backward(self, gy):
        return _scatter(gy, self.order, self.axis, self.in_shape)


class TopK(Function):
    """y = the k largest (or smallest) elements along ``axis``, at indices i;  dx_i = gy, 0 for
    the elements not chosen."""

    def __init__(self, axis, k, largest, sorted):
        self.axis, self.k, self.largest, self.sorted = axis, k, largest, sorted

    def forward(self, x):
        self.in_shape = x.shape
        self.indices = _top_k_indices(x, self.k, self.axis, self.largest, self.sorted)
        return np.take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, gy):
        return _scatter(gy, self.indices, self.axis, self.in_shape)


def _top_k_indices(x, k, axis, largest, sorted):
    """Indices of the top k along ``axis``: ties go to the lower index (as TensorFlow)."""
    n = x.shape[axis]
    has_nan = x.dtype.kind == "f" and np.isnan(x).any()
    if k > _PARTITION_SHARE * n or has_nan:
        # NaN has no place in the threshold comparisons below: sort fully
        order = _stable_order(x, axis, descending=largest)
        indices = np.take(order, np.arange(k), axis=axis)
        return indices if sorted else np.sort(indices, axis=axis)
    # the k-th largest (smallest) value t by partition; take everything beyond t, then the
    # first (lowest-index) elements equal to t until there are k
    t = np.take(np.partition(x, n - k if largest else k - 1, axis=axis),
                [n - k if largest else k - 1], axis=axis)
    beyond = x > t if largest else x < t
    at = x == t
    missing = k - beyond.sum(axis=axis, keepdims=True)
    chosen = beyond | (at & (np.cumsum(at, axis=axis) <= missing))
    # exactly k chosen per slice: their positions, in increasing order, by nonzero
    moved = np.moveaxis(chosen, axis, -1)
    columns = np.nonzero(moved)[-1].reshape(*moved.shape[:-1], k)
    indices = np.moveaxis(columns, -1, axis)
    if not sorted:
        return indices
    values = np.take_along_axis(x, indices, axis=axis)
    return np.take_along_axis(indices, _stable_order(values, axis, largest), axis=axis)


def _sort_axis(x, axis, name):
    """(x reshaped so that ``axis`` names a real axis, that axis, the output shape)."""
    if axis is None:
        return x.data.reshape(-1), 0, (x.size,)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an integer or None; received {axis!r}")
    normalize_axis(axis, x.ndim, name)
    if x.ndim == 0:  # one element on axis 0 / -1, as PyTorch
        return x.data.reshape(1), 0, ()
    return x.data, int(axis) % x.ndim, x.shape


def _check_flags(name, **flags):
    for key, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name}: {key} must be a bool; received {value!r}")


def sort(x, axis=-1, descending=False, stable=True) -> Tensor:
    """The elements of ``x`` sorted along ``axis`` (None: the flattened input).

    Always stable (``stable`` is accepted for PyTorch's signature): equal elements keep their
    order, descending too. NaN sorts as the largest value. The gradient goes back through the
    permutation.

    >>> sort([3.0, 1.0, 2.0]).tolist()
    [1.0, 2.0, 3.0]
    >>> sort([[3.0, 1.0], [0.0, 5.0]], axis=0, descending=True).tolist()
    [[3.0, 5.0], [0.0, 1.0]]
    """
    x = constant(x)
    _check_flags("sort", descending=descending, stable=stable)
    data, ax, out_shape = _sort_axis(x, axis, "sort")
    fn = Sort(ax, bool(descending))
    if data.shape == x.shape:
        return fn(x)
    return reshape(fn(reshape(x, data.shape)), out_shape)


def argsort(x, axis=-1, descending=False, stable=True) -> Tensor:
    """The int64 indices that sort ``x`` along ``axis`` (None: the flattened input); no
    gradient. Stable: equal elements keep their original order, descending too (as
    ``torch.sort(stable=True, descending=True)``).

    >>> argsort([2.0, 1.0, 2.0, 0.0], descending=True).tolist()
    [0, 2, 1, 3]
    """
    x = constant(x)
    _check_flags("argsort", descending=descending, stable=stable)
    data, ax, out_shape = _sort_axis(x, axis, "argsort")
    order = _stable_order(data, ax, bool(descending)).astype(np.int64, copy=False)
    return Tensor._from_op(order.reshape(out_shape), None)


def top_k(x, k, axis=-1, largest=True, sorted=True) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(values, indices): the ``k`` largest (``largest=False``: smallest) elements along
    ``axis`` and their int64 positions.

    ``sorted=True`` orders them largest first (smallest first for ``largest=False``); ties go
    to the lower index, as ``tf.math.top_k``. ``sorted=False`` gives them in index order.
    When k is small against the axis length, a partition (O(n)) finds them instead of a full
    sort. The gradient flows through the values to the chosen elements.

    Raises ValueError unless 1 <= k <= the size of ``axis``.

    >>> values, indices = top_k([1.0, 5.0, 3.0, 5.0], 2)
    >>> values.tolist(), indices.tolist()
    ([5.0, 5.0], [1, 3])
    """
    x = constant(x)
    _check_flags("top_k", largest=largest, sorted=sorted)
    if isinstance(k, (Tensor, np.ndarray)) and k.ndim == 0 and k.dtype.kind in "iu":
        k = int(k.item())  # a k computed as a 0-d integer tensor (tf.math.top_k allows it)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"top_k: k must be an integer; received k={k!r} of type "
                        f"{type(k).__name__}")
    if axis is None:
        raise TypeError("top_k: axis must be an integer; received None")
    data, ax, _ = _sort_axis(x, axis, "top_k")
    n = data.shape[ax]
    if not 1 <= k <= n:
        raise ValueError(f"top_k: k must be between 1 and the size of axis {axis} ({n}); "
                         f"received k={k}")
    fn = TopK(ax, int(k), bool(largest), bool(sorted))
    if x.ndim == 0:
        values = reshape(fn(reshape(x, (1,))), ())
    else:
        values = fn(x)
    indices = fn.indices.astype(np.int64, copy=False).reshape(values.shape)
    return values, Tensor._from_op(indices, None)
