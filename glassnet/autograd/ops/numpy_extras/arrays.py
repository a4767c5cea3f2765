"""Array extras: flip, rot90, hstack/vstack/dstack, array_split/hsplit/vsplit/dsplit,
append, dot (NumPy's), cross, vander, select; and, without gradients (or with a gradient
only into weights), bincount, histogram, digitize, argpartition, unravel_index, tri,
logspace, geomspace and the window functions.

>>> import glassnet
>>> glassnet.flip(glassnet.tensor([1.0, 2.0, 3.0])).tolist()
[3.0, 2.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, no_grad_tensor, normalize_axis
from glassnet.autograd.ops.arithmetic import matmul, mul, sub
from glassnet.autograd.ops.elementwise import where
from glassnet.autograd.ops.scans import cumprod
from glassnet.autograd.ops.shape import (
    broadcast_to,
    concatenate,
    reshape,
    split,
    stack,
    transpose,
)
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "append", "argpartition", "array_split", "bartlett", "bincount", "blackman", "cross",
    "digitize", "dot", "dsplit", "dstack", "flip", "geomspace", "hamming", "hanning",
    "histogram", "hsplit", "hstack", "kaiser", "logspace", "rot90", "select", "tri",
    "unravel_index", "vander", "vsplit", "vstack",
]


def _beside(array, t):
    """``array`` on the device of tensor ``t`` (a host array meeting GPU data is copied)."""
    if backend.on_device(t.data) and not backend.on_device(array):
        return backend.to_device(array, backend.device_of(t.data))
    return array


def flip(x, axis=None) -> Tensor:
    """x reversed along ``axis`` (an int, a tuple, or None for every axis)."""
    x = constant(x)
    axes = normalize_axis(axis, x.ndim, "flip")
    return x[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(x.ndim))]


def _swap(ndim, a, b):
    order = list(range(ndim))
    order[a], order[b] = order[b], order[a]
    return tuple(order)


def rot90(x, k=1, axes=(0, 1)) -> Tensor:
    """x rotated by 90 degrees ``k`` times in the plane of ``axes`` (from the first axis
    towards the second), as ``np.rot90``."""
    x = constant(x)
    if x.ndim < 2:
        raise ValueError(f"rot90: expected at least 2 axes. Received: shape {x.shape}")
    a, b = normalize_axis(tuple(axes), x.ndim, "rot90")
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return flip(x, (a, b))
    swapped = _swap(x.ndim, a, b)
    return transpose(flip(x, b), swapped) if k == 1 else flip(transpose(x, swapped), b)


def _at_least(x, ndim):
    """x with NumPy's atleast_{1,2,3}d shape: (n,) -> (1, n) -> (1, n, 1); (m, n) -> (m, n, 1)."""
    x = constant(x)
    if x.ndim >= ndim:
        return x
    if x.ndim == 0:
        return reshape(x, (1,) * ndim)
    if x.ndim == 1:
        return reshape(x, (1, x.shape[0], 1)[:ndim])
    return reshape(x, x.shape + (1,))


def hstack(xs) -> Tensor:
    """Concatenate along axis 1 (axis 0 for 1-D tensors)."""
    xs = [_at_least(x, 1) for x in xs]
    return concatenate(xs, 0 if xs[0].ndim == 1 else 1)


def vstack(xs) -> Tensor:
    """Concatenate along axis 0, 1-D tensors first made rows."""
    return concatenate([_at_least(x, 2) for x in xs], 0)


def dstack(xs) -> Tensor:
    """Concatenate along axis 2, tensors first made at least 3-D (as NumPy)."""
    return concatenate([_at_least(x, 3) for x in xs], 2)


def array_split(x, indices_or_sections, axis=0) -> list:
    """Like ``split``, but ``n`` sections need not be equal: the first ``size % n`` get one
    element more (``np.array_split``)."""
    x = constant(x)
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise ValueError(f"array_split: the number of sections must be positive. "
                             f"Received: {n}")
        size = x.shape[normalize_axis(axis, x.ndim, "array_split")[0]]
        sizes = [size // n + 1] * (size % n) + [size // n] * (n - size % n)
        indices_or_sections = np.cumsum(sizes)[:-1].tolist()
    return split(x, indices_or_sections, axis)


def hsplit(x, indices_or_sections) -> list:
    x = constant(x)
    return split(x, indices_or_sections, 0 if x.ndim == 1 else 1)


def vsplit(x, indices_or_sections) -> list:
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections) -> list:
    return split(x, indices_or_sections, 2)


