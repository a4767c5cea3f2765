"""3-D max and average pooling, channels-last, windows read through a strided view.

x (N, D, H, W, C) -> y (N, OD, OH, OW, C). The windows of the padded input are the view
(N, OD, OH, OW, pd, ph, pw, C) (:class:`VolumeGeometry`, shared with the 3-D convolution),
flattened to (N, OD, OH, OW, pd*ph*pw, C) and reduced over the window axis:

    max:      y = max_k window[k]          dx = dy at the window's first maximum, else 0
    average:  y = sum_k window[k] / count  dx = dy / count, spread over the window

Backward adds each window's gradient back through the pd*ph*pw kernel offsets (strided
additions, no loop over voxels). Ties go to the first maximum in row-major order, as
PyTorch does; "same" padding pads max pooling with -inf (padding never wins) and average
pooling divides by the number of real (unpadded) values in each window, as Keras does.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.grad_mode import is_grad_enabled
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.convolution3d import VolumeGeometry, resolve_pads, triple
from glassnet.autograd.tensor import Function, Tensor


class _Pool3D(Function):
    fill = 0.0

    def __init__(self, pool, geom, for_backward=True):
        # for_backward: False under no_grad or for inputs without gradients (inference),
        # so forward skips what only backward needs.
        self.pool, self.geom, self.for_backward = pool, geom, for_backward

    def _windows(self, x):
        """(N, *out, prod(pool), C): every window of the padded input (one copy)."""
        self.x_shape = x.shape
        self.out = self.geom.out_sizes(x.shape[1:-1], self.pool)
        view = self.geom.windows(self.geom.padded(x, self.fill), self.pool, self.out)
        return view.reshape(x.shape[0], *self.out, -1, x.shape[-1])

    def _scatter(self, per_offset, gy):
        """dx from per-offset gradients: per_offset(k) -> (N, *out, C) is the gradient that
        window offset k (row-major) sends back to the input it read; dx is made like gy."""
        pads = self.geom.pads
        padded = (self.x_shape[0], *(n + a + b for n, (a, b) in zip(self.x_shape[1:-1], pads)),
                  self.x_shape[-1])
        dxp = backend.get_array_module(gy).zeros(padded, gy.dtype)
        for k, _, where in self.geom.offsets(self.pool, self.out):
            dxp[where] += per_offset(k)
        crop = tuple(slice(a, a + n) for n, (a, _) in zip(self.x_shape[1:-1], pads))
        return dxp[(slice(None), *crop)]


class MaxPool3D(_Pool3D):
    """y = max over each window; dx = dy at the window's first maximum, 0 elsewhere."""

    fill = -np.inf

    def forward(self, x):
        windows = self._windows(x)
        axis = windows.ndim - 2
        if self.for_backward:
            self.winner = windows.argmax(axis=axis)
            return np.take_along_axis(windows, np.expand_dims(self.winner, axis),
                                      axis).squeeze(axis)
        return windows.max(axis=axis)

    def backward(self, gy):
        return self._scatter(lambda k: gy * (self.winner == k), gy)


class AvgPool3D(_Pool3D):
    """y = mean of each window's real values; dx = dy / count, spread over the window."""

    def forward(self, x):
        windows = self._windows(x)
        axis = windows.ndim - 2
        # How many real (unpadded) values each window holds: pool a volume of ones.
        ones = self.geom.padded(backend.get_array_module(x).ones((1, *x.shape[1:-1], 1), x.dtype))
        self.counts = self.geom.windows(ones, self.pool, self.out).reshape(
            1, *self.out, -1, 1).sum(axis=axis)  # (1, *out, 1)
        return windows.sum(axis=axis) / self.counts

    def backward(self, gy):
        share = gy / self.counts
        return self._scatter(lambda _: share, gy)


def _pool3d(cls, x, pool_size, strides, padding, name):
    x = constant(x)
    if x.ndim != 5:
        raise ValueError(f"{name}: expected 5-D input (batch, depth, height, width, "
                         f"channels); received input of shape {x.shape}")
    pool = triple(pool_size, "pool_size", name)
    strides = pool if strides is None else triple(strides, "strides", name)
    if padding not in ("valid", "same"):
        raise ValueError(f"{name}: padding must be 'valid' or 'same'. Received: {padding!r}")
    pads = resolve_pads(padding, x.shape[1:4], pool, strides, (1, 1, 1), name)
    geom = VolumeGeometry(strides, (1, 1, 1), pads)
    out = geom.out_sizes(x.shape[1:4], pool)
    if min(out) <= 0:
        raise ValueError(f"{name}: a pool of {'x'.join(map(str, pool))} does not fit an input "
                         f"of {'x'.join(map(str, x.shape[1:4]))} with padding '{padding}'")
    return cls(pool, geom, for_backward=x.requires_grad and is_grad_enabled())(x)


def max_pool3d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """3-D max pooling, channels-last; ``strides`` defaults to ``pool_size``.

    >>> import glassnet
    >>> max_pool3d(glassnet.arange(8.0).reshape(1, 2, 2, 2, 1)).numpy().ravel().tolist()
    [7.0]
    """
    return _pool3d(MaxPool3D, x, pool_size, strides, padding, "max_pool3d")


def avg_pool3d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """3-D average pooling, channels-last; ``strides`` defaults to ``pool_size``.

    >>> import glassnet
    >>> avg_pool3d(glassnet.arange(8.0).reshape(1, 2, 2, 2, 1)).numpy().ravel().tolist()
    [3.5]
    """
    return _pool3d(AvgPool3D, x, pool_size, strides, padding, "avg_pool3d")
