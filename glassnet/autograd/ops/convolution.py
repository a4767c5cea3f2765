"""2-D convolution (channels-last) by im2col and one GEMM; its transpose.

Layout: x (N, H, W, C), kernel (KH, KW, C / groups, F) as Keras stores it, output
(N, OH, OW, F). With the input zero-padded to xp,

    y[n, p, q, f] = sum_{i, j, c} xp[n, p*sh + i*dh, q*sw + j*dw, c] * w[i, j, c, f] + b[f]

im2col: a strided view of xp with shape (N, OH, OW, KH, KW, C) holds every window without
copying; reshaping it to (N*OH*OW, KH*KW*C) makes the one copy, and the convolution is then
one matrix product with the kernel reshaped to (KH*KW*C, F). cols carries one more column,
of ones, so the bias rides along in the products instead of taking passes of its own over
the output:
    y = [cols 1] @ [w; b]                  (one GEMM)
Backward:
    [dw; db] = [cols 1].T @ dy             (one GEMM)
    dx: each kernel offset (i, j) adds dy @ w[i, j].T back onto the input positions it read:
    KH*KW small GEMMs and strided additions, never a loop over pixels.
Groups split C and F into equal parts; each part is an independent convolution, computed
together as one batched matrix product.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from glassnet import parallel
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Function, Tensor
from glassnet.parallel import over_batch


def same_padding(size, kernel, stride, dilation):
    """(before, after) zero padding that makes the output ceil(size / stride) long, the
    extra pixel after (TensorFlow's and Keras's "same")."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def output_size(size, kernel, stride, dilation, pads):
    return (size + pads[0] + pads[1] - (kernel - 1) * dilation - 1) // stride + 1


class Geometry:
    """Strides, dilation, padding and groups of one convolution, with the index helpers."""

    def __init__(self, strides, dilation, pads, groups):
        self.strides, self.dilation, self.pads, self.groups = strides, dilation, pads, groups

    def padded(self, x):
        (pt, pb), (pl, pr) = self.pads
        if pt or pb or pl or pr:
            return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
        return x

    def out_hw(self, h, w, kh, kw):
        return (output_size(h, kh, self.strides[0], self.dilation[0], self.pads[0]),
                output_size(w, kw, self.strides[1], self.dilation[1], self.pads[1]))

    def windows(self, xp, kh, kw, oh, ow):
        """The (N, OH, OW, KH, KW, C) view of every window of the padded input."""
        n, _, _, c = xp.shape
        s_n, s_h, s_w, s_c = xp.strides
        (sh, sw), (dh, dw) = self.strides, self.dilation
        return as_strided(xp, (n, oh, ow, kh, kw, c),
                          (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c), writeable=False)

    def offsets(self, kh, kw, oh, ow):
        """For each kernel offset (i, j), the strided slices of the padded input it reads."""
        (sh, sw), (dh, dw) = self.strides, self.dilation
        for i in range(kh):
            for j in range(kw):
                yield i, j, (slice(None), slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                             slice(j * dw, j * dw + (ow - 1) * sw + 1, sw), slice(None))


