"""3-D convolution (channels-last) by im2col and one GEMM; its transpose.

Layout: x (N, D, H, W, C), kernel (KD, KH, KW, C / groups, F) as Keras stores it, output
(N, OD, OH, OW, F). With the input zero-padded to xpad and s, d the strides and dilation,

    y[n, p, q, r, f] = sum_{i, j, k, c} xpad[n, p*s0 + i*d0, q*s1 + j*d1, r*s2 + k*d2, c]
                                          * w[i, j, k, c, f] + b[f]

im2col: a strided view of xpad shaped (N, OD, OH, OW, KD, KH, KW, C) holds every window
without copying; reshaping it to (N*OD*OH*OW, KD*KH*KW*C) makes the one copy, and then
    y  = cols @ w + b                      (one GEMM, w reshaped to (KD*KH*KW*C, F))
    dw = cols.T @ dy                       (one GEMM)
    db = sum of dy over every axis but the last
    dx = col2im(dy @ w.T)                  (one GEMM; then each kernel offset (i, j, k) adds
        its columns back onto the input positions it read: KD*KH*KW strided additions,
        never a loop over voxels)
Groups split C and F into equal parts, computed together as one batched matrix product.

The 2-D op (``convolution.py``) is the same algorithm with one axis fewer; the helpers here
take any number of spatial axes, and the public functions fix it at three.
"""

from __future__ import annotations

import itertools

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.convolution import bias_grad, output_size, same_padding, strided_view
from glassnet.autograd.tensor import Function, Tensor

RANK = 3


class VolumeGeometry:
    """Strides, dilation, (before, after) pads per spatial axis and groups of one
    convolution over ``len(strides)`` spatial axes, with the index helpers."""

    def __init__(self, strides, dilation, pads, groups=1):
        self.strides, self.dilation, self.pads, self.groups = strides, dilation, pads, groups

    def padded(self, x, fill=0.0):
        if any(a or b for a, b in self.pads):
            return np.pad(x, ((0, 0), *self.pads, (0, 0)), constant_values=fill)
        return x

    def out_sizes(self, sizes, kernel):
        return tuple(output_size(n, k, s, d, p) for n, k, s, d, p in
                     zip(sizes, kernel, self.strides, self.dilation, self.pads))

    def windows(self, xpad, kernel, out):
        """The (N, *out, *kernel, C) view of every window of the padded input."""
        s_n, *s_sp, s_c = xpad.strides
        shape = (xpad.shape[0], *out, *kernel, xpad.shape[-1])
        strides = (s_n, *(st * s for st, s in zip(s_sp, self.strides)),
                   *(st * d for st, d in zip(s_sp, self.dilation)), s_c)
        return strided_view(xpad, shape, strides)

    def offsets(self, kernel, out):
        """For each kernel offset (row-major), the strided slices of the padded input it
        reads: (flat offset index, index tuple)."""
        for flat, idx in enumerate(itertools.product(*(range(k) for k in kernel))):
            where = tuple(slice(i * d, i * d + (o - 1) * s + 1, s) for i, d, o, s in
                          zip(idx, self.dilation, out, self.strides))
            yield flat, idx, (slice(None), *where, slice(None))


