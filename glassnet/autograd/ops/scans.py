"""Cumulative ops (scans) along one axis: cumsum, cumprod, cummax, cummin, logcumsumexp.

``axis=None`` flattens the input first and returns a 1-D result, as NumPy does (PyTorch
requires a dim). A 0-d input accepts axis 0 or -1 and gives a 0-d result, as PyTorch.

Backward of a scan is a scan the other way: ``_reverse_cumsum`` sums the upstream gradient
from the end of the axis back to each position.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["cummax", "cummin", "cumprod", "cumsum", "logcumsumexp"]


def _reverse_cumsum(g, axis):
    """out_i = sum_{k >= i} g_k along ``axis``."""
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def _positions(shape, axis):
    """The index along ``axis`` of every element, broadcastable to ``shape``."""
    return np.arange(shape[axis]).reshape([-1 if i == axis else 1 for i in range(len(shape))])


class _Scan(Function):
    """A scan along ``axis`` (a non-negative int), or over the flattened input (axis None)."""

    def __init__(self, axis, out_shape=None):
        # out_shape: the shape to give the result (0-d inputs scan as 1-D, then come back 0-d)
        self.axis, self.out_shape = axis, out_shape

    def _prepare(self, x):
        self.in_shape = x.shape
        if self.axis is None:
            return x.reshape(-1), 0
        return x, self.axis

    def _finish(self, y):
        return y.reshape(self.out_shape) if self.out_shape is not None else y

    def _grad_in(self, gy):
        """The upstream gradient in the scanned layout."""
        return gy.reshape(-1) if self.axis is None else gy

    def _grad_out(self, g):
        return g.reshape(self.in_shape)


class CumSum(_Scan):
    """y_k = sum_{j <= k} x_j;  dx_i = sum_{k >= i} gy_k (a reverse cumulative sum)."""

    def forward(self, x):
        x, self.ax = self._prepare(x)
        return self._finish(np.cumsum(x, axis=self.ax))

    def backward(self, gy):
        return self._grad_out(_reverse_cumsum(self._grad_in(gy), self.ax))


class CumProd(_Scan):
    """y_k = prod_{j <= k} x_j;  dx_i = sum_{k >= i} gy_k * prod_{j <= k, j != i} x_j.

    Without zeros that is sum_{k >= i} gy_k * y_k / x_i. With zeros (as PyTorch): let z be
    the first zero along the axis. Before z the same formula holds (x_i != 0 there, and the
    terms k >= z are 0 on both sides). At z: dx_z = y_{z-1} * sum_{k >= z} gy_k * q_k, with
    q_k = prod_{z < j <= k} x_j (later zeros make it 0). After z every product contains
    x_z = 0, so dx = 0. All three cases are computed by whole-array scans and masks.
    """

    def forward(self, x):
        x, self.ax = self._prepare(x)
        self.x = x
        self.y = np.cumprod(x, axis=self.ax)
        return self._finish(self.y)

    def backward(self, gy):
        gy, x, y, ax = self._grad_in(gy), self.x, self.y, self.ax
        zero = x == 0
        if not zero.any():
            return self._grad_out(_reverse_cumsum(gy * y, ax) / x)
        pos = _positions(x.shape, ax)
        has_zero = zero.any(axis=ax, keepdims=True)
        first = np.where(has_zero, np.argmax(zero, axis=ax, keepdims=True), x.shape[ax])
        before, at = pos < first, pos == first
        one = np.ones((), x.dtype)
        safe_x = np.where(before, x, one)
        g_before = _reverse_cumsum(gy * y, ax) / safe_x
        # prefix = y_{z-1}: the product of everything before the first zero
        prefix = np.prod(safe_x, axis=ax, keepdims=True)
        q = np.cumprod(np.where(pos > first, x, one), axis=ax)
        g_at = prefix * np.sum(np.where(pos >= first, gy * q, 0), axis=ax, keepdims=True)
        g = np.where(before, g_before, np.where(at, g_at, 0))
        return self._grad_out(g.astype(gy.dtype, copy=False))


class CumMax(_Scan):
    """y_k = max_{j <= k} x_j, with index_k the position of that maximum;
    dx_j = sum of gy_k over the k whose index_k is j (the gradient goes to the index).

    Ties pick the latest position (as ``torch.cummax``: the running maximum moves to an equal
    element), so index_k = the last j <= k with x_j == y_k. A NaN propagates, and its index
    is that of the latest NaN, as PyTorch.
    """

    accumulate = np.maximum.accumulate

    def forward(self, x):
        x, self.ax = self._prepare(x)
        y = self.accumulate(x, axis=self.ax)
        pos = _positions(x.shape, self.ax)
        hit = (x == y) | np.isnan(x) if x.dtype.kind in "fc" else x == y
        self.index = np.maximum.accumulate(np.where(hit, pos, 0), axis=self.ax)
        self.indices_out = self._finish(self.index.astype(np.int64, copy=False))
        return self._finish(y)

    def backward(self, gy):
        gy, index, ax = self._grad_in(gy), self.index, self.ax
        # scatter-add along the axis, vectorized: flatten to rows with the axis last
        g_rows = np.moveaxis(gy, ax, -1)
        i_rows = np.moveaxis(index, ax, -1)
        n = g_rows.shape[-1] if g_rows.ndim else 1
        m = g_rows.size // n if n else 0
        flat = (np.arange(m).reshape(-1, 1) * n + i_rows.reshape(m, n)).reshape(-1)
        summed = np.bincount(flat, weights=g_rows.reshape(-1), minlength=m * n)
        g = np.moveaxis(summed.reshape(g_rows.shape), -1, ax)
        return self._grad_out(g.astype(gy.dtype, copy=False))


class CumMin(CumMax):
    """y_k = min_{j <= k} x_j and its index (latest on ties); the gradient goes to the index."""

    accumulate = np.minimum.accumulate


class LogCumSumExp(_Scan):
    """y_k = log(sum_{j <= k} e**x_j), by ``np.logaddexp.accumulate`` (each step is
    max + log1p(e**-|difference|), so nothing overflows);
    dx_i = sum_{k >= i} gy_k * e**(x_i - y_k).

    The backward sum is done in log space too (as PyTorch): the positive and negative parts of
    gy separately, dx_i = e**(x_i + L+_i) - e**(x_i + L-_i) with
    L±_i = log(sum_{k >= i} |gy±_k| e**-y_k), a reverse logcumsumexp of log|gy±| - y.
    Where x_i = -inf the gradient is 0.
    """

    def forward(self, x):
        x, self.ax = self._prepare(x)
        self.x = x
        self.y = np.logaddexp.accumulate(x, axis=self.ax)
        return self._finish(self.y)

    def backward(self, gy):
        gy, x, y, ax = self._grad_in(gy), self.x, self.y, self.ax

        def part(g):
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log(g) - y
                rev = np.flip(np.logaddexp.accumulate(np.flip(logs, ax), axis=ax), ax)
                return np.exp(x + rev)

        with np.errstate(invalid="ignore"):
            g = part(np.maximum(gy, 0)) - part(np.maximum(-gy, 0))
            g = np.where(np.isneginf(x), 0, g)
        return self._grad_out(g.astype(gy.dtype, copy=False))


def _scan_fn(cls, x, axis, name):
    """The op instance for ``axis`` on ``x`` (int or None; a 0-d input scans its one element
    flattened and stays 0-d)."""
    if axis is None:
        return cls(None)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an integer or None; received {axis!r}")
    axes = normalize_axis(axis, x.ndim, name)
    return cls(None, out_shape=()) if x.ndim == 0 else cls(axes[0])


def _scan_op(cls, x, axis, name):
    x = constant(x)
    return _scan_fn(cls, x, axis, name)(x)


def cumsum(x, axis=None) -> Tensor:
    """Cumulative sum along ``axis`` (None: over the flattened input).

    >>> cumsum([1.0, 2.0, 3.0]).tolist()
    [1.0, 3.0, 6.0]
    """
    return _scan_op(CumSum, x, axis, "cumsum")


def cumprod(x, axis=None) -> Tensor:
    """Cumulative product along ``axis`` (None: flattened); the gradient is exact with zeros
    in the input."""
    return _scan_op(CumProd, x, axis, "cumprod")


def _cum_extreme(cls, x, axis, name):
    x = constant(x)
    fn = _scan_fn(cls, x, axis, name)
    values = fn(x)
    return values, Tensor._from_op(fn.indices_out, None)


def cummax(x, axis=None) -> tuple[Tensor, Tensor]:
    """(values, indices): the running maximum along ``axis`` and where it was found (int64;
    the latest position on ties, as ``torch.cummax``). The gradient goes to the index.

    >>> v, i = cummax([1.0, 3.0, 2.0, 3.0])
    >>> v.tolist(), i.tolist()
    ([1.0, 3.0, 3.0, 3.0], [0, 1, 1, 3])
    """
    return _cum_extreme(CumMax, x, axis, "cummax")


def cummin(x, axis=None) -> tuple[Tensor, Tensor]:
    """(values, indices): the running minimum along ``axis`` and where it was found."""
    return _cum_extreme(CumMin, x, axis, "cummin")


def logcumsumexp(x, axis=None) -> Tensor:
    """log(cumsum(exp(x))) along ``axis`` (None: flattened), stable for any magnitude."""
    return _scan_op(LogCumSumExp, x, axis, "logcumsumexp")