def append(x1, x2, axis=None) -> Tensor:
    """x2 appended to x1 along ``axis`` (both flattened when None)."""
    x1, x2 = constant(x1), constant(x2)
    if axis is None:
        return concatenate([reshape(x1, (-1,)), reshape(x2, (-1,))], 0)
    return concatenate([x1, x2], axis)


def dot(x1, x2) -> Tensor:
    """NumPy's dot: a product for 0-d inputs, ``matmul`` up to 2-D, otherwise the sum over the
    last axis of x1 and the second-to-last of x2 (result shape x1[:-1] + x2[:-2] + x2[-1:])."""
    a, b = constant(x1), constant(x2)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if b.ndim <= 2:
        return matmul(a, b)
    n = a.shape[-1]
    if b.shape[-2] != n:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} are not aligned: {n} (last axis "
                         f"of x1) != {b.shape[-2]} (second-to-last axis of x2)")
    order = (b.ndim - 2, *range(b.ndim - 2), b.ndim - 1)
    b2 = reshape(transpose(b, order), (n, -1))
    out = matmul(reshape(a, (-1, n)), b2)
    return reshape(out, a.shape[:-1] + b.shape[:-2] + b.shape[-1:])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1) -> Tensor:
    """The cross product of 3-vectors along the given axes (NumPy's ``cross``)."""
    a, b = constant(x1), constant(x2)
    (axa,), (axb,) = normalize_axis(axisa, a.ndim, "cross"), normalize_axis(axisb, b.ndim,
                                                                            "cross")
    if a.shape[axa] != 3 or b.shape[axb] != 3:
        raise ValueError(f"cross: the vector axes must have size 3. Received: shapes "
                         f"{a.shape} (axisa={axisa}) and {b.shape} (axisb={axisb})")

    def parts(t, ax):
        return [t[(slice(None),) * ax + (i,)] for i in range(3)]

    (a0, a1, a2), (b0, b1, b2) = parts(a, axa), parts(b, axb)
    c = [sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)),
         sub(mul(a0, b1), mul(a1, b0))]
    out = stack(c, -1)
    (axc,) = normalize_axis(axisc, out.ndim, "cross")
    return out if axc == out.ndim - 1 else transpose(
        out, tuple(range(axc)) + (out.ndim - 1,) + tuple(range(axc, out.ndim - 1)))


def vander(x, N=None, increasing=False) -> Tensor:  # noqa: N803 - NumPy's name
    """The Vandermonde matrix of 1-D x: columns x**(N-1), ..., x, 1 (reversed when
    ``increasing``). Built by a cumulative product, so the gradient is exact at x = 0."""
    x = constant(x)
    if x.ndim != 1:
        raise ValueError(f"vander: expected a 1-D tensor. Received: shape {x.shape}")
    n = x.shape[0] if N is None else int(N)
    xp = backend.get_array_module(x.data)
    if n == 0:
        return Tensor(xp.zeros((x.shape[0], 0), dtype=x.dtype))
    ones = Tensor(xp.ones((x.shape[0], 1), dtype=x.dtype))
    cols = concatenate([ones, broadcast_to(reshape(x, (-1, 1)), (x.shape[0], n - 1))], 1)
    powers = cumprod(cols, axis=1)
    return powers if increasing else flip(powers, 1)


def select(condlist, choicelist, default=0) -> Tensor:
    """choicelist[i] where condlist[i] is the first condition that holds, else ``default``."""
    if len(condlist) != len(choicelist) or not condlist:
        raise ValueError(f"select: condlist and choicelist must be non-empty and of equal "
                         f"length. Received: {len(condlist)} and {len(choicelist)}")
    out = constant(default)
    device = [c.data for c in choicelist if isinstance(c, Tensor) and backend.on_device(c.data)]
    for cond, choice in zip(condlist[::-1], choicelist[::-1]):  # the first match wins
        mask = constant(cond).data.astype(bool)
        if device:  # a host mask goes beside the GPU choices
            mask = backend.to_device(mask, backend.device_of(device[0]))
        out = where(mask, choice, out)
    return out


class Bincount(Function):
    """y[v] = sum of weights w[i] with x[i] == v;  dw = gy[x]."""

    def __init__(self, x, length):
        self.x, self.length = x, length

    def forward(self, w):
        return np.bincount(self.x, weights=w, minlength=self.length).astype(w.dtype)

    def backward(self, gy):
        return gy[self.x]


