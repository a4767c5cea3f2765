"""Vector and matrix norms with ``numpy.linalg.norm``'s arguments: norm.

Vector norms (over one axis, or all when ``axis`` is None and ``ord`` is None) for ord None/2,
1, inf, -inf, 0 and any other p; matrix norms (over a 2-tuple ``axis``) for "fro", "nuc", 1,
-1, 2, -2, inf, -inf. The 1/inf kinds are composed from abs, sum, max and min (whose gradients
are those of ``torch.linalg``); the 2-norm, the p-norms and the singular-value norms are ops.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.elementwise import abs as _abs
from glassnet.autograd.ops.reduction import _Reduction
from glassnet.autograd.ops.reduction import max as _max
from glassnet.autograd.ops.reduction import min as _min
from glassnet.autograd.ops.reduction import sum as _sum
from glassnet.autograd.ops.shape import reshape
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["norm"]


def _scale(a, axes):
    """max |x| over the slice (1 where it is 0), so that sums of powers of a / scale neither
    overflow nor underflow."""
    m = np.max(a, axis=axes, keepdims=True, initial=0)
    return np.where((m == 0) | np.isinf(m), np.ones((), a.dtype), m)


class Norm2(_Reduction):
    """y = sqrt(sum x**2) over axes (also the Frobenius norm);  dx = gy * x / y, and 0 where
    y = 0 (as PyTorch: the subgradient 0, not the NaN of 0 / 0).

    Computed as m * sqrt(sum((x / m)**2)) with m = max |x|, so large entries do not overflow.
    """

    def forward(self, x):
        axes = self._axes(x)
        a = np.abs(x)
        m = _scale(a, axes)
        y = m * np.sqrt(np.square(a / m).sum(axis=axes, keepdims=True))
        self.x, self.y_kept = x, y
        return backend.asarray(self.y_kept if self.keepdims else self.y_kept.reshape(
            tuple(n for i, n in enumerate(x.shape) if i not in axes)))

    def backward(self, gy):
        y = self.y_kept
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(y == 0, 0, self.x / y)
        return (self._kept(gy) * g).astype(gy.dtype, copy=False)


class PNorm(_Reduction):
    """y = (sum |x|**p)**(1/p) over axes, for p other than 0, 1, 2, +-inf;
    dx = gy * sign(x) * (|x| / y)**(p - 1), taken as 0 where x = 0 or y = 0 (as PyTorch).

    The sum is scaled by m = max |x| (y = m * (sum (|x|/m)**p)**(1/p)), so it neither overflows
    for large p nor underflows. For p < 0 a zero element makes y = 0, as NumPy.
    """

    def __init__(self, axes, keepdims, p):
        super().__init__(axes, keepdims)
        self.p = p

    def forward(self, x):
        axes, p = self._axes(x), self.p
        a = np.abs(x)
        m = _scale(a, axes)
        with np.errstate(divide="ignore", over="ignore"):
            y = m * np.power(np.power(a / m, p).sum(axis=axes, keepdims=True), 1 / p)
        self.x, self.y_kept = x, y.astype(x.dtype, copy=False)
        return backend.asarray(self.y_kept if self.keepdims else self.y_kept.reshape(
            tuple(n for i, n in enumerate(x.shape) if i not in axes)))

    def backward(self, gy):
        x, y = self.x, self.y_kept
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            g = np.sign(x) * np.power(np.abs(x) / y, self.p - 1)
            g = np.where((x == 0) | (y == 0), 0, g)
        return (self._kept(gy) * g).astype(gy.dtype, copy=False)


class CountNorm(_Reduction):
    """y = the number of nonzero elements (the "0-norm"), in x's dtype;  dx = 0 (as PyTorch:
    it is piecewise constant)."""

    def forward(self, x):
        axes = self._axes(x)
        return np.asarray(np.count_nonzero(x, axis=axes, keepdims=self.keepdims), x.dtype)

    def backward(self, gy):
        return np.zeros(self.in_shape, gy.dtype)


class SingularValueNorm(Function):
    """A norm of the singular values s of the matrices spanning axes (r, c), from
    X = U diag(s) V^T: "nuc" y = sum s, dx = gy * U V^T; 2 y = s_max, dx = gy * u_1 v_1^T;
    -2 y = s_min, dx = gy * u_k v_k^T (a singular value's gradient is its pair of singular
    vectors; defined where the singular values used are distinct, as PyTorch)."""

    def __init__(self, axes, keepdims, kind):
        self.axes, self.keepdims, self.kind = axes, keepdims, kind

    def forward(self, x):
        r, c = self.axes
        self.in_shape = x.shape
        u, s, vh = np.linalg.svd(np.moveaxis(x, (r, c), (-2, -1)), full_matrices=False)
        if self.kind == "nuc":
            y, self.g = s.sum(axis=-1), u @ vh
        else:
            k = 0 if self.kind == 2 else -1
            y, self.g = s[..., k], u[..., :, k:k + 1 or None] @ vh[..., k:k + 1 or None, :]
        if self.keepdims:
            y = y.reshape(tuple(1 if i in self.axes else n for i, n in enumerate(x.shape)))
        return backend.asarray(y)

    def backward(self, gy):
        batch = self.g.shape[:-2]
        g = gy.reshape(*batch, 1, 1) * self.g
        return np.moveaxis(g, (-2, -1), self.axes).astype(gy.dtype, copy=False)


def _is_number(ord):
    return isinstance(ord, numbers.Real) and not isinstance(ord, bool)


def _vector_norm(x, ord, axes, keepdims):
    if ord is None or ord == 2:
        return Norm2(axes, keepdims)(x)
    if ord == 1:
        return _sum(_abs(x), axes, keepdims)
    if ord == np.inf:
        return _max(_abs(x), axes, keepdims)
    if ord == -np.inf:
        return _min(_abs(x), axes, keepdims)
    if ord == 0:
        return CountNorm(axes, keepdims)(x)
    return PNorm(axes, keepdims, float(ord))(x)


_MATRIX_ORDS = "None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf"


def _matrix_norm(x, ord, axes, keepdims):
    r, c = axes
    if ord is None or ord == "fro":
        return Norm2(axes, keepdims)(x)
    if ord == "nuc" or (_is_number(ord) and ord in (2, -2)):
        if x.size == 0:
            raise ValueError(f"norm: ord={ord!r} needs non-empty matrices; received input "
                             f"shape {x.shape}")
        return SingularValueNorm(axes, keepdims, "nuc" if ord == "nuc" else int(ord))(x)
    if not (_is_number(ord) and ord in (1, -1, np.inf, -np.inf)):
        raise ValueError(f"norm: invalid ord for a matrix norm; expected one of "
                         f"{_MATRIX_ORDS}, received ord={ord!r}")
    # ord 1: the largest column sum of |x| (sum over rows r, then max over columns c);
    # ord inf: the largest row sum. Negative ords take the smallest.
    summed, extreme = (r, c) if ord in (1, -1) else (c, r)
    pick = _max if ord > 0 else _min
    y = pick(_sum(_abs(x), summed, keepdims=True), extreme, keepdims=True)
    if keepdims:
        return y
    return reshape(y, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:  # noqa: A002 - NumPy's name
    """A vector or matrix norm, with ``numpy.linalg.norm``'s semantics.

    - ``axis`` None: ord None gives the 2-norm of the flattened input; any other ord needs a
      1-D input (a vector norm) or a 2-D one (a matrix norm).
    - ``axis`` an int: vector norms (sum |x|**ord)**(1/ord); ord inf / -inf are max / min |x|,
      ord 0 counts the nonzero elements.
    - ``axis`` a 2-tuple (rows, columns): "fro" (the default) sqrt(sum x**2), "nuc" the sum
      of singular values, 2 / -2 the largest / smallest singular value, 1 / -1 the largest /
      smallest column sum of |x|, inf / -inf the largest / smallest row sum.

    Gradients are those of ``torch.linalg.norm``; the 2-norm's gradient at x = 0 is 0.
    Integer inputs give float32.

    >>> norm([3.0, 4.0]).item()
    5.0
    >>> norm([[1.0, -2.0], [3.0, 4.0]], ord=1).item()
    6.0
    """
    x = constant(x)
    if x.dtype.kind in "iub":
        x = Tensor._from_op(x.data.astype(backend.floatx()), None)
    if ord is not None and not _is_number(ord) and not isinstance(ord, str):
        raise TypeError(f"norm: ord must be None, a number or 'fro' / 'nuc'; received "
                        f"{ord!r} of type {type(ord).__name__}")
    if axis is None:
        if ord is None:
            return Norm2(tuple(range(x.ndim)), keepdims)(x)
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-D or 2-D input; "
                             f"received shape {x.shape} (pass axis to choose the norm)")
        axes = tuple(range(x.ndim))
    else:
        if isinstance(axis, (tuple, list)) and len(axis) not in (1, 2):
            raise ValueError(f"norm: axis must be an int or a tuple of 1 or 2 ints; received "
                             f"axis={axis!r}")
        axes = normalize_axis(axis, x.ndim, "norm")
        if isinstance(axis, (tuple, list)) and len(axes) != len(axis):
            raise ValueError(f"norm: axis {axis!r} names no axes of a 0-d input")
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; a vector norm (one axis) takes "
                         f"None, inf, -inf, 0 or a number")
    return _vector_norm(x, ord, axes, keepdims)
