"""Image ops: resize, extract_patches (``keras.ops.image`` semantics, channels last by default).

Resizing is separable and linear: for each spatial axis a weight matrix A of shape (out, in) is
built once, and

    y = A_h @ x @ A_w^T   (per image and channel),     dx = A_h^T @ gy @ A_w.

Both products are single GEMMs (``np.tensordot``). Sampling uses half-pixel centres, as
``tf.image.resize``, ``jax.image.resize`` and ``torch.nn.functional.interpolate`` with
``align_corners=False``: output pixel i of an axis resized from ``n`` to ``m`` sits at input
coordinate x_i = (i + 0.5) * n / m, and input pixel j at j + 0.5. A kernel k gives

    A[i, j] = k((j + 0.5 - x_i) / s) / sum_j' k((j' + 0.5 - x_i) / s),

where s = max(n / m, 1) with ``antialias`` (the kernel widened by the downsampling factor, so it
averages instead of skipping pixels) and s = 1 without. Taps outside the image are dropped and
the rest renormalised (as TF and JAX). Kernels: triangle (bilinear), Keys cubic with a = -0.5
(bicubic, as TF and JAX; PyTorch uses a = -0.75), Lanczos-3 and -5. "nearest" takes input pixel
floor(x_i) (clamped to n - 1): TF's half-pixel nearest, and what Keras 3 on PyTorch computes
(``mode="nearest-exact"``). "area" averages the input over each output pixel's footprint
[i * n / m, (i + 1) * n / m], as TF's ``resize_area``.

Checked against TF 2.21: every method with and without antialias agrees to 1e-5, except
bicubic without antialias, where TF reads its kernel from a 1024-entry table (errors up to
about 2e-3); the exact kernel used here is JAX's, and PyTorch's antialiased bicubic.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.indexing import getitem
from glassnet.autograd.ops.shape import pad
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["extract_patches", "resize"]

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")
DATA_FORMATS = ("channels_last", "channels_first")


def cubic_kernel(x, a=-0.5):
    """Keys' cubic convolution kernel: for t = |x|,
    (a + 2) t**3 - (a + 3) t**2 + 1 for t <= 1;  a t**3 - 5a t**2 + 8a t - 4a for 1 < t < 2;
    0 beyond. a = -0.5 is TF's and JAX's bicubic, a = -0.75 PyTorch's and OpenCV's."""
    t = np.abs(x)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def triangle_kernel(x):
    """max(0, 1 - |x|): linear interpolation."""
    return np.maximum(0.0, 1.0 - np.abs(x))


def lanczos_kernel(x, n):
    """sinc(x) sinc(x / n) for |x| < n, else 0 (np.sinc is the normalised sin(pi x)/(pi x))."""
    return np.where(np.abs(x) < n, np.sinc(x) * np.sinc(x / n), 0.0)


_KERNELS = {"bilinear": triangle_kernel, "bicubic": cubic_kernel,
            "lanczos3": lambda x: lanczos_kernel(x, 3), "lanczos5": lambda x: lanczos_kernel(x, 5)}


def resize_weights(in_size, out_size, interpolation="bilinear", antialias=False, cubic_a=-0.5,
                   xp=np):
    """The (out_size, in_size) float64 matrix that resizes one axis (see the module docstring),
    made by the array module ``xp`` (on the device of the images it resizes).

    >>> resize_weights(2, 4).round(3).tolist()[:2]
    [[1.0, 0.0], [0.75, 0.25]]
    """
    scale = in_size / out_size
    centres = (xp.arange(out_size) + 0.5) * scale  # x_i, in input pixel units
    j = xp.arange(in_size)
    if interpolation == "nearest":
        # floor((i + 0.5) * n / m) in exact integer arithmetic, so no tie rounds the wrong way
        index = np.minimum((2 * xp.arange(out_size) + 1) * in_size // (2 * out_size),
                           in_size - 1)
        return (index[:, None] == j[None, :]).astype(np.float64)
    if interpolation == "area":
        lo, hi = xp.arange(out_size) * scale, (xp.arange(out_size) + 1) * scale
        overlap = np.minimum(hi[:, None], j + 1.0) - np.maximum(lo[:, None], j)
        return np.maximum(overlap, 0.0) / scale
    width = max(scale, 1.0) if antialias else 1.0
    offsets = (j[None, :] + 0.5 - centres[:, None]) / width
    if interpolation == "bicubic":
        w = cubic_kernel(offsets, cubic_a)
    else:
        w = _KERNELS[interpolation](offsets)
    total = w.sum(axis=1, keepdims=True)
    return w / np.where(total == 0, 1.0, total)


def _contract(x, w, axis):
    """x with axis ``axis`` replaced by ``w @`` it: one GEMM by ``np.tensordot``."""
    y = np.moveaxis(np.tensordot(x, w, axes=([axis], [1])), -1, axis)
    return backend.get_array_module(x).ascontiguousarray(y)


class Resize(Function):
    """y = A_h @ x @ A_w^T over the spatial axes (h_axis, w_axis);  dx = A_h^T @ gy @ A_w."""

    def __init__(self, weights_h, weights_w, h_axis):
        self.wh, self.ww, self.h_axis = weights_h, weights_w, h_axis

    def forward(self, x):
        wh, ww = self.wh.astype(x.dtype), self.ww.astype(x.dtype)
        return _contract(_contract(x, wh, self.h_axis), ww, self.h_axis + 1)

    def backward(self, gy):
        wh, ww = self.wh.T.astype(gy.dtype), self.ww.T.astype(gy.dtype)
        return _contract(_contract(gy, ww, self.h_axis + 1), wh, self.h_axis)


def _pair(value, arg, op, minimum=1):
    """``value`` (an int or two ints) as a tuple of two ints >= ``minimum``."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if items is None or len(items) != 2 or any(
            isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum
            for v in items):
        raise ValueError(f"{op}: {arg} must be an int or a tuple of 2 ints >= {minimum}. "
                         f"Received: {arg}={value!r}")
    return tuple(int(v) for v in items)


