"""Rearranging elements: tile, repeat, roll, tril/triu, diag/diagonal, swapaxes, moveaxis,
unstack, meshgrid.

Each op moves or copies elements without changing them, so each backward moves the gradient
back: a copied element's gradient is the sum over its copies, a masked one's is 0.
swapaxes, moveaxis, unstack and meshgrid are compositions of transpose, getitem, reshape and
broadcast_to, whose gradients they inherit.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, int_array, normalize_axis
from glassnet.autograd.ops.indexing import getitem
from glassnet.autograd.ops.shape import broadcast_to, reshape, transpose
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "diag", "diagonal", "meshgrid", "moveaxis", "repeat", "roll", "swapaxes", "tile", "tril",
    "triu", "unstack",
]


def _int(value, name, op, minimum=None):
    """``value`` as a Python int, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an integer; received {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}; received {name}={value}")
    return int(value)


class Tile(Function):
    """y = x repeated ``reps[i]`` times along axis i (as ``np.tile``);
    dx = gy viewed as (reps_0, n_0, reps_1, n_1, ...) and summed over the reps axes.
    """

    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        self.in_shape = x.shape
        return np.tile(x, self.reps)

    def backward(self, gy):
        d = len(self.reps)
        shape = (1,) * (d - len(self.in_shape)) + self.in_shape
        split = [n for pair in zip(self.reps, shape) for n in pair]
        g = gy.reshape(split).sum(axis=tuple(range(0, 2 * d, 2)))
        return g.reshape(self.in_shape)


class Repeat(Function):
    """y = each element of x along ``axis`` repeated ``repeats[j]`` times (as ``np.repeat``);
    dx_j = the sum of gy over the repeats[j] copies of element j.

    The copies of element j are a contiguous run, so one ``np.add.reduceat`` over the run
    starts sums them all (runs of length 0 get 0: reduceat cannot express an empty run).
    """

    def __init__(self, repeats, axis):
        self.repeats, self.axis = repeats, axis  # repeats: a host array (they shape y)

    def forward(self, x):
        self.in_shape = x.shape
        repeats = self.repeats
        if not isinstance(x, np.ndarray):  # CuPy's repeat takes an int or a list, no array
            repeats = repeats.tolist()
        return np.repeat(x, repeats, axis=self.axis)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        n = self.in_shape[self.axis]
        counts = np.broadcast_to(self.repeats, (n,))
        starts = np.cumsum(counts) - counts
        g = np.moveaxis(gy, self.axis, 0)
        out = xp.zeros((n,) + g.shape[1:], dtype=gy.dtype)
        used = counts > 0
        if used.any():
            if xp is not np:  # the run starts, known on the host, indexing device data
                used, starts = xp.asarray(used), xp.asarray(starts)
            out[used] = np.add.reduceat(g, starts[used], axis=0)
        return np.moveaxis(out, 0, self.axis)


class Roll(Function):
    """y = x shifted cyclically by ``shift`` along ``axis`` (as ``np.roll``);
    dx = gy rolled back by -shift."""

    def __init__(self, shift, axis):
        self.shift, self.axis = shift, axis

    def forward(self, x):
        return np.roll(x, self.shift, axis=self.axis)

    def backward(self, gy):
        return np.roll(gy, tuple(-s for s in self.shift), axis=self.axis)


class Triangle(Function):
    """y = x * M with M the lower (tril: j <= i + k) or upper (triu: j >= i + k) triangle of
    the last two axes;  dx = gy * M."""

    def __init__(self, lower, k):
        self.lower, self.k = lower, k

    def forward(self, x):
        rows, cols = x.shape[-2:]
        # np.tri(k) is j <= i + k; the upper triangle j >= i + k is its complement at k - 1
        tri = backend.get_array_module(x).tri
        mask = tri(rows, cols, self.k if self.lower else self.k - 1, dtype=bool)
        self.mask = mask if self.lower else ~mask
        return np.where(self.mask, x, x.dtype.type(0))

    def backward(self, gy):
        return np.where(self.mask, gy, gy.dtype.type(0))


class Diagonal(Function):
    """y[..., i] = x[..., i + r0, i + c0] over axes (axis1, axis2), moved last (as
    ``np.diagonal``), with (r0, c0) = (0, offset) for offset >= 0, (-offset, 0) otherwise;
    dx = zeros with gy written back on that diagonal."""

    def __init__(self, offset, axis1, axis2):
        self.offset, self.axis1, self.axis2 = offset, axis1, axis2

    def forward(self, x):
        self.in_shape = x.shape
        return np.diagonal(x, self.offset, self.axis1, self.axis2).copy()

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        # a view of gx with the two axes last: writing into it writes into gx
        view = np.moveaxis(gx, (self.axis1, self.axis2), (-2, -1))
        i = xp.arange(gy.shape[-1])
        view[..., i + max(-self.offset, 0), i + max(self.offset, 0)] = gy
        return gx


