"""2-D convolution (channels-last) by im2col and one GEMM; its transpose.

Layout: x (N, H, W, C), kernel (KH, KW, C / groups, F) as Keras stores it, output
(N, OH, OW, F). With the input zero-padded to xpad,

    y[n, p, q, f] = sum_{i, j, c} xpad[n, p*sh + i*dh, q*sw + j*dw, c] * w[i, j, c, f] + b[f]

im2col: a strided view of xpad with shape (N, OH, OW, KH, KW, C) holds every window without
copying; reshaping it to (N*OH*OW, KH*KW*C) makes the one copy, and the convolution is then
one matrix product with the kernel reshaped to (KH*KW*C, F):
    y = cols @ w + b                       (one GEMM)
Backward:
    dw = cols.T @ dy                       (one GEMM)
    db = sum of dy over every axis but the last
    dx: each kernel offset (i, j) adds dy @ w[i, j].T back onto the input positions it read:
    KH*KW small GEMMs and strided additions, never a loop over pixels.
Groups split C and F into equal parts; each part is an independent convolution, computed
together as one batched matrix product.

This is the reference; ``glassnet.kernels.conv`` runs the same op faster during ``fit``,
``evaluate`` and ``predict``.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.activation import ReLU, relu_rule_in_effect
from glassnet.autograd.tensor import Function, Tensor
from glassnet.backend import kernel_for


def same_padding(size, kernel, stride, dilation):
    """(before, after) zero padding that makes the output ceil(size / stride) long, the
    extra pixel after (TensorFlow's and Keras's "same")."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def strided_view(x, shape, strides):
    """A read-only view of ``x`` with ``shape`` and ``strides`` (bytes), on x's device."""
    if isinstance(x, np.ndarray):
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)
    # CuPy's as_strided takes no ``writeable``; nothing here writes into the view
    return backend.get_array_module(x).lib.stride_tricks.as_strided(x, shape, strides)


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

    def windows(self, xpad, kh, kw, oh, ow):
        """The (N, OH, OW, KH, KW, C) view of every window of the padded input."""
        n, _, _, c = xpad.shape
        s_n, s_h, s_w, s_c = xpad.strides
        (sh, sw), (dh, dw) = self.strides, self.dilation
        return strided_view(xpad, (n, oh, ow, kh, kw, c),
                            (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c))

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


def im2col(x, w_shape, geom):
    """(cols, (N, OH, OW)): every window of the padded input as one row, shaped
    (G, N*OH*OW, KH*KW*Cg) (G = 1 without groups)."""
    kh, kw, cg, _ = w_shape
    xpad = geom.padded(x)
    n = xpad.shape[0]
    oh, ow = geom.out_hw(x.shape[1], x.shape[2], kh, kw)
    g = geom.groups
    view = geom.windows(xpad, kh, kw, oh, ow).reshape(n * oh * ow, kh, kw, g, cg)
    xp = backend.get_array_module(x)
    cols = xp.ascontiguousarray(view.transpose(3, 0, 1, 2, 4)).reshape(g, -1, kh * kw * cg)
    return cols, (n, oh, ow)


def conv_forward(x, w, geom):
    """(y, cols): the convolution without bias, and the im2col matrix backward needs."""
    cols, (n, oh, ow) = im2col(x, w.shape, geom)
    f = w.shape[3]
    y = (cols @ _grouped_kernel(w, geom.groups)).transpose(1, 0, 2).reshape(n, oh, ow, f)
    return y, cols