def _checked_images(images, data_format, op):
    """images as a tensor of rank 3 or 4 in a known data_format, or a ValueError."""
    x = constant(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected images of rank 3 (one image) or 4 (a batch). "
                         f"Received: images.shape={x.shape}")
    if data_format not in DATA_FORMATS:
        raise ValueError(f"{op}: data_format must be one of {DATA_FORMATS}. Received: "
                         f"data_format={data_format!r}")
    return x


def _image_tensor(images, data_format, op):
    """images as a float tensor of rank 3 or 4, with the index of its height axis."""
    x = _checked_images(images, data_format, op)
    if x.data.dtype.kind != "f":  # integer pixels are resampled in float32
        x = Tensor._from_op(x.data.astype(np.float32), None)
    return x, x.ndim - 3 + (data_format == "channels_first")


def _crop_or_pad(x, h_axis, size, crop, pad_to, fill_value):
    """Crop (or pad) the centre of x to the target aspect ratio, as Keras does before
    resizing."""
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    th, tw = size
    if crop:
        ch = max(min(height, int(width * th / tw)), 1)
        cw = max(min(width, int(height * tw / th)), 1)
        top, left = int((height - ch) / 2), int((width - cw) / 2)
        key = [slice(None)] * x.ndim
        key[h_axis], key[h_axis + 1] = slice(top, top + ch), slice(left, left + cw)
        return getitem(x, tuple(key))
    if pad_to:
        ph = max(height, int(width * th / tw))
        pw = max(width, int(height * tw / th))
        top, left = int((ph - height) / 2), int((pw - width) / 2)
        widths = [(0, 0)] * x.ndim
        # Keras pads the same amount on both sides (so an odd difference gives one pixel more)
        widths[h_axis], widths[h_axis + 1] = (top, top), (left, left)
        return pad(x, widths, value=fill_value)
    return x


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           fill_mode="constant", fill_value=0.0, data_format="channels_last",
           pad_to_aspect_ratio=False) -> Tensor:
    """Resize images to ``size`` = (height, width), as ``keras.ops.image.resize``.

    Args:
        images: (H, W, C) or (B, H, W, C); (C, H, W) or (B, C, H, W) when channels_first.
        interpolation: "bilinear", "nearest", "bicubic", "area", "lanczos3" or "lanczos5"
            (formulas in the module docstring).
        antialias: widen the kernel by the downsampling factor (ignored by "nearest" and
            "area", and when upsampling).
        crop_to_aspect_ratio: first crop the largest centred window with the target aspect
            ratio; ``pad_to_aspect_ratio``: instead pad the short side evenly with
            ``fill_value`` (``fill_mode`` "constant", the only one Keras supports).
    Returns:
        The resized images, float (integer pixels become float32). The gradient flows to
        ``images`` through the transposed weight matrices.

    >>> import glassnet
    >>> glassnet.resize(glassnet.ones(2, 4, 4, 3), (2, 8)).shape
    (2, 2, 8, 3)
    """
    op = "resize"
    x, h_axis = _image_tensor(images, data_format, op)
    if isinstance(size, (int, np.integer)):
        raise ValueError(f"{op}: size must be a tuple of 2 positive ints (height, width). "
                         f"Received: size={size!r}")
    size = _pair(size, "size", op)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation must be one of {INTERPOLATIONS}. Received: "
                         f"interpolation={interpolation!r}")
    if fill_mode != "constant":
        raise ValueError(f"{op}: fill_mode must be 'constant' (the only mode Keras "
                         f"supports). Received: fill_mode={fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{op}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can "
                         f"be True")
    x = _crop_or_pad(x, h_axis, size, crop_to_aspect_ratio, pad_to_aspect_ratio, fill_value)
    xp = backend.get_array_module(x.data)
    wh = resize_weights(x.shape[h_axis], size[0], interpolation, antialias, xp=xp)
    ww = resize_weights(x.shape[h_axis + 1], size[1], interpolation, antialias, xp=xp)
    return Resize(wh, ww, h_axis)(x)


