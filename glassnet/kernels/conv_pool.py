"""The trick: the tutorial CNN's building block in one op, max_pool2x2(relu(conv2d(x, w) + b)).

Replaces the readable ``conv2d(x, w, b, relu=True)`` followed by ``max_pool2d(., 2)``
(``glassnet.autograd.ops``): the same values and gradients, bit for bit equal to the fast
``conv.Conv2D`` followed by the fast ``pool.MaxPool2D``.

    c = conv2d(x, w) + b;   r = max(c, 0);   y[n, p, q, f] = max over the 2x2 window of r

Each thread takes a slice of the batch through im2col, GEMM, ReLU and the pool while the
slice's convolution output is still in cache, and backward takes each slice through the pool's
routing and the convolution's gradients the same way: one hand-off between threads in each
direction instead of two, and the full-size output never leaves the cache (it is not kept: the
pool's winning offsets are all backward needs). Backward:

    dr = dy routed to each window's first maximum, where that maximum is > 0 (ReLU)
    dx, dw, db = the convolution's gradients of dr

``Sequential`` runs a Conv2D(activation="relu") followed by MaxPooling2D(2) through it.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import is_grad_enabled
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.convolution import Geometry, _pair, resolve_padding
from glassnet.autograd.tensor import Function, Tensor
from glassnet.kernels import grad_buffers
from glassnet.kernels.conv import conv_backward, conv_forward
from glassnet.kernels.pool import MaxPool2D

_POOL_GEOMETRY = Geometry((2, 2), (1, 1), ((0, 0), (0, 0)), 1)


class Conv2DReluMaxPool(Function):
    """y = max_pool2x2(max(conv(x, w) + b, 0)); see the module docstring."""

    def __init__(self, geom, for_backward=True):
        self.geom, self.for_backward = geom, for_backward

    def forward(self, x, w, b=None):
        kh, kw, _, f = w.shape
        oh, ow = self.geom.out_hw(x.shape[1], x.shape[2], kh, kw)
        pool = MaxPool2D((2, 2), _POOL_GEOMETRY, self.for_backward)
        pool._setup(np.empty((0, oh, ow, f)), 0.0)  # the pool's geometry for this size
        pool.x_shape = (x.shape[0], oh, ow, f)
        y = np.empty((x.shape[0], pool.oh, pool.ow, f), np.result_type(x, w))
        winner = np.empty(y.shape, np.uint8) if self.for_backward else None

        def pool_slice(lo, hi, conv_out):
            pool.running_max(conv_out, y[lo:hi], None if winner is None else winner[lo:hi])

        _, self.cols = conv_forward(x, w, self.geom, b, relu=True, epilogue=pool_slice)
        self.pool, self.winner, self.y, self.x_shape, self.w = pool, winner, y, x.shape, w
        return y

    def backward(self, gy):
        pool, winner, y = self.pool, self.winner, self.y
        conv_grad = np.empty(pool.x_shape, gy.dtype)

        def routed(lo, hi):  # the pool's and the ReLU's gradient for these rows
            pool.scatter_slice(gy[lo:hi], winner[lo:hi], y[lo:hi], conv_grad[lo:hi])
            return conv_grad[lo:hi]

        need = self.needs_input_grad
        need_b = len(need) == 3 and need[2]
        gx, gw, gb = conv_backward(routed, None, self.cols, self.w, self.geom, self.x_shape,
                                   need[0], need[1], need_b,
                                   grad_buffers.out_for(self.inputs[1]))
        return (gx, gw, gb) if len(need) == 3 else (gx, gw)


def conv2d_relu_max_pool(x, w, b=None, strides=1, padding="valid", dilation=1) -> Tensor:
    """max_pool2d(relu(conv2d(x, w, b, strides, padding, dilation)), 2) in one op,
    channels-last; equal to the ops one after another. Its threads split the batch only inside
    a ``training()`` / ``inference()`` block; elsewhere it runs on the calling thread.

    >>> import glassnet
    >>> y = conv2d_relu_max_pool(glassnet.ones(1, 5, 5, 1), glassnet.ones(2, 2, 1, 3))
    >>> y.shape, y.numpy()[0, 0, 0].tolist()
    ((1, 2, 2, 3), [4.0, 4.0, 4.0])
    """
    x, w = constant(x), constant(w)
    if x.ndim != 4 or w.ndim != 4 or w.shape[2] != x.shape[3]:
        raise ValueError(f"conv2d_relu_max_pool: expected x (N, H, W, C) and a kernel "
                         f"(KH, KW, C, F); received shapes {x.shape} and {w.shape}")
    strides, dilation = _pair(strides, "strides"), _pair(dilation, "dilation")
    kh, kw = w.shape[:2]
    pads = resolve_padding(padding, x.shape[1:3], (kh, kw), strides, dilation)
    geom = Geometry(strides, dilation, pads, 1)
    oh, ow = geom.out_hw(x.shape[1], x.shape[2], kh, kw)
    if oh < 2 or ow < 2:
        raise ValueError(f"conv2d_relu_max_pool: the convolution's output {oh}x{ow} is "
                         f"smaller than the 2x2 pool (input {x.shape[1]}x{x.shape[2]})")
    inputs = (x, w) if b is None else (x, w, constant(b, like=w))
    for_backward = is_grad_enabled() and any(t.requires_grad for t in inputs)
    return Conv2DReluMaxPool(geom, for_backward)(*inputs)
