"""Reading and writing by index: take, take_along_axis, scatter, scatter_update, slice_update,
nonzero, one_hot, searchsorted, unique.

A read (gather) sends each output's gradient back to the element it was read from, so an
element read twice gets the sum (``np.add.at``, never plain assignment, which would keep only
one). A write (scatter) is the reverse: each written value's gradient is read back from the
place it went to. Index outputs (nonzero, searchsorted, unique) carry no gradient.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, int_array, no_grad_tensor, normalize_axis
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "nonzero", "one_hot", "scatter", "scatter_update", "searchsorted", "slice_update", "take",
    "take_along_axis", "unique",
]


def _wrap(indices, size, axis, op):
    """Negative indices counted from the end (as NumPy); any outside [-size, size) is an
    IndexError naming the axis and its size."""
    bad = (indices < -size) | (indices >= size)
    if bad.any():
        raise IndexError(
            f"{op}: index {int(indices[bad].reshape(-1)[0])} is out of range for axis {axis} "
            f"of size {size} (expected -{size} <= index < {size})"
        )
    return np.where(indices < 0, indices + size, indices)


class Take(Function):
    """y = x[..., indices, ...] with ``indices`` (any shape) replacing ``axis``;
    dx[..., j, ...] = sum of gy over the positions whose index is j."""

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.in_shape = x.shape
        return np.take(x, self.indices, axis=self.axis)

    def backward(self, gy):
        ax, k = self.axis, self.indices.ndim
        # gy's index axes, flattened into one and moved first: (m, rest...)
        g = gy.reshape(gy.shape[:ax] + (self.indices.size,) + gy.shape[ax + k:])
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        xp.add.at(xp.moveaxis(gx, ax, 0), self.indices.reshape(-1), xp.moveaxis(g, ax, 0))
        return gx


class TakeAlongAxis(Function):
    """y[..., i, ...] = x[..., indices[..., i, ...], ...] along ``axis`` (``indices`` and x
    broadcast in the other axes);  dx = gy added at those places, summed back over any axis x
    was broadcast along."""

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.in_shape = x.shape
        self.key = self._key(x.shape)
        return x[self.key]

    def _key(self, shape):
        """An index tuple: ``indices`` on ``axis``, a broadcast position grid elsewhere."""
        ndim, xp = len(shape), backend.get_array_module(self.indices)
        # fancy indexing broadcasts these together, as take_along_axis broadcasts x and
        # indices; a size-1 axis of x meeting a longer one of indices reads its one element
        return tuple(
            self.indices if i == self.axis
            else xp.arange(n).reshape([n if j == i else 1 for j in range(ndim)])
            for i, n in enumerate(shape)
        )

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        xp.add.at(gx, self.key, gy)
        return gx


class Scatter(Function):
    """y = zeros(shape) with y[indices[n]] += values[n] for each row n of ``indices``
    (duplicates add);  dvalues[n] = gy[indices[n]]."""

    def __init__(self, key, shape):
        self.key, self.shape = key, shape

    def forward(self, values):
        xp = backend.get_array_module(values)
        out = xp.zeros(self.shape, dtype=values.dtype)
        xp.add.at(out, self.key, values)
        return out

    def backward(self, gy):
        return gy[self.key]


class ScatterUpdate(Function):
    """y = inputs with y[indices[n]] = updates[n] (a repeated index keeps the last update, as
    NumPy's assignment);  dinputs = gy with the overwritten places 0,
    dupdates[n] = gy[indices[n]] for the update that was kept, 0 for the others."""

    def __init__(self, key):
        self.key = key

    def forward(self, inputs, updates):
        out = inputs.copy()
        out[self.key] = updates
        return out

    def backward(self, gy):
        need_inputs, need_updates = self.needs_input_grad
        g_inputs = g_updates = None
        if need_inputs:
            g_inputs = gy.copy()
            g_inputs[self.key] = 0
        if need_updates:
            # which update survived at each place: the same assignment, done with row numbers
            xp, n = backend.get_array_module(gy), len(self.key[0])
            winner = xp.full(gy.shape[:len(self.key)], -1, dtype=np.int64)
            winner[self.key] = xp.arange(n)
            kept = (winner[self.key] == xp.arange(n)).reshape((n,) + (1,) * (gy.ndim - len(
                self.key)))
            g_updates = xp.where(kept, gy[self.key], xp.zeros((), gy.dtype))
        return g_inputs, g_updates


class SliceUpdate(Function):
    """y = inputs with the block ``block`` (slices) replaced by updates;
    dinputs = gy with that block 0,  dupdates = gy[block]."""

    def __init__(self, block):
        self.block = block

    def forward(self, inputs, updates):
        out = inputs.copy()
        out[self.block] = updates
        return out

    def backward(self, gy):
        need_inputs, need_updates = self.needs_input_grad
        g_inputs = None
        if need_inputs:
            g_inputs = gy.copy()
            g_inputs[self.block] = 0
        return g_inputs, gy[self.block].copy() if need_updates else None


def take(x, indices, axis=None) -> Tensor:
    """Elements of x at ``indices`` along ``axis`` (None: of the flattened x), as
    ``np.take``: the result has ``indices``' shape in place of that axis. Negative indices
    count from the end.

    dx_j = sum of the gradient over the places that read element j.

    >>> take([10.0, 20.0, 30.0], [2, 0, -1]).tolist()
    [30.0, 10.0, 30.0]
    """
    x = constant(x)
    idx = int_array(indices, "indices", "take")
    if axis is None:
        x, axis = x.reshape(-1), 0
    elif x.ndim == 0:
        raise ValueError(f"take: a 0-d tensor has no axis {axis}; use axis=None")
    else:
        (axis,) = normalize_axis(axis, x.ndim, "take")
    return Take(_wrap(idx, x.shape[axis], axis, "take"), axis)(x)


def take_along_axis(x, indices, axis=None) -> Tensor:
    """x read at ``indices`` along ``axis``, position by position (``np.take_along_axis``):
    ``indices`` has x's number of dimensions and broadcasts with x in the other axes;
    ``axis=None`` works on the flattened x with 1-D indices.

    >>> take_along_axis([[1.0, 2.0], [3.0, 4.0]], [[1], [0]], axis=1).tolist()
    [[2.0], [3.0]]
    """
    x = constant(x)
    idx = int_array(indices, "indices", "take_along_axis")
    if axis is None:
        x, axis = x.reshape(-1), 0
    if idx.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: indices must have as many dimensions as x; received indices "
            f"of shape {idx.shape} for x of shape {x.shape}"
        )
    if x.ndim == 0:
        raise ValueError("take_along_axis: a 0-d tensor has no axis to take along")
    (axis,) = normalize_axis(axis, x.ndim, "take_along_axis")
    others = [(i, a, b) for i, (a, b) in enumerate(zip(x.shape, idx.shape))
              if i != axis and a != b and 1 not in (a, b)]
    if others:
        i, a, b = others[0]
        raise ValueError(
            f"take_along_axis: x of shape {x.shape} and indices of shape {idx.shape} do not "
            f"broadcast: sizes {a} vs {b} at axis {i}"
        )
    return TakeAlongAxis(_wrap(idx, x.shape[axis], axis, "take_along_axis"), axis)(x)


def _scatter_key(indices, shape, op):
    """``indices`` of shape (N, k) as an index tuple over the first k axes of ``shape``."""
    idx = int_array(indices, "indices", op)
    if idx.ndim == 1:  # one coordinate per row
        idx = idx.reshape(-1, 1)
    if idx.ndim != 2 or idx.shape[1] > len(shape):
        raise ValueError(
            f"{op}: indices must have shape (N, k) with k <= {len(shape)} (the rank of the "
            f"target of shape {tuple(shape)}); received shape {idx.shape}"
        )
    return tuple(_wrap(idx[:, j], shape[j], j, op) for j in range(idx.shape[1]))


def _check_values(values, key, shape, name, op):
    expected = (len(key[0]),) + tuple(shape[len(key):])
    if tuple(values.shape) != expected:
        raise ValueError(
            f"{op}: {name} must have shape {expected} (one row per index, then the "
            f"remaining axes of {tuple(shape)}); received shape {values.shape}"
        )


def scatter(indices, values, shape) -> Tensor:
    """A zeros tensor of ``shape`` with ``values`` added at the coordinates ``indices``
    (N, k): out[indices[n]] += values[n]; repeated coordinates add up (``keras.ops.scatter``).

    dvalues[n] = the gradient at indices[n].

    >>> scatter([[0], [2], [0]], [1.0, 2.0, 3.0], (3,)).tolist()
    [4.0, 0.0, 2.0]
    """
    values = constant(values)
    dims = int_array(shape, "shape", "scatter").reshape(-1)
    if (dims < 0).any():
        raise ValueError(f"scatter: shape must hold non-negative sizes; received {shape}")
    shape = tuple(dims.tolist())
    key = _scatter_key(indices, shape, "scatter")
    _check_values(values, key, shape, "values", "scatter")
    return Scatter(key, shape)(values)


def scatter_update(inputs, indices, updates) -> Tensor:
    """A copy of ``inputs`` with the elements or slices at ``indices`` (N, k) replaced by
    ``updates`` (N, ...) (``keras.ops.scatter_update``; a repeated index keeps the last).

    The gradient goes to inputs everywhere except the replaced places, and to each update
    that was kept from the place it went to.

    >>> scatter_update([1.0, 2.0, 3.0], [[1]], [9.0]).tolist()
    [1.0, 9.0, 3.0]
    """
    inputs = constant(inputs)
    updates = constant(updates, like=inputs)
    key = _scatter_key(indices, inputs.shape, "scatter_update")
    _check_values(updates, key, inputs.shape, "updates", "scatter_update")
    if updates.dtype != inputs.dtype:
        updates = updates.astype(inputs.dtype)
    return ScatterUpdate(key)(inputs, updates)


def slice_update(inputs, start_indices, updates) -> Tensor:
    """A copy of ``inputs`` with the block of ``updates``' shape starting at
    ``start_indices`` (one per axis) replaced by ``updates`` (``keras.ops.slice_update``).

    >>> slice_update([1.0, 2.0, 3.0, 4.0], [1], [8.0, 9.0]).tolist()
    [1.0, 8.0, 9.0, 4.0]
    """
    inputs = constant(inputs)
    updates = constant(updates, like=inputs)
    starts = int_array(start_indices, "start_indices", "slice_update").reshape(-1)
    if updates.ndim != inputs.ndim or starts.size != inputs.ndim:
        raise ValueError(
            f"slice_update: start_indices and updates must have one entry / axis per axis of "
            f"inputs of shape {inputs.shape}; received start_indices {starts.tolist()} and "
            f"updates of shape {updates.shape}"
        )
    for axis, (s, n, size) in enumerate(zip(starts.tolist(), updates.shape, inputs.shape)):
        if s < 0 or s + n > size:
            raise ValueError(
                f"slice_update: a block of shape {updates.shape} starting at "
                f"{starts.tolist()} does not fit inputs of shape {inputs.shape}: on axis "
                f"{axis} it needs 0 <= {s} and {s} + {n} <= {size}"
            )
    if updates.dtype != inputs.dtype:
        updates = updates.astype(inputs.dtype)
    block = tuple(slice(s, s + n) for s, n in zip(starts.tolist(), updates.shape))
    return SliceUpdate(block)(inputs, updates)


def nonzero(x) -> tuple:
    """The indices of the non-zero elements, one int64 tensor per axis (``np.nonzero``).

    >>> [t.tolist() for t in nonzero([[0, 1], [1, 0]])]
    [[0, 1], [1, 0]]
    """
    data = constant(x).data
    if data.ndim == 0:
        raise ValueError("nonzero: expected a tensor with at least 1 dimension; received a "
                         "0-d tensor (use nonzero(reshape(x, (1,))))")
    return tuple(no_grad_tensor(i.astype(np.int64)) for i in np.nonzero(data))


def one_hot(indices, num_classes, axis=-1, dtype=None) -> Tensor:
    """out[..., c, ...] = 1 where indices == c, else 0, with the class axis inserted at
    ``axis``; float32 unless ``dtype``. An index outside [0, num_classes) (negative too) gives
    a row of zeros, as Keras and TensorFlow.

    >>> one_hot([1, -1], 3).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    idx = int_array(indices, "indices", "one_hot")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive integer; received "
                         f"{num_classes!r}")
    (axis,) = normalize_axis(axis, idx.ndim + 1, "one_hot")
    dtype = backend.floatx() if dtype is None else np.dtype(dtype)
    hot = idx[..., None] == backend.get_array_module(idx).arange(int(num_classes))
    return no_grad_tensor(np.moveaxis(hot, -1, axis).astype(dtype))