def _same_padding(length, window, stride):
    """(before, after) for "same" padding, TF's rule: the output has ceil(length / stride)
    positions and any odd padding goes after."""
    out = -(-length // stride)
    total = max((out - 1) * stride + window - length, 0)
    return total // 2, total - total // 2


class ExtractPatches(Function):
    """y[b, p, q, (i * kw + j) * C + c] = x_pad[b, p*sh + i*dh, q*sw + j*dw, c] (channels
    last); dx is the sum of gy over every patch an input pixel appears in: one strided
    accumulation per kernel offset (i, j)."""

    def __init__(self, window, strides, dilation, padding, channels_first):
        self.window, self.strides, self.dilation = window, strides, dilation
        self.padding, self.channels_first = padding, channels_first

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.channels_first:
            x = np.moveaxis(x, 1, -1)
        self.in_shape = x.shape
        (kh, kw), (sh, sw), (dh, dw) = self.window, self.strides, self.dilation
        (top, bottom), (left, right) = self.padding
        xpad = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
        oh = (xpad.shape[1] - (kh - 1) * dh - 1) // sh + 1
        ow = (xpad.shape[2] - (kw - 1) * dw - 1) // sw + 1
        self.out_hw, self.padded_shape = (oh, ow), xpad.shape
        rows = (xp.arange(oh) * sh)[:, None] + xp.arange(kh) * dh  # (oh, kh)
        cols = (xp.arange(ow) * sw)[:, None] + xp.arange(kw) * dw  # (ow, kw)
        patches = xpad[:, rows[:, None, :, None], cols[None, :, None, :], :]  # (B,oh,ow,kh,kw,C)
        y = patches.reshape(x.shape[0], oh, ow, -1)
        return xp.ascontiguousarray(np.moveaxis(y, -1, 1)) if self.channels_first else y

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        if self.channels_first:
            gy = np.moveaxis(gy, 1, -1)
        (kh, kw), (sh, sw), (dh, dw) = self.window, self.strides, self.dilation
        (oh, ow), (top, _), (left, _) = self.out_hw, *self.padding
        batch, _, _, channels = self.in_shape
        g = gy.reshape(batch, oh, ow, kh, kw, channels)
        gp = xp.zeros(self.padded_shape, gy.dtype)
        for i in range(kh):  # a loop over the few kernel offsets, each a strided slice
            for j in range(kw):
                gp[:, i * dh: i * dh + (oh - 1) * sh + 1: sh,
                   j * dw: j * dw + (ow - 1) * sw + 1: sw, :] += g[:, :, :, i, j, :]
        gx = gp[:, top: top + self.in_shape[1], left: left + self.in_shape[2], :]
        return xp.ascontiguousarray(np.moveaxis(gx, -1, 1) if self.channels_first else gx)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format="channels_last") -> Tensor:
    """Patches of ``size`` = (kh, kw) from images, as ``keras.ops.image.extract_patches``.

    Patch (p, q) starts at pixel (p * sh, q * sw) of the (padded) image and takes the pixels
    (p * sh + i * dh, q * sw + j * dw) for 0 <= i < kh, 0 <= j < kw, flattened in the order
    (i, j, channel). "valid": only patches that fit; "same": zero padding so that there are
    ceil(H / sh) x ceil(W / sw) patches (TF's rule, extra padding after).

    Args:
        images: (H, W, C) or (B, H, W, C); channels_first: (C, H, W) or (B, C, H, W).
        size: int or (kh, kw).  strides: int or (sh, sw), default ``size`` (no overlap).
        dilation_rate: int or (dh, dw), the step between the pixels of one patch.
    Returns:
        ([B,] out_h, out_w, kh * kw * C), or ([B,] kh * kw * C, out_h, out_w) when
        channels_first.

    >>> import glassnet
    >>> glassnet.extract_patches(glassnet.ones(2, 6, 6, 3), 2).shape
    (2, 3, 3, 12)
    """
    op = "extract_patches"
    x = _checked_images(images, data_format, op)
    window = _pair(size, "size", op)
    strides = window if strides is None else _pair(strides, "strides", op)
    dilation = _pair(dilation_rate, "dilation_rate", op)
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same'. Received: "
                         f"padding={padding!r}")
    unbatched = x.ndim == 3
    if unbatched:
        x = getitem(x, (None,))
    first = data_format == "channels_first"
    height, width = x.shape[2:4] if first else x.shape[1:3]
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    if padding == "same":
        pads = tuple(_same_padding(n, k, s) for n, k, s in zip((height, width), spans, strides))
    else:
        pads = ((0, 0), (0, 0))
        if spans[0] > height or spans[1] > width:
            raise ValueError(f"{op}: patches spanning {tuple(spans)} pixels (size {window}, "
                             f"dilation_rate {dilation}) do not fit images of height and "
                             f"width {(height, width)} with padding='valid'")
    y = ExtractPatches(window, strides, dilation, pads, first)(x)
    return getitem(y, 0) if unbatched else y
