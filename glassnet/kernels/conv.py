"""The tricks of a fast convolution: threaded im2col with the bias as a column, the ReLU
fused in the same pass, the pooled-gradient handshake, and the weight gradient written into
a reused buffer.

Replaces ``glassnet.autograd.ops.convolution.Conv2D`` (without groups; grouped
convolutions run the readable op) inside a ``training()`` / ``inference()`` block. The
formulas are the readable op's; what changes is how they are run:

- Bias column: cols carries one more column, of ones, so the bias rides along in the products
  instead of taking passes of its own over the output::

      y = [cols 1] @ [w; b]            [dw; db] = [cols 1].T @ dy

- Threads: each thread takes a slice of the batch through im2col, GEMM and ReLU while its rows
  are still in cache (then an ``epilogue``: the max pool of ``conv_pool``), and in backward
  through the ReLU mask, the input gradient and its share of [dw; db]; the shares are added
  in batch order.
- Input gradient: one small GEMM per kernel offset, each added to its strided slice while it
  is in cache (one large (N*OH*OW, KH*KW*C) array thrashed the cache: 17 ms against 2 ms at
  batch 128).
- ``premasked``: a consumer whose gradient is already zero wherever y == 0 (the fast max pool
  masks its pooled gradient, a quarter of the size) hands that array over; backward then skips
  the ReLU mask. Only that exact array counts: a gradient summed from several consumers is a
  new array and is masked.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops import convolution
from glassnet.kernels import gemm, grad_buffers, threads


def conv_forward(x, w, geom, bias=None, relu=False, epilogue=None):
    """(y, cols): the convolution (plus ``bias``, then max(., 0) if ``relu``) and the im2col
    matrix backward needs, (N*OH*OW, KH*KW*C + 1) with its column of ones last. Without groups.
    ``epilogue(lo, hi, y_slice)`` runs on each slice of the batch after its convolution."""
    kh, kw, c, f = w.shape
    xp = geom.padded(x)
    n = xp.shape[0]
    oh, ow = geom.out_hw(x.shape[1], x.shape[2], kh, kw)
    m, k = n * oh * ow, kh * kw * c
    cols = np.empty((m, k + 1), x.dtype)  # the last column, of ones, for the bias
    y = np.empty((m, f), np.result_type(x, w))
    if bias is None:
        kernel, a = w.reshape(k, f), cols[:, :k]
    else:
        kernel, a = np.concatenate([w.reshape(k, f), bias.reshape(1, f)]), cols
    rows = oh * ow

    def part(lo, hi):
        r = slice(lo * rows, hi * rows)
        np.copyto(cols[r, :k].reshape(hi - lo, oh, ow, kh, kw, c),
                  geom.windows(xp[lo:hi], kh, kw, oh, ow))
        cols[r, k] = 1
        np.matmul(a[r], kernel, out=y[r])
        if relu:
            np.maximum(y[r], 0, out=y[r])
        if epilogue is not None:
            epilogue(lo, hi, y[r].reshape(hi - lo, oh, ow, f))

    threads.over_batch(part, n, cols.size + y.size)
    return y.reshape(n, oh, ow, f), cols


def add_input_grad(dxp, gy, w, geom):
    """Write into ``dxp`` (the padded input's gradient) the sum over kernel offsets of
    dy @ w[i, j].T, each added to the positions that offset read."""
    kh, kw, _, f = w.shape
    n, oh, ow, _ = gy.shape
    g = gy.reshape(-1, f)
    dxp.fill(0)
    for i, j, where in geom.offsets(kh, kw, oh, ow):
        dxp[where] += (g @ w[i, j].T).reshape(n, oh, ow, dxp.shape[3])


def conv_backward(gy, relu_y, cols, w, geom, x_shape, need_x, need_w, need_b, w_out=None):
    """(dx, dw, db) of a convolution without groups, ``relu_y`` the output to mask dy with
    (or None). ``gy`` may be a function (lo, hi) -> dy of those rows, computed in the same
    pass (the backward of a fused max pool). dw is written into ``w_out`` when given."""
    kh, kw, c, f = w.shape
    n, h, wd = x_shape[:3]
    oh, ow = geom.out_hw(h, wd, kh, kw)
    slice_of = gy if callable(gy) else (lambda lo, hi: gy[lo:hi])
    (pt, pb), (pl, pr) = geom.pads
    rows = oh * ow
    dxp = np.empty((n, h + pt + pb, wd + pl + pr, c), cols.dtype) if need_x else None
    a = cols if need_b else cols[:, :-1]
    shares = {}

    def part(lo, hi):
        g = slice_of(lo, hi)
        if relu_y is not None:
            g = g * (relu_y[lo:hi] > 0)
        if need_x:
            add_input_grad(dxp[lo:hi], g, w, geom)
        if need_w or need_b:
            shares[lo] = a[lo * rows:hi * rows].T @ g.reshape(-1, f)

    threads.over_batch(part, n, cols.size + n * rows * f * (kh * kw if need_x else 1))
    gx = dxp[:, pt:pt + h, pl:pl + wd, :] if need_x else None
    if not (need_w or need_b):
        return gx, None, None
    k = kh * kw * c
    total = gemm.sum_in_order(shares)
    gw = None
    if need_w:
        gw = total[:k].reshape(w.shape)
        if w_out is not None:
            np.copyto(w_out, gw)
            gw = w_out
    return gx, gw, total[k].copy() if need_b else None


class Conv2D(convolution.Conv2D):
    """y = conv(x, w) + b (then max(., 0) with ``relu``); see the module docstring."""

    premasked = None

    def forward(self, x, w, b=None):
        if self.geom.groups != 1:
            return super().forward(x, w, b)
        self.x_shape, self.w = x.shape, w
        y, self.cols = conv_forward(x, w, self.geom, b, self.relu)
        if self.relu:
            self.y = y
        return y

    def backward(self, gy):
        if self.geom.groups != 1:
            return super().backward(gy)
        relu_y = self.y if self.relu and gy is not self.premasked else None
        need = self.needs_input_grad
        need_b = len(need) == 3 and need[2]
        gx, gw, gb = conv_backward(gy, relu_y, self.cols, self.w, self.geom, self.x_shape,
                                   need[0], need[1], need_b, grad_buffers.out_for(self.inputs[1]))
        return (gx, gw, gb) if len(need) == 3 else (gx, gw)