def _grouped_kernel(w, groups):
    """(KH, KW, Cg, F) -> (G, KH*KW*Cg, F/G)."""
    kh, kw, cg, f = w.shape
    return w.reshape(kh * kw * cg, groups, f // groups).transpose(1, 0, 2)


def conv_forward(x, w, geom, bias=None, relu=False, epilogue=None):
    """(y, cols): the convolution (plus ``bias``, then max(., 0) if ``relu``) and the im2col
    matrix backward needs, (N*OH*OW, KH*KW*C + 1) with its column of ones last (without
    groups). Each thread takes a slice of the batch through im2col, GEMM and relu while its
    rows are still in cache, then ``epilogue(lo, hi, y_slice)`` if given (a max pool fused
    after the convolution: see ``conv_pool``)."""
    kh, kw, cg, f = w.shape
    xp = geom.padded(x)
    n, hp, wp, c = xp.shape
    oh, ow = geom.out_hw(x.shape[1], x.shape[2], kh, kw)
    m = n * oh * ow
    if geom.groups == 1:
        k = kh * kw * c
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

        over_batch(part, n, cols.size + y.size)
    else:
        g = geom.groups
        view = geom.windows(xp, kh, kw, oh, ow).reshape(m, kh, kw, g, cg)
        cols = np.ascontiguousarray(view.transpose(3, 0, 1, 2, 4)).reshape(g, m, kh * kw * cg)
        y = (cols @ _grouped_kernel(w, g)).transpose(1, 0, 2).reshape(m, f)
        _bias_relu(y, bias, relu)
    return y.reshape(n, oh, ow, f), cols


def _bias_relu(y, bias, relu):
    if bias is not None:
        y += bias
    if relu:
        np.maximum(y, 0, out=y)


def conv_weight_grad(cols, gy, w_shape, groups, out=None):
    """dL/dw from the im2col matrix and the output gradient."""
    kh, kw, cg, f = w_shape
    gy2 = gy.reshape(-1, f)
    if groups == 1:
        return parallel.matmul_tn(cols[:, :-1], gy2, None if out is None else
                                  out.reshape(-1, f)).reshape(w_shape)
    gy_g = gy2.reshape(-1, groups, f // groups).transpose(1, 0, 2)
    gw = np.swapaxes(cols, 1, 2) @ gy_g  # (G, KH*KW*Cg, F/G)
    return gw.transpose(1, 0, 2).reshape(w_shape)


def conv_input_grad(gy, w, geom, x_shape):
    """dL/dx: each kernel offset (i, j) adds dy @ w[i, j].T onto the input positions it read
    (see ``_add_input_grad``); without groups each thread takes a slice of the batch."""
    kh, kw, cg, f = w.shape
    n, h, wd, c = x_shape
    oh, ow = gy.shape[1], gy.shape[2]
    (pt, pb), (pl, pr) = geom.pads
    dxp = np.empty((n, h + pt + pb, wd + pl + pr, c), dtype=gy.dtype)
    if geom.groups == 1:
        over_batch(lambda lo, hi: _add_input_grad(dxp[lo:hi], gy[lo:hi], w, geom), n,
                   dxp.size * kh * kw)
    else:
        dxp.fill(0)
        g = geom.groups
        gy_g = gy.reshape(-1, g, f // g).transpose(1, 0, 2)
        d = gy_g @ np.swapaxes(_grouped_kernel(w, g), 1, 2)  # (G, M, KH*KW*Cg)
        dcols = d.reshape(g, n, oh, ow, kh, kw, cg).transpose(1, 2, 3, 4, 5, 0, 6) \
            .reshape(n, oh, ow, kh, kw, c)
        for i, j, where in geom.offsets(kh, kw, oh, ow):
            dxp[where] += dcols[:, :, :, i, j, :]
    return dxp[:, pt:pt + h, pl:pl + wd, :]


def _add_input_grad(dxp, gy, w, geom):
    """Write into ``dxp`` (the padded input's gradient) the sum over kernel offsets of
    dy @ w[i, j].T, each added to the positions that offset read.

    One GEMM per offset rather than one GEMM into a (N*OH*OW, KH*KW*C) array: each product is
    contiguous and small enough to stay in cache while it is added to its strided slice
    (the single large array thrashed the cache: 17 ms against 2 ms at batch 128).
    """
    kh, kw, _, f = w.shape
    n, oh, ow, _ = gy.shape
    g = gy.reshape(-1, f)
    dxp.fill(0)
    for i, j, where in geom.offsets(kh, kw, oh, ow):
        dxp[where] += (g @ w[i, j].T).reshape(n, oh, ow, dxp.shape[3])


def conv_backward(gy, relu_y, cols, w, geom, x_shape, need_x, need_w, need_b, w_out=None):
    """(dx, dw, db) of a convolution without groups, ``relu_y`` the output to mask dy with
    (or None). Each thread takes a slice of the batch through the mask, the input gradient
    and its share of [dw; db] = [cols 1].T @ dy while that slice of dy is in cache; the
    shares are added in batch order. ``gy`` may be a function (lo, hi) -> dy of those rows,
    computed in the same pass (the backward of a fused max pool)."""
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
            _add_input_grad(dxp[lo:hi], g, w, geom)
        if need_w or need_b:
            shares[lo] = a[lo * rows:hi * rows].T @ g.reshape(-1, f)

    over_batch(part, n, cols.size + n * rows * f * (kh * kw if need_x else 1))
    gx = dxp[:, pt:pt + h, pl:pl + wd, :] if need_x else None
    if not (need_w or need_b):
        return gx, None, None
    k = kh * kw * c
    total = parallel.sum_in_order(shares)
    gw = None
    if need_w:
        gw = total[:k].reshape(w.shape)
        if w_out is not None:  # the buffer the parameter keeps for its gradient (fit)
            np.copyto(w_out, gw)
            gw = w_out
    return gx, gw, total[k].copy() if need_b else None


def relu_mask(gy, y):
    """gy where y > 0, else 0 (the rectifier's gradient), split over the batch."""
    out = np.empty(np.broadcast_shapes(gy.shape, y.shape), np.result_type(gy, y))
    over_batch(lambda lo, hi: np.multiply(gy[lo:hi], y[lo:hi] > 0, out=out[lo:hi]),
               len(out), out.size)
    return out


def _grad_out(tensor):
    offer = getattr(tensor, "grad_out", None)
    return offer() if offer is not None else None


class Conv2D(Function):
    """y = conv(x, w) + b, channels-last; see the module docstring for the formulas.

    With ``relu=True`` the rectifier is applied in place, y = max(conv + b, 0), and its
    gradient (dy where y > 0) folded into backward: on activations of megabytes, one array and
    two passes over memory fewer than a separate relu op. A consumer whose gradient is already
    zero wherever y == 0 (max pooling masks its pooled gradient, a quarter of the size) hands
    that array over as ``premasked``; backward then skips the mask. Only that exact array
    counts: a gradient summed from several consumers is a new array and is masked.
    """

    premasked = None

    def __init__(self, geom, relu=False):
        self.geom, self.relu = geom, relu

    def forward(self, x, w, b=None):
        self.x_shape, self.w = x.shape, w
        y, self.cols = conv_forward(x, w, self.geom, b, self.relu)
        if self.relu:
            self.y = y
        return y

    def backward(self, gy):
        relu_y = self.y if self.relu and gy is not self.premasked else None
        need = self.needs_input_grad
        need_b = len(need) == 3 and need[2]
        if self.geom.groups == 1:
            gx, gw, gb = conv_backward(gy, relu_y, self.cols, self.w, self.geom, self.x_shape,
                                       need[0], need[1], need_b, _grad_out(self.inputs[1]))
            return (gx, gw, gb) if len(need) == 3 else (gx, gw)
        if relu_y is not None:
            gy = relu_mask(gy, relu_y)
        gx = conv_input_grad(gy, self.w, self.geom, self.x_shape) if need[0] else None
        gw = conv_weight_grad(self.cols, gy, self.w.shape, self.geom.groups,
                              _grad_out(self.inputs[1])) if need[1] else None
        if len(need) == 3:
            return gx, gw, bias_grad(gy) if need[2] else None
        return gx, gw


def bias_grad(gy):
    """sum of gy over every axis but the last (see ``parallel.sum_rows``)."""
    return parallel.sum_rows(gy.reshape(-1, gy.shape[-1]))


class Conv2DTranspose(Function):
    """The transpose of a convolution: y = conv_input_grad(x) for the kernel
    w (KH, KW, F, C) read as a convolution from F to C channels; so dx is that convolution
    applied to dy, and dw its weight gradient with dy as the input."""

    def __init__(self, geom, out_shape):
        self.geom, self.out_shape = geom, out_shape

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        y = conv_input_grad(x, w, self.geom, self.out_shape)
        if b is not None:
            y = y + b
        return y

    def backward(self, gy):
        need = self.needs_input_grad
        gx, cols = conv_forward(gy, self.w, self.geom)
        gw = conv_weight_grad(cols, self.x, self.w.shape, self.geom.groups) if need[1] else None
        if len(need) == 3:
            return (gx if need[0] else None, gw, bias_grad(gy) if need[2] else None)
        return gx if need[0] else None, gw


def _pair(value, name):
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(not isinstance(v, (int, np.integer)) or v <= 0 for v in pair):
        raise ValueError(f"conv2d: {name} must be a positive integer or a pair of them. "
                         f"Received: {name}={value!r}")
    return tuple(int(v) for v in pair)


def resolve_padding(padding, size_hw, kernel_hw, strides, dilation):
    """Explicit ((top, bottom), (left, right)) pads from "valid", "same" or explicit pairs."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple(same_padding(s, k, st, d)
                     for s, k, st, d in zip(size_hw, kernel_hw, strides, dilation))
    pads = tuple(tuple(int(v) for v in p) for p in padding)
    if len(pads) != 2 or any(len(p) != 2 or min(p) < 0 for p in pads):
        raise ValueError(f"conv2d: padding must be 'valid', 'same' or ((top, bottom), "
                         f"(left, right)). Received: padding={padding!r}")
    return pads


def conv2d(x, w, b=None, strides=1, padding="valid", dilation=1, groups=1,
           relu=False) -> Tensor:
    """2-D convolution, channels-last: x (N, H, W, C), w (KH, KW, C/groups, F), b (F,);
    ``relu=True`` fuses max(., 0) into the same op.

    >>> import glassnet
    >>> y = conv2d(glassnet.ones(1, 4, 4, 1), glassnet.ones(3, 3, 1, 2))
    >>> y.shape, y.numpy()[0, 0, 0].tolist()
    ((1, 2, 2, 2), [9.0, 9.0])
    """
    x, w = constant(x), constant(w)
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected 4-D input (batch, height, width, channels); "
                         f"received input of shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-D kernel (height, width, in_channels, "
                         f"filters); received a kernel of shape {w.shape}")
    strides, dilation = _pair(strides, "strides"), _pair(dilation, "dilation")
    groups = int(groups)
    kh, kw, cg, f = w.shape
    c = x.shape[-1]
    if groups <= 0 or c % groups or f % groups or cg * groups != c:
        raise ValueError(f"conv2d: input with {c} channels and a kernel of shape {w.shape} "
                         f"do not fit groups={groups} (the kernel expects {cg * groups} input "
                         f"channels)")
    pads = resolve_padding(padding, x.shape[1:3], (kh, kw), strides, dilation)
    geom = Geometry(strides, dilation, pads, groups)
    oh, ow = geom.out_hw(x.shape[1], x.shape[2], kh, kw)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"conv2d: a kernel of {kh}x{kw} (dilation {dilation}) does not fit "
                         f"an input of {x.shape[1]}x{x.shape[2]} with padding {pads}")
    inputs = (x, w) if b is None else (x, w, constant(b, like=w))
    return Conv2D(geom, relu)(*inputs)


def conv2d_transpose(x, w, b=None, strides=1, padding="valid", dilation=1,
                     output_shape=None) -> Tensor:
    """Transposed 2-D convolution, channels-last: x (N, H, W, C), w (KH, KW, F, C).

    Output size per axis: (size - 1) * stride + (kernel - 1) * dilation + 1 for "valid",
    size * stride for "same" (Keras's rules), unless ``output_shape`` (H, W) is given.
    """
    x, w = constant(x), constant(w)
    if x.ndim != 4 or w.ndim != 4 or w.shape[3] != x.shape[3]:
        raise ValueError(f"conv2d_transpose: expected x (N, H, W, C) and a kernel (KH, KW, F, "
                         f"C); received shapes {x.shape} and {w.shape}")
    strides, dilation = _pair(strides, "strides"), _pair(dilation, "dilation")
    kh, kw, f, _ = w.shape
    if output_shape is None:
        if padding == "same":
            output_shape = (x.shape[1] * strides[0], x.shape[2] * strides[1])
        else:
            output_shape = tuple((s - 1) * st + (k - 1) * d + 1 for s, k, st, d in zip(
                x.shape[1:3], (kh, kw), strides, dilation))
    pads = resolve_padding(padding, output_shape, (kh, kw), strides, dilation)
    geom = Geometry(strides, dilation, pads, 1)
    if geom.out_hw(*output_shape, kh, kw) != tuple(x.shape[1:3]):
        raise ValueError(f"conv2d_transpose: output_shape {tuple(output_shape)} is not "
                         f"reachable from input {x.shape[1:3]} with these strides and padding")
    # The kernel read as a convolution from F to C channels.
    out_shape = (x.shape[0], *output_shape, f)
    inputs = (x, w) if b is None else (x, w, constant(b, like=w))
    return Conv2DTranspose(geom, out_shape)(*inputs)
