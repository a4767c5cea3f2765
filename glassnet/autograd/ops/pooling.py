"""2-D max and average pooling, channels-last, windows read through a strided view.

Non-overlapping windows (stride = pool size, no padding, the common 2x2 case) are a reshape:
(N, OH, ph, OW, pw, C), reduced over the two window axes. The general case reads the
(N, OH, OW, ph*pw, C) windows of the padded input. Backward adds each window's gradient back
through the kernel offsets (ph*pw strided additions, no loop over pixels).

Max pooling sends a window's gradient to its first maximum in row-major order, as PyTorch
does for ties; "same" padding pads with -inf, so padding never wins. Average pooling with
"same" padding divides by the number of real (unpadded) values in each window, as Keras does.

This is the reference; ``glassnet.kernels.pool`` runs max pooling faster during ``fit``,
``evaluate`` and ``predict``.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.grad_mode import is_grad_enabled
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.convolution import Geometry, _pair, resolve_padding
from glassnet.autograd.tensor import Function, Tensor
from glassnet.backend import kernel_for


class _Pool(Function):
    def __init__(self, pool, geom, for_backward=True):
        # for_backward: False under no_grad or for inputs without gradients (inference),
        # so forward skips what only backward needs.
        self.pool, self.geom, self.for_backward = pool, geom, for_backward

    def _setup(self, x, fill):
        ph, pw = self.pool
        self.x_shape = x.shape
        (pt, pb), (pl, pr) = self.geom.pads
        self.oh, self.ow = self.geom.out_hw(x.shape[1], x.shape[2], ph, pw)
        self.non_overlapping = (self.geom.strides == self.pool and not (pt or pb or pl or pr))
        if self.non_overlapping:
            return x
        if pt or pb or pl or pr:
            return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
        return x

    def _blocks(self, x):
        """Non-overlapping windows as (N, OH, ph, OW, pw, C) (a view, rows past the last
        whole window dropped)."""
        (ph, pw), oh, ow = self.pool, self.oh, self.ow
        n, _, _, c = x.shape
        return x[:, :oh * ph, :ow * pw].reshape(n, oh, ph, ow, pw, c)

    def _offset_views(self, xpad):
        """For each window offset (row-major), the strided view of what it reads."""
        ph, pw = self.pool
        if self.non_overlapping:
            blocks = self._blocks(xpad)
            for i in range(ph):
                for j in range(pw):
                    yield blocks[:, :, i, :, j, :]
        else:
            for _, _, where in self.geom.offsets(ph, pw, self.oh, self.ow):
                yield xpad[where]

    def _windows(self, xpad):
        (ph, pw), oh, ow = self.pool, self.oh, self.ow
        view = self.geom.windows(xpad, ph, pw, oh, ow)  # (N, OH, OW, ph, pw, C)
        return view.reshape(xpad.shape[0], oh, ow, ph * pw, xpad.shape[3])

    def _scatter(self, per_offset, gy):
        """dx from per-offset gradients: per_offset(k) -> (N, OH, OW, C) is the gradient that
        window offset k (row-major) sends back to the input it read; dx is made like gy."""
        xp, dtype = backend.get_array_module(gy), gy.dtype
        n, h, w, c = self.x_shape
        (pt, pb), (pl, pr) = self.geom.pads
        ph, pw = self.pool
        if self.non_overlapping:
            dx = xp.zeros(self.x_shape, dtype)
            dblocks = self._blocks(dx)  # a view: writing it writes dx
            for i in range(ph):
                for j in range(pw):
                    dblocks[:, :, i, :, j, :] = per_offset(i * pw + j)
            return dx
        dxp = xp.zeros((n, h + pt + pb, w + pl + pr, c), dtype)
        for i, j, where in self.geom.offsets(ph, pw, self.oh, self.ow):
            dxp[where] += per_offset(i * pw + j)
        return dxp[:, pt:pt + h, pl:pl + w]


class MaxPool2D(_Pool):
    """y = max over each window;  dx = dy at the window's first maximum, 0 elsewhere.

    The windows are read as (N, OH, OW, ph*pw, C); ``argmax`` over the window axis gives the
    first maximum in row-major order (PyTorch's rule for ties), and backward adds dy back
    through each window offset where that offset won.
    """

    def forward(self, x):
        windows = self._windows(self._setup(x, -np.inf))
        y = windows.max(axis=3)
        if self.for_backward:
            self.winner = windows.argmax(axis=3)
        return y

    def backward(self, gy):
        return self._scatter(lambda k: gy * (self.winner == k), gy)


class AvgPool2D(_Pool):
    """y = mean of each window (of its real values);  dx = dy / count, spread over the window."""

    def forward(self, x):
        xpad = self._setup(x, 0.0)
        if self.non_overlapping:
            self.counts = x.dtype.type(self.pool[0] * self.pool[1])  # a scalar: any device
            total = None
            for view in self._offset_views(xpad):
                total = view.copy() if total is None else np.add(total, view, out=total)
            return total / self.counts
        # How many real (unpadded) values each window holds: pool the padded ones.
        (pt, pb), (pl, pr) = self.geom.pads
        ones = backend.get_array_module(x).ones((1, *x.shape[1:3], 1), x.dtype)
        ones = np.pad(ones, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
        self.counts = self._windows(ones).sum(axis=3)  # (1, OH, OW, 1)
        return self._windows(xpad).sum(axis=3) / self.counts

    def backward(self, gy):
        share = gy / self.counts
        return self._scatter(lambda _: share, gy)


def _pool(cls, x, pool_size, strides, padding, name):
    x = constant(x)
    if x.ndim != 4:
        raise ValueError(f"{name}: expected 4-D input (batch, height, width, channels); "
                         f"received input of shape {x.shape}")
    pool = _pair(pool_size, "pool_size")
    strides = pool if strides is None else _pair(strides, "strides")
    if padding not in ("valid", "same"):
        raise ValueError(f"{name}: padding must be 'valid' or 'same'. Received: {padding!r}")
    pads = resolve_padding(padding, x.shape[1:3], pool, strides, (1, 1))
    geom = Geometry(strides, (1, 1), pads, 1)
    oh, ow = geom.out_hw(x.shape[1], x.shape[2], *pool)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"{name}: a pool of {pool[0]}x{pool[1]} does not fit an input of "
                         f"{x.shape[1]}x{x.shape[2]} with padding '{padding}'")
    return kernel_for(cls)(pool, geom, for_backward=x.requires_grad and is_grad_enabled())(x)


def max_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Max pooling, channels-last; ``strides`` defaults to ``pool_size``.

    >>> import glassnet
    >>> max_pool2d(glassnet.arange(16.0).reshape(1, 4, 4, 1)).numpy()[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    return _pool(MaxPool2D, x, pool_size, strides, padding, "max_pool2d")


def avg_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Average pooling, channels-last; ``strides`` defaults to ``pool_size``."""
    return _pool(AvgPool2D, x, pool_size, strides, padding, "avg_pool2d")