class DiagEmbed(Function):
    """y = a square matrix of side n + |k| with x on diagonal k, zeros elsewhere
    (``np.diag`` of a 1-D x);  dx = diagonal k of gy."""

    def __init__(self, k):
        self.k = k

    def forward(self, x):
        return np.diag(x, self.k)

    def backward(self, gy):
        return np.diagonal(gy, self.k).copy()


def tile(x, repeats) -> Tensor:
    """x repeated ``repeats`` times along each axis (an int, or one count per axis; a longer
    ``repeats`` adds leading axes), as ``np.tile``.

    dx sums the gradient over the copies.

    >>> tile([1.0, 2.0], 2).tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    x = constant(x)
    reps = int_array(repeats, "repeats", "tile").reshape(-1)
    if (reps < 0).any():
        raise ValueError(f"tile: repeats must be non-negative; received {reps.tolist()}")
    reps = (1,) * (x.ndim - reps.size) + tuple(reps.tolist())
    return Tile(reps)(x)


def repeat(x, repeats, axis=None) -> Tensor:
    """Each element repeated along ``axis`` (None: of the flattened x), as ``np.repeat``:
    ``repeats`` is one count for all elements or one count per element of that axis.

    dx_j = sum of the gradient over element j's copies.

    >>> repeat([1.0, 2.0], [1, 3]).tolist()
    [1.0, 2.0, 2.0, 2.0]
    """
    x = constant(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        raise ValueError(f"repeat: a 0-d tensor has no axis {axis}; use axis=None")
    else:
        (axis,) = normalize_axis(_int(axis, "axis", "repeat"), x.ndim, "repeat")
    reps = backend.to_host(int_array(repeats, "repeats", "repeat"))  # they shape the output
    n = x.shape[axis]
    if reps.ndim > 1 or (reps.ndim == 1 and reps.size not in (1, n)):
        raise ValueError(
            f"repeat: repeats must be an integer or a 1-D sequence of length 1 or {n} (the "
            f"size of axis {axis} of shape {x.shape}); received shape {reps.shape}"
        )
    if (reps < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative; received {reps.tolist()}")
    return Repeat(reps.reshape(-1) if reps.size == n else reps.reshape(()), axis)(x)


def roll(x, shift, axis=None) -> Tensor:
    """x shifted cyclically: elements leaving one end come in at the other (``np.roll``).

    ``shift`` and ``axis`` are ints or equal-length tuples (an int shift applies to every
    axis given); ``axis=None`` rolls the flattened x and restores the shape. dx = the
    gradient rolled by -shift.

    >>> roll([1.0, 2.0, 3.0], 1).tolist()
    [3.0, 1.0, 2.0]
    """
    x = constant(x)
    shifts = int_array(shift, "shift", "roll").reshape(-1)
    if axis is None:
        if shifts.size != 1:
            raise ValueError(f"roll: with axis=None, shift must be one integer; received "
                             f"{shifts.tolist()}")
        return reshape(Roll((int(shifts[0]),), None)(reshape(x, (-1,))), x.shape)
    axes = normalize_axis(axis, x.ndim, "roll")
    if shifts.size not in (1, len(axes)) and x.ndim:
        raise ValueError(f"roll: shift {shifts.tolist()} and axis {axis} must have the same "
                         f"length")
    if not axes:  # a 0-d tensor: rolling its one element changes nothing
        return x
    shifts = np.broadcast_to(shifts, (len(axes),))
    return Roll(tuple(shifts.tolist()), axes)(x)


def _triangle(x, k, lower, op):
    x = constant(x)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected a tensor with at least 2 dimensions (matrices in the "
                         f"last two); received shape {x.shape}")
    return Triangle(lower, _int(k, "k", op))(x)


def tril(x, k=0) -> Tensor:
    """The lower triangle of the last two axes (j <= i + k), zeros above; batched.

    >>> tril([[1.0, 2.0], [3.0, 4.0]]).tolist()
    [[1.0, 0.0], [3.0, 4.0]]
    """
    return _triangle(x, k, True, "tril")


def triu(x, k=0) -> Tensor:
    """The upper triangle of the last two axes (j >= i + k), zeros below; batched.

    >>> triu([[1.0, 2.0], [3.0, 4.0]]).tolist()
    [[1.0, 2.0], [0.0, 4.0]]
    """
    return _triangle(x, k, False, "triu")


def diagonal(x, offset=0, axis1=0, axis2=1) -> Tensor:
    """The diagonal ``offset`` of the matrices over axes (axis1, axis2), as a new last axis
    (``np.diagonal``); offset > 0 is above the main diagonal.

    >>> diagonal([[1.0, 2.0], [3.0, 4.0]]).tolist()
    [1.0, 4.0]
    """
    x = constant(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal: expected a tensor with at least 2 dimensions; received "
                         f"shape {x.shape}")
    a1, a2 = normalize_axis((_int(axis1, "axis1", "diagonal"), _int(axis2, "axis2", "diagonal")),
                            x.ndim, "diagonal")
    return Diagonal(_int(offset, "offset", "diagonal"), a1, a2)(x)


def diag(x, k=0) -> Tensor:
    """1-D x: the square matrix with x on diagonal ``k``; 2-D x: its diagonal ``k``
    (``np.diag``).

    >>> diag([1.0, 2.0]).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    x = constant(x)
    k = _int(k, "k", "diag")
    if x.ndim == 1:
        return DiagEmbed(k)(x)
    if x.ndim == 2:
        return Diagonal(k, 0, 1)(x)
    raise ValueError(f"diag: expected a 1-D or 2-D tensor; received shape {x.shape}")