def bincount(x, weights=None, minlength=0) -> Tensor:
    """Counts (or summed ``weights``) of each non-negative integer of 1-D x; for 2-D x one
    row of counts per row, all of length max(x.max() + 1, minlength)."""
    xs = constant(x).data
    if xs.dtype.kind not in "iu" or xs.ndim not in (1, 2) or (xs.size and xs.min() < 0):
        raise ValueError(f"bincount: x must be a 1-D or 2-D tensor of non-negative integers. "
                         f"Received: shape {xs.shape}, dtype {xs.dtype}")
    # the output's shape depends on x.max(): on the GPU, that one value is read back
    length = int(max(int(xs.max()) + 1 if xs.size else 0, minlength))
    rows = xs.shape[0] if xs.ndim == 2 else 1
    w = None if weights is None else constant(weights)
    if w is not None and w.shape != xs.shape:
        raise ValueError(f"bincount: weights must have x's shape {xs.shape}. Received: "
                         f"{w.shape}")
    if w is not None and backend.on_device(w.data):  # x goes beside the GPU weights
        xs = backend.to_device(xs, backend.device_of(w.data))
    xp = backend.get_array_module(xs)
    # A 2-D x counts each row separately: offset row r's values by r * length.
    flat = (xs + (xp.arange(rows)[:, None] * length if xs.ndim == 2 else 0)).ravel()
    out_shape = (rows, length) if xs.ndim == 2 else (length,)
    if w is None:
        return no_grad_tensor(np.bincount(flat, minlength=rows * length).reshape(out_shape))
    return reshape(Bincount(flat, rows * length)(reshape(w, (-1,))), out_shape)


def histogram(x, bins=10, range=None) -> tuple:  # noqa: A002 - NumPy's name
    """(counts, bin edges) of x's values, as ``np.histogram``; no gradient."""
    data = constant(x).data
    counts, edges = np.histogram(data, bins=bins, range=range)
    return no_grad_tensor(counts), no_grad_tensor(edges.astype(data.dtype if data.dtype.kind == "f"
                                                   else backend.floatx()))


def digitize(x, bins) -> Tensor:
    """The index of the bin each value of x falls into (``np.digitize``)."""
    x = constant(x)
    return no_grad_tensor(np.digitize(x.data, _beside(constant(bins).data, x)))


def argpartition(x, kth, axis=-1) -> Tensor:
    """Indices that partition x around its ``kth`` smallest element (``np.argpartition``)."""
    x = constant(x)
    (axis,) = normalize_axis(axis, x.ndim, "argpartition")
    return no_grad_tensor(np.argpartition(x.data, kth, axis=axis))


def unravel_index(indices, shape) -> tuple:
    """Flat indices into ``shape`` as a tuple of coordinate tensors."""
    idx = constant(indices).data
    size = int(np.prod(shape))
    if idx.dtype.kind not in "iu" or (idx.size and (idx.min() < 0 or idx.max() >= size)):
        raise ValueError(f"unravel_index: indices must be integers in [0, {size}) for shape "
                         f"{tuple(shape)}")
    return tuple(no_grad_tensor(c) for c in np.unravel_index(idx, tuple(shape)))


def _creation_dtype(dtype):
    return backend.floatx() if dtype is None else np.dtype(dtype)


def tri(N, M=None, k=0, dtype=None) -> Tensor:  # noqa: N803 - NumPy's names
    """Ones at and below the ``k``-th diagonal of an N x M matrix, zeros above."""
    return Tensor(np.tri(N, M, k), dtype=_creation_dtype(dtype))


def _spaced(values, axis):
    return np.moveaxis(values, 0, axis) if axis != 0 else values


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0) -> Tensor:
    """base ** linspace(start, stop, num)."""
    values = np.logspace(start, stop, num, endpoint=endpoint, base=base)
    return Tensor(_spaced(values, axis), dtype=_creation_dtype(dtype))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0) -> Tensor:
    """Numbers spaced evenly on a log scale from start to stop."""
    values = np.geomspace(start, stop, num, endpoint=endpoint)
    return Tensor(_spaced(values, axis), dtype=_creation_dtype(dtype))


def hamming(n) -> Tensor:
    return Tensor(np.hamming(int(n)), dtype=backend.floatx())


def hanning(n) -> Tensor:
    return Tensor(np.hanning(int(n)), dtype=backend.floatx())


def bartlett(n) -> Tensor:
    return Tensor(np.bartlett(int(n)), dtype=backend.floatx())


def blackman(n) -> Tensor:
    return Tensor(np.blackman(int(n)), dtype=backend.floatx())


def kaiser(n, beta) -> Tensor:
    return Tensor(np.kaiser(int(n), beta), dtype=backend.floatx())