def _grouped_kernel(w, groups):
    """(*K, Cg, F) -> (G, prod(K)*Cg, F/G)."""
    f = w.shape[-1]
    return w.reshape(-1, groups, f // groups).transpose(1, 0, 2)


def im2col(x, w_shape, geom):
    """(cols, out sizes): every window as one row, shaped (G, N*prod(out), prod(K)*Cg)."""
    kernel, cg = w_shape[:-2], w_shape[-2]
    xp = backend.get_array_module(x)
    xpad = geom.padded(x)
    out = geom.out_sizes(x.shape[1:-1], kernel)
    m, g = x.shape[0] * int(np.prod(out)), geom.groups
    view = geom.windows(xpad, kernel, out).reshape(m, int(np.prod(kernel)), g, cg)
    cols = xp.ascontiguousarray(view.transpose(2, 0, 1, 3)).reshape(g, m, -1)
    return cols, out


def conv_forward(x, w, geom):
    """(y, cols): the convolution without bias, and the im2col matrix backward needs."""
    cols, out = im2col(x, w.shape, geom)
    y = (cols @ _grouped_kernel(w, geom.groups)).transpose(1, 0, 2)
    return y.reshape(x.shape[0], *out, w.shape[-1]), cols


def conv_weight_grad(cols, gy, w_shape, groups):
    """dw = cols.T @ dy, per group."""
    f = w_shape[-1]
    gy_g = gy.reshape(-1, groups, f // groups).transpose(1, 0, 2)
    gw = np.swapaxes(cols, 1, 2) @ gy_g  # (G, prod(K)*Cg, F/G)
    return gw.transpose(1, 0, 2).reshape(w_shape)


def conv_input_grad(gy, w, geom, x_shape):
    """dx: dcols = dy @ w.T (one GEMM, the gradient of every im2col row), then each kernel
    offset adds its slice of dcols back onto the input positions it read (col2im)."""
    kernel, (cg, f) = w.shape[:-2], w.shape[-2:]
    g, out, k = geom.groups, gy.shape[1:-1], int(np.prod(w.shape[:-2]))
    padded_shape = (x_shape[0], *(n + a + b for n, (a, b) in zip(x_shape[1:-1], geom.pads)),
                    x_shape[-1])
    dxp = backend.get_array_module(gy).zeros(padded_shape, dtype=gy.dtype)
    gy_g = gy.reshape(-1, g, f // g).transpose(1, 0, 2)  # (G, M, F/G)
    w_g = w.reshape(k, cg, g, f // g).transpose(2, 3, 0, 1).reshape(g, f // g, k * cg)
    dcols = (gy_g @ w_g).reshape(g, *gy.shape[:-1], k, cg)
    # (N, *out, K, C): input channel c = group * Cg + k, as the kernel splits them.
    dcols = np.moveaxis(dcols, 0, -2).reshape(*gy.shape[:-1], k, g * cg)
    for flat, _, where in geom.offsets(kernel, out):
        dxp[where] += dcols[..., flat, :]
    crop = tuple(slice(a, a + n) for n, (a, _) in zip(x_shape[1:-1], geom.pads))
    return dxp[(slice(None), *crop)]


class Conv3D(Function):
    """y = conv3d(x, w) + b, channels-last; see the module docstring for the formulas."""

    def __init__(self, geom):
        self.geom = geom

    def forward(self, x, w, b=None):
        self.x_shape, self.w = x.shape, w
        y, self.cols = conv_forward(x, w, self.geom)
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        need = self.needs_input_grad
        gx = conv_input_grad(gy, self.w, self.geom, self.x_shape) if need[0] else None
        gw = conv_weight_grad(self.cols, gy, self.w.shape, self.geom.groups) if need[1] else None
        if len(need) == 3:
            return gx, gw, bias_grad(gy) if need[2] else None
        return gx, gw


class Conv3DTranspose(Function):
    """The transpose of a 3-D convolution: y = conv_input_grad(x) for the kernel
    w (KD, KH, KW, F, C) read as a convolution from F to C channels; so dx is that
    convolution applied to dy, and dw its weight gradient with dy as the input."""

    def __init__(self, geom, out_shape):
        self.geom, self.out_shape = geom, out_shape

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        y = conv_input_grad(x, w, self.geom, self.out_shape)
        return y if b is None else y + b

    def backward(self, gy):
        need = self.needs_input_grad
        gx, cols = conv_forward(gy, self.w, self.geom)
        gw = conv_weight_grad(cols, self.x, self.w.shape, 1) if need[1] else None
        if len(need) == 3:
            return (gx if need[0] else None, gw, bias_grad(gy) if need[2] else None)
        return gx if need[0] else None, gw


def triple(value, name, op, minimum=1):
    """``value`` (an int or 3 ints, each >= minimum) as a tuple of three ints."""
    values = (value,) * RANK if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != RANK or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                  or v < minimum for v in values):
        kind = "positive integer" if minimum == 1 else f"integer >= {minimum}"
        raise ValueError(f"{op}: {name} must be a {kind} or a tuple of 3 of them. "
                         f"Received: {name}={value!r}")
    return tuple(int(v) for v in values)


def resolve_pads(padding, sizes, kernel, strides, dilation, op):
    """Explicit (before, after) pads per axis from "valid", "same" or three explicit pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(sizes)
        if padding == "same":
            return tuple(same_padding(n, k, s, d)
                         for n, k, s, d in zip(sizes, kernel, strides, dilation))
    try:
        pads = tuple(tuple(int(v) for v in p) for p in padding)
    except (TypeError, ValueError):
        pads = ()
    if len(pads) != len(sizes) or any(len(p) != 2 or min(p) < 0 for p in pads):
        raise ValueError(f"{op}: padding must be 'valid', 'same' or {len(sizes)} pairs of "
                         f"non-negative (before, after) ints. Received: padding={padding!r}")
    return pads


def _check_ranks(x, w, op, kernel_axes):
    if x.ndim != RANK + 2:
        raise ValueError(f"{op}: expected 5-D input (batch, depth, height, width, channels); "
                         f"received input of shape {x.shape}")
    if w.ndim != RANK + 2:
        raise ValueError(f"{op}: expected a 5-D kernel ({kernel_axes}); received a kernel of "
                         f"shape {w.shape}")


def conv3d(x, w, b=None, strides=1, padding="valid", dilation=1, groups=1) -> Tensor:
    """3-D convolution, channels-last: x (N, D, H, W, C), w (KD, KH, KW, C/groups, F),
    b (F,); ``padding`` "valid", "same" (TensorFlow's: the extra voxel after) or three
    (before, after) pairs.

    >>> import glassnet
    >>> y = conv3d(glassnet.ones(1, 4, 4, 4, 1), glassnet.ones(3, 3, 3, 1, 2))
    >>> y.shape, y.numpy()[0, 0, 0, 0].tolist()
    ((1, 2, 2, 2, 2), [27.0, 27.0])
    """
    x, w = constant(x), constant(w)
    _check_ranks(x, w, "conv3d", "depth, height, width, in_channels, filters")
    strides, dilation = triple(strides, "strides", "conv3d"), triple(dilation, "dilation",
                                                                      "conv3d")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"conv3d: groups must be an integer. Received: groups={groups!r}")
    kernel, cg, c = w.shape[:3], w.shape[3], x.shape[-1]
    if groups <= 0 or w.shape[4] % groups or cg * groups != c:
        raise ValueError(f"conv3d: input with {c} channels and a kernel of shape {w.shape} "
                         f"do not fit groups={groups} (the kernel expects {cg * groups} input "
                         f"channels)")
    if b is not None and tuple(constant(b).shape) != (w.shape[4],):
        raise ValueError(f"conv3d: expected a bias of shape ({w.shape[4]},); received "
                         f"{constant(b).shape}")
    pads = resolve_pads(padding, x.shape[1:4], kernel, strides, dilation, "conv3d")
    geom = VolumeGeometry(strides, dilation, pads, int(groups))
    out = geom.out_sizes(x.shape[1:4], kernel)
    if min(out) <= 0:
        raise ValueError(f"conv3d: a kernel of {'x'.join(map(str, kernel))} (dilation "
                         f"{dilation}) does not fit an input of "
                         f"{'x'.join(map(str, x.shape[1:4]))} with padding {pads}")
    inputs = (x, w) if b is None else (x, w, constant(b, like=w))
    return Conv3D(geom)(*inputs)


def conv3d_transpose(x, w, b=None, strides=1, padding="valid", dilation=1,
                     output_shape=None) -> Tensor:
    """Transposed 3-D convolution, channels-last: x (N, D, H, W, C), w (KD, KH, KW, F, C).

    Output size per axis, with k = (kernel - 1) * dilation + 1: (size - 1) * stride +
    max(k, stride) for "valid", size * stride for "same" (Keras's defaults), unless
    ``output_shape`` (D, H, W) is given; it must be an input size that a convolution with
    the same arguments maps back onto ``x``'s.

    >>> import glassnet
    >>> conv3d_transpose(glassnet.ones(1, 2, 2, 2, 1), glassnet.ones(2, 2, 2, 3, 1),
    ...                  strides=2).shape
    (1, 4, 4, 4, 3)
    """
    x, w = constant(x), constant(w)
    _check_ranks(x, w, "conv3d_transpose", "depth, height, width, filters, in_channels")
    if w.shape[4] != x.shape[4]:
        raise ValueError(f"conv3d_transpose: the kernel {w.shape} expects "
                         f"{w.shape[4]} input channels; received input of shape {x.shape}")
    strides = triple(strides, "strides", "conv3d_transpose")
    dilation = triple(dilation, "dilation", "conv3d_transpose")
    kernel, f = w.shape[:3], w.shape[3]
    if output_shape is None:
        if padding == "same":
            output_shape = tuple(n * s for n, s in zip(x.shape[1:4], strides))
        else:
            output_shape = tuple((n - 1) * s + max((k - 1) * d + 1, s) for n, k, s, d in
                                 zip(x.shape[1:4], kernel, strides, dilation))
    output_shape = triple(output_shape, "output_shape", "conv3d_transpose")
    pads = resolve_pads(padding, output_shape, kernel, strides, dilation, "conv3d_transpose")
    geom = VolumeGeometry(strides, dilation, pads, 1)
    if geom.out_sizes(output_shape, kernel) != tuple(x.shape[1:4]):
        raise ValueError(f"conv3d_transpose: output_shape {output_shape} is not reachable "
                         f"from input {x.shape[1:4]} with strides {strides} and padding "
                         f"{padding!r}")
    inputs = (x, w) if b is None else (x, w, constant(b, like=w))
    return Conv3DTranspose(geom, (x.shape[0], *output_shape, f))(*inputs)