def swapaxes(x, axis1, axis2) -> Tensor:
    """x with axes ``axis1`` and ``axis2`` exchanged."""
    x = constant(x)
    a1, a2 = (normalize_axis(_int(a, name, "swapaxes"), x.ndim, "swapaxes")[0]
              for a, name in ((axis1, "axis1"), (axis2, "axis2")))
    perm = list(range(x.ndim))
    perm[a1], perm[a2] = a2, a1
    return transpose(x, tuple(perm))


def moveaxis(x, source, destination) -> Tensor:
    """x with axes ``source`` moved to positions ``destination`` (ints or equal-length
    tuples), the other axes keeping their order, as ``np.moveaxis``.

    >>> import glassnet
    >>> moveaxis(glassnet.zeros(2, 3, 4), 0, -1).shape
    (3, 4, 2)
    """
    x = constant(x)
    src = normalize_axis(source, x.ndim, "moveaxis")
    dst = normalize_axis(destination, x.ndim, "moveaxis")
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must name "
                         f"the same number of axes")
    rest = [a for a in range(x.ndim) if a not in src]
    perm = [None] * x.ndim
    for s, d in zip(src, dst):
        perm[d] = s
    perm = [p if p is not None else rest.pop(0) for p in perm]
    return transpose(x, tuple(perm))


def unstack(x, num=None, axis=0) -> list:
    """The slices of x along ``axis``, as a list of tensors (the inverse of ``stack``).

    ``num``, if given, must equal the size of that axis. Each slice is a getitem, so each
    slice's gradient comes back into x's shape; their sum is x's gradient.

    >>> [t.tolist() for t in unstack([[1.0, 2.0], [3.0, 4.0]])]
    [[1.0, 2.0], [3.0, 4.0]]
    """
    x = constant(x)
    if x.ndim == 0:
        raise ValueError("unstack: a 0-d tensor has no axis to unstack")
    (axis,) = normalize_axis(_int(axis, "axis", "unstack"), x.ndim, "unstack")
    n = x.shape[axis]
    if num is not None and _int(num, "num", "unstack") != n:
        raise ValueError(f"unstack: num={num} does not match the size {n} of axis {axis} of a "
                         f"tensor of shape {x.shape}")
    lead = (slice(None),) * axis
    return [getitem(x, lead + (i,)) for i in range(n)]


def meshgrid(*xs, indexing="xy") -> list:
    """Coordinate grids from 1-D vectors, as ``np.meshgrid``: output i holds ``xs[i]``
    varying along axis i and constant along the others; "xy" (Cartesian) swaps the first two
    axes, "ij" (matrix) does not.

    Each output is a reshape + broadcast_to of one input, whose gradient sums over the grid.

    >>> gx, gy = meshgrid([1.0, 2.0, 3.0], [4.0, 5.0])
    >>> gx.shape, gx.tolist()[0], gy.tolist()[0]
    ((2, 3), [1.0, 2.0, 3.0], [4.0, 4.0, 4.0])
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'; received {indexing!r}")
    vectors = [reshape(constant(v), (-1,)) for v in xs]
    sizes = [v.shape[0] for v in vectors]
    axes = list(range(len(vectors)))
    if indexing == "xy" and len(vectors) > 1:
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for v, a in zip(vectors, axes):
        shape = [1] * len(vectors)
        shape[a] = -1
        out.append(broadcast_to(reshape(v, shape), tuple(sizes)))
    return out