def searchsorted(sorted_sequence, values, side="left") -> Tensor:
    """For each value, the position in the 1-D ``sorted_sequence`` where it would be inserted
    to keep it sorted: before equal elements (side "left") or after them ("right"); int64.

    >>> searchsorted([1.0, 2.0, 3.0], [2.0, 2.5], side="right").tolist()
    [2, 2]
    """
    seq, vals = constant(sorted_sequence).data, constant(values).data
    if seq.ndim != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D; received shape "
                         f"{seq.shape}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; received {side!r}")
    return no_grad_tensor(np.searchsorted(seq, vals, side=side).astype(np.int64))


def unique(x, return_inverse=False, return_counts=False, axis=None):
    """The sorted unique elements of x (``axis=None``: flattened) or unique slices along
    ``axis``, as ``np.unique``; no gradient. With ``return_inverse`` / ``return_counts`` a
    tuple (values, inverse, counts) of the parts asked for: inverse (int64, x's shape for
    axis None) rebuilds x as values[inverse]; counts (int64) says how often each occurs.

    >>> values, counts = unique([3, 1, 3], return_counts=True)
    >>> values.tolist(), counts.tolist()
    ([1, 3], [1, 2])
    """
    data = constant(x).data
    if axis is not None:
        if data.ndim == 0:
            raise ValueError(f"unique: a 0-d tensor has no axis {axis}; use axis=None")
        (axis,) = normalize_axis(axis, data.ndim, "unique")
    out = np.unique(data, return_inverse=return_inverse, return_counts=return_counts,
                    axis=axis)
    if not (return_inverse or return_counts):
        return no_grad_tensor(out)
    values, *extra = out
    if return_inverse and axis is None:
        extra[0] = extra[0].reshape(data.shape)
    return (no_grad_tensor(values), *(no_grad_tensor(e.astype(np.int64)) for e in extra))
