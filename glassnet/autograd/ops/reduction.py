"""Reductions over axes (int, tuple, None, negative; keepdims): sum, mean, max, min, var, std,
logsumexp; argmax and argmin, which have no gradient.

Backward of a reduction spreads ``gy`` back over the reduced axes: ``_expand_grad`` re-inserts
them (as size 1) and broadcasts to the input shape.
"""

from __future__ import annotations

import builtins

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.elementwise import sqrt
from glassnet.autograd.tensor import Function, Tensor


class _Reduction(Function):
    """A reduction over ``axes`` (a tuple of non-negative axes, checked by the wrapper)."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def _axes(self, x):
        self.in_shape = x.shape
        return self.axes

    def _count(self):
        return int(np.prod([self.in_shape[a] for a in self.axes]))

    def _kept(self, g):
        """``g`` with the reduced axes present as size 1."""
        if self.keepdims:
            return g
        kept = tuple(1 if i in self.axes else n for i, n in enumerate(self.in_shape))
        return g.reshape(kept)

    def _expand_grad(self, g):
        return np.broadcast_to(self._kept(g), self.in_shape)


class Sum(_Reduction):
    """y = sum of x over axes;  dx = gy, repeated over the summed axes."""

    def forward(self, x):
        return backend.asarray(x.sum(axis=self._axes(x), keepdims=self.keepdims))

    def backward(self, gy):
        return self._expand_grad(gy)


class Mean(_Reduction):
    """y = sum of x over axes / n;  dx = gy / n, repeated over the averaged axes."""

    def forward(self, x):
        return backend.asarray(x.mean(axis=self._axes(x), keepdims=self.keepdims))

    def backward(self, gy):
        return self._expand_grad(gy / self._count())


class Max(_Reduction):
    """y = max of x over axes;  dx = gy at the maximum, shared equally among tied maxima.

    Ties: every element equal to the maximum gets ``gy / (number of ties)``, as
    ``torch.amax``; the sum of the gradient is gy either way.
    """

    compare = staticmethod(np.max)

    def forward(self, x):
        axes = self._axes(x)
        self.x = x
        self.y_kept = self.compare(x, axis=axes, keepdims=True)
        return backend.asarray(self.y_kept if self.keepdims else self.y_kept.reshape(
            tuple(n for i, n in enumerate(x.shape) if i not in axes)))

    def backward(self, gy):
        winners = self.x == self.y_kept
        ties = winners.sum(axis=self.axes, keepdims=True)
        return winners * (self._kept(gy) / ties).astype(gy.dtype, copy=False)


class Min(Max):
    """y = min of x over axes;  dx = gy at the minimum, shared equally among tied minima."""

    compare = staticmethod(np.min)


class Var(_Reduction):
    """y = sum((x - mean)**2) / (n - ddof);  dx = gy * 2 * (x - mean) / (n - ddof).

    ddof=0 (the default, as NumPy and Keras) is the population variance; ddof=1 is PyTorch's
    default unbiased estimate. Where n - ddof <= 0 the denominator is 0, as in PyTorch: the
    variance and its gradient are NaN where x equals the mean (n == ddof), infinite otherwise.
    """

    def __init__(self, axes, keepdims, ddof):
        super().__init__(axes, keepdims)
        self.ddof = ddof

    def forward(self, x):
        axes = self._axes(x)
        self.centered = x - x.mean(axis=axes, keepdims=True)
        self.dof = np.float64(builtins.max(self._count() - self.ddof, 0))
        sq = np.square(self.centered).sum(axis=axes, keepdims=self.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = sq / self.dof
        return backend.asarray(y.astype(sq.dtype, copy=False) if sq.dtype.kind == "f" else y)

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = (2 / self.dof).astype(gy.dtype)
            return (self._kept(gy) * scale) * self.centered


class LogSumExp(_Reduction):
    """y = log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m = max(x) so that no
    exp overflows;  dx = gy * exp(x - y) = gy * softmax(x)."""

    def forward(self, x):
        axes = self._axes(x)
        m = x.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
        self.x = x
        self.y_kept = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
        y = self.y_kept if self.keepdims else self.y_kept.reshape(
            tuple(n for i, n in enumerate(x.shape) if i not in axes))
        return backend.asarray(y)

    def backward(self, gy):
        return self._kept(gy) * np.exp(self.x - self.y_kept)


def _reduce(cls, x, axis, keepdims, *args, empty_ok=True):
    x = constant(x)
    name = cls.__name__.lower()
    axes = normalize_axis(axis, x.ndim, name)
    if not empty_ok and x.size == 0:
        raise ValueError(f"{name}: cannot take the {name} of an empty tensor")
    return cls(axes, keepdims, *args)(x)


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """Sum over ``axis`` (None: all).

    >>> import glassnet
    >>> glassnet.ones(2, 3).sum(axis=-1)
    tensor([3., 3.])
    """
    return _reduce(Sum, x, axis, keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    """Arithmetic mean over ``axis`` (None: all)."""
    return _reduce(Mean, x, axis, keepdims)


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """Largest element over ``axis``; tied maxima share the gradient equally."""
    return _reduce(Max, x, axis, keepdims, empty_ok=False)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the op's name
    """Smallest element over ``axis``; tied minima share the gradient equally."""
    return _reduce(Min, x, axis, keepdims, empty_ok=False)


def var(x, axis=None, keepdims=False, ddof=0) -> Tensor:
    """Variance over ``axis`` with ``n - ddof`` in the denominator (ddof=0: population)."""
    return _reduce(Var, x, axis, keepdims, ddof)


def std(x, axis=None, keepdims=False, ddof=0) -> Tensor:
    """Standard deviation, sqrt(var(x)); its gradient is infinite where the variance is 0."""
    return sqrt(var(x, axis, keepdims, ddof))


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, stable for inputs of any magnitude."""
    return _reduce(LogSumExp, x, axis, keepdims)


def _arg_reduction(fn, name, x, axis, keepdims):
    x = constant(x)
    if axis is not None:
        axes = normalize_axis(axis, x.ndim, name)
        axis = axes[0] if axes else None
    if x.size == 0:
        raise ValueError(f"{name}: cannot take the {name} of an empty tensor")
    return Tensor._from_op(backend.asarray(fn(x.data, axis=axis, keepdims=keepdims)), None)


def argmax(x, axis=None, keepdims=False) -> Tensor:
    """Index of the largest element (first one on ties) over ``axis``; no gradient."""
    return _arg_reduction(np.argmax, "argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False) -> Tensor:
    """Index of the smallest element (first one on ties) over ``axis``; no gradient."""
    return _arg_reduction(np.argmin, "argmin", x, axis, keepdims)