def conv_weight_grad(cols, gy, w_shape, groups):
    """dw = cols.T @ dy, per group."""
    f = w_shape[3]
    gy_g = gy.reshape(-1, groups, f // groups).transpose(1, 0, 2)
    gw = np.swapaxes(cols, 1, 2) @ gy_g  # (G, KH*KW*Cg, F/G)
    return gw.transpose(1, 0, 2).reshape(w_shape)


def conv_input_grad(gy, w, geom, x_shape):
    """dx: each kernel offset (i, j) adds dy @ w[i, j].T onto the input positions it read."""
    kh, kw, cg, f = w.shape
    n, h, wd, c = x_shape
    oh, ow = gy.shape[1], gy.shape[2]
    (pt, pb), (pl, pr) = geom.pads
    g = geom.groups
    xp = backend.get_array_module(gy)
    dxp = xp.zeros((n, h + pt + pb, wd + pl + pr, c), dtype=gy.dtype)
    gy_g = gy.reshape(-1, g, f // g).transpose(1, 0, 2)  # (G, M, F/G)
    for i, j, where in geom.offsets(kh, kw, oh, ow):
        w_ij = w[i, j].reshape(cg, g, f // g).transpose(1, 2, 0)  # (G, F/G, Cg)
        d = (gy_g @ w_ij).transpose(1, 0, 2)  # (M, G, Cg): input channel c = group * Cg + k
        dxp[where] += d.reshape(n, oh, ow, c)
    return dxp[:, pt:pt + h, pl:pl + wd, :]


def bias_grad(gy):
    """db: the sum of gy over every axis but the last."""
    return gy.reshape(-1, gy.shape[-1]).sum(axis=0)


class Conv2D(Function):
    """y = conv(x, w) + b, channels-last; see the module docstring for the formulas.

    With ``relu=True`` the rectifier is part of the op: y = max(conv + b, 0), and backward
    first masks the gradient, dy * (y > 0) (one graph node for Conv2D(activation="relu")).
    """

    def __init__(self, geom, relu=False):
        self.geom, self.relu = geom, relu

    def forward(self, x, w, b=None):
        self.x_shape, self.w = x.shape, w
        y, self.cols = conv_forward(x, w, self.geom)
        if b is not None:
            y += b
        if self.relu:
            np.maximum(y, 0, out=y)
            self.y = y
        return y

    def backward(self, gy):
        need = self.needs_input_grad
        if self.relu:
            gy = gy * (self.y > 0)
        gx = conv_input_grad(gy, self.w, self.geom, self.x_shape) if need[0] else None
        gw = conv_weight_grad(self.cols, gy, self.w.shape, self.geom.groups) if need[1] else None
        if len(need) == 3:
            return gx, gw, bias_grad(gy) if need[2] else None
        return gx, gw


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
    if relu and relu_rule_in_effect() != "standard":
        # the fused backward knows only the derivative; the ReLU op knows every rule
        return ReLU()(kernel_for(Conv2D)(geom, False)(*inputs))
    return kernel_for(Conv2D)(geom, relu)(*inputs)


def conv2d_transpose(x, w, b=None, strides=1, padding="valid", dilation=1,
                     output_shape=None) -> Tensor:
    """Transposed 2-D convolution, channels-last: x (N, H, W, C), w (KH, KW, F, C).

    Output size per axis, with k = (kernel - 1) * dilation + 1: (size - 1) * stride +
    max(k, stride) for "valid" (a stride wider than the kernel leaves its gap at the end too),
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
            output_shape = tuple((s - 1) * st + max((k - 1) * d + 1, st) for s, k, st, d in
                                 zip(x.shape[1:3], (kh, kw), strides, dilation))
    pads = resolve_padding(padding, output_shape, (kh, kw), strides, dilation)
    geom = Geometry(strides, dilation, pads, 1)
    if geom.out_hw(*output_shape, kh, kw) != tuple(x.shape[1:3]):
        raise ValueError(f"conv2d_transpose: output_shape {tuple(output_shape)} is not "
                         f"reachable from input {x.shape[1:3]} with these strides and padding")
    # The kernel read as a convolution from F to C channels.
    out_shape = (x.shape[0], *output_shape, f)
    inputs = (x, w) if b is None else (x, w, constant(b, like=w))
    return Conv2DTranspose(geom, out_shape)(*inputs)
