"""Products, logical reductions and statistics: prod, any, all, count_nonzero, median, quantile,
norm.

``axis`` is an int, a tuple of ints or None (all axes), negative counting from the end, as in
NumPy; ``keepdims`` keeps the reduced axes as size 1. ``any``, ``all`` and ``count_nonzero``
have no gradient. Median and quantile sort each reduced slice once; their gradient goes to the
sorted positions they read, with the interpolation weights. ``norm`` lives in ``norms``.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.norms import norm
from glassnet.autograd.ops.reduction import _reduce, _Reduction
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["all", "any", "count_nonzero", "median", "norm", "prod", "quantile"]

QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


class Prod(_Reduction):
    """y = prod of x over axes;  dx_i = gy * prod_{j != i} x_j (over the slice of x_i).

    Without zeros that is gy * y / x_i. With zeros (as ``torch.prod``): in a slice with exactly
    one zero, that zero gets gy * (product of the others) and every other element 0 (each of
    their products contains the zero); with two or more zeros every product contains a zero,
    so the whole slice gets 0. Never divides by zero.
    """

    def forward(self, x):
        axes = self._axes(x)
        self.x = x
        return backend.asarray(np.prod(x, axis=axes, keepdims=self.keepdims))

    def backward(self, gy):
        x, axes = self.x, self.axes
        zero = x == 0
        zeros_in_slice = zero.sum(axis=axes, keepdims=True)
        one = np.ones((), x.dtype)
        nonzero_x = np.where(zero, one, x)
        # the product of the slice's nonzero elements: y itself when the slice has no zero
        others = np.prod(nonzero_x, axis=axes, keepdims=True)
        g = np.where(zeros_in_slice == 0, others / nonzero_x,
                     np.where(zero & (zeros_in_slice == 1), others, 0))
        return (self._kept(gy) * g).astype(gy.dtype, copy=False)


def prod(x, axis=None, keepdims=False) -> Tensor:
    """Product of the elements over ``axis`` (None: all); 1 for an empty slice.

    Integer and bool inputs give int64, as NumPy (and no gradient). The gradient is exact with
    zeros in the input (see ``Prod``).

    >>> prod([[1.0, 2.0], [3.0, 4.0]], axis=1).tolist()
    [2.0, 12.0]
    """
    return _reduce(Prod, x, axis, keepdims)


def _no_grad_reduction(fn, name, x, axis, keepdims, dtype):
    x = constant(x)
    axes = normalize_axis(axis, x.ndim, name)
    result = fn(x.data, axis=axes, keepdims=keepdims)
    return Tensor._from_op(backend.asarray(result, dtype=dtype), None)


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """True where some element over ``axis`` is nonzero (NaN counts as nonzero); bool, no
    gradient. False for an empty slice.

    >>> any([[0.0, 1.0], [0.0, 0.0]], axis=1).tolist()
    [True, False]
    """
    return _no_grad_reduction(np.any, "any", x, axis, keepdims, bool)


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """True where every element over ``axis`` is nonzero; bool, no gradient. True for an
    empty slice.

    >>> all([[1.0, 2.0], [0.0, 3.0]], axis=1).tolist()
    [True, False]
    """
    return _no_grad_reduction(np.all, "all", x, axis, keepdims, bool)


def count_nonzero(x, axis=None, keepdims=False) -> Tensor:
    """The number of nonzero elements over ``axis``; int64, no gradient.

    >>> count_nonzero([[0.0, 1.0], [2.0, 3.0]], axis=1).tolist()
    [1, 2]
    """
    return _no_grad_reduction(np.count_nonzero, "count_nonzero", x, axis, keepdims, np.int64)


def _quantile_positions(q, n, method):
    """For each q (flat, float64): the sorted positions ``lo``, ``hi`` read and the weight
    ``w`` of ``hi``, so that the quantile is (1 - w) * s[lo] + w * s[hi].

    The virtual index is q * (n - 1) (NumPy's default, R type 7); "nearest" rounds half to
    even, as NumPy and PyTorch.
    """
    index = q * (n - 1)
    lo, hi = np.floor(index), np.ceil(index)
    if method == "linear":
        w = index - lo
    elif method == "midpoint":
        w = np.full_like(index, 0.5)
    else:
        pick = {"lower": lo, "higher": hi, "nearest": np.around(index)}[method]
        lo, hi, w = pick, pick, np.zeros_like(index)
    return lo.astype(np.intp), hi.astype(np.intp), w


class Quantile(Function):
    """y = (1 - w) * s[lo] + w * s[hi] for s the reduced slice sorted ascending;
    dx = gy * (1 - w) at the element sorted to ``lo`` plus gy * w at the one sorted to ``hi``.

    The reduced axes are moved to the end and flattened, so every slice is one row of an
    (M, n) array: one sort, one gather, and backward is a (M, Q) @ (Q, n) product scattered
    back through the sort permutation. A slice containing NaN gives NaN (as NumPy), and the
    gradient goes to its NaN (as PyTorch). Ties: the stable sort decides which of the equal
    elements gets the gradient.
    """

    def __init__(self, axes, keepdims, q, method, empty_value=None):
        self.axes, self.keepdims, self.q, self.method = axes, keepdims, q, method
        self.empty_value = empty_value

    def forward(self, x):
        axes, ndim = self.axes, x.ndim
        kept = [i for i in range(ndim) if i not in axes]
        self.in_shape = x.shape
        self.perm = kept + list(axes)
        kept_shape = tuple(x.shape[i] for i in kept)
        out_shape = (tuple(1 if i in axes else s for i, s in enumerate(x.shape))
                     if self.keepdims else kept_shape)
        self.out_shape = self.q.shape + out_shape
        m = int(np.prod(kept_shape))
        self.n = n = int(np.prod([x.shape[a] for a in axes]))
        if n == 0:
            return np.full(self.out_shape, self.empty_value, x.dtype)
        rows = np.transpose(x, self.perm).reshape(m, n)
        self.order = np.argsort(rows, axis=-1, kind="stable")
        s = np.take_along_axis(rows, self.order, axis=-1)
        lo, hi, w = _quantile_positions(self.q.reshape(-1), n, self.method)
        w = w.astype(x.dtype)
        a, b = s[:, lo], s[:, hi]
        with np.errstate(invalid="ignore"):
            # where lo == hi read s[lo] alone, so an infinite element stays infinite
            y = np.where(lo == hi, a, a + (b - a) * w)
        self.nan_rows = np.isnan(s[:, -1]) if s.dtype.kind == "f" else np.zeros(m, bool)
        y[self.nan_rows] = np.nan
        self.lo, self.hi, self.w = lo, hi, w
        return np.ascontiguousarray(y.T).reshape(self.out_shape)

    def backward(self, gy):
        if self.n == 0:
            return np.zeros(self.in_shape, gy.dtype)
        m, q = self.order.shape[0], self.lo.size
        weights = np.zeros((q, self.n), gy.dtype)
        np.add.at(weights, (np.arange(q), self.lo), 1 - self.w)
        np.add.at(weights, (np.arange(q), self.hi), self.w)
        g_rows = gy.reshape(q, m).T
        g_sorted = g_rows @ weights
        g_sorted[self.nan_rows] = 0
        # the NaN sorts last; every quantile of that slice is its value
        g_sorted[self.nan_rows, -1] = g_rows[self.nan_rows].sum(axis=-1)
        g = np.empty_like(g_sorted)
        np.put_along_axis(g, self.order, g_sorted, axis=-1)
        moved = g.reshape([self.in_shape[i] for i in self.perm])
        return np.transpose(moved, np.argsort(self.perm))


def _float_input(x, name):
    x = constant(x)
    if x.dtype.kind in "iub":
        # integers interpolate to fractions: compute in the default float dtype
        x = Tensor._from_op(x.data.astype(backend.floatx()), None)
    elif x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a real-valued input; received dtype {x.dtype}")
    return x


def _check_q(q):
    array = backend.asarray(q.data if isinstance(q, Tensor) else q)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"quantile: q must be a number or an array of numbers in [0, 1]; "
                        f"received {q!r} (dtype {array.dtype})")
    array = array.astype(np.float64)
    if not (np.all(array >= 0) and np.all(array <= 1)):
        raise ValueError(f"quantile: q must be in [0, 1]; received q={array.tolist()}")
    return array


def quantile(x, q, axis=None, keepdims=False, method="linear") -> Tensor:
    """The ``q``-th quantile of ``x`` over ``axis`` (None: all), as ``numpy.quantile``.

    With s the slice sorted ascending and i = q * (n - 1): "linear" interpolates
    s[floor i] + (i - floor i) * (s[ceil i] - s[floor i]); "lower" / "higher" take
    s[floor i] / s[ceil i]; "midpoint" averages the two; "nearest" takes s[round i] (half to
    even). A 1-D (or n-D) ``q`` puts its axes first in the result, as NumPy. The gradient goes
    to the elements read, with the interpolation weights. Integer inputs give float32.

    Raises ValueError for q outside [0, 1], an unknown method, or an empty slice.

    >>> quantile([1.0, 2.0, 3.0, 4.0], [0.25, 0.5]).tolist()
    [1.75, 2.5]
    """
    x = _float_input(x, "quantile")
    axes = normalize_axis(axis, x.ndim, "quantile")
    q = _check_q(q)
    if method not in QUANTILE_METHODS:
        raise ValueError(f"quantile: method must be one of {', '.join(QUANTILE_METHODS)}; "
                         f"received method={method!r}")
    if int(np.prod([x.shape[a] for a in axes])) == 0:
        raise ValueError(f"quantile: cannot take a quantile of an empty slice (input shape "
                         f"{x.shape}, axis {axis})")
    return Quantile(axes, keepdims, q, method)(x)


def median(x, axis=None, keepdims=False) -> Tensor:
    """The median of ``x`` over ``axis`` (None: all), as ``numpy.median``: the middle element,
    or the mean of the two middle ones for an even count (each gets half the gradient).

    An empty slice gives NaN, as NumPy. Integer inputs give float32.

    >>> median([[3.0, 1.0, 2.0], [4.0, 1.0, 2.0]], axis=1).tolist()
    [2.0, 2.0]
    >>> median([1.0, 4.0, 2.0, 3.0]).item()
    2.5
    """
    x = _float_input(x, "median")
    axes = normalize_axis(axis, x.ndim, "median")
    return Quantile(axes, keepdims, backend.asarray(0.5), "linear", empty_value=np.nan)(x)
