"""``tf.image``: resizing, flips, rotations, crops, standardization and dtype conversion of
images laid out (height, width, channels) or (batch, height, width, channels), as tf.

Everything here is differentiable where it is a function of the pixel values (resize, flips,
crops, standardization); the gradient of a flip or crop is the same rearrangement of gy.

>>> import glassnet as tf
>>> tf.image.resize(tf.ones([1, 4, 4, 3]), [2, 2]).shape
(1, 2, 2, 3)
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops._operands import constant
from glassnet.tf.dtypes import numpy_dtype
from glassnet.tf.random import _generator, _stateless

__all__ = [
    "adjust_brightness", "adjust_contrast", "central_crop", "convert_image_dtype",
    "crop_to_bounding_box", "extract_patches", "flip_left_right", "flip_up_down",
    "grayscale_to_rgb", "pad_to_bounding_box", "per_image_standardization",
    "random_brightness", "random_contrast", "random_crop", "random_flip_left_right",
    "random_flip_up_down", "resize", "resize_with_crop_or_pad", "resize_with_pad",
    "rgb_to_grayscale", "rot90", "stateless_random_brightness", "stateless_random_contrast",
    "stateless_random_flip_left_right", "stateless_random_flip_up_down",
]

_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


class ResizeMethod:
    """The names ``method=`` takes (``tf.image.ResizeMethod.BILINEAR`` is "bilinear")."""

    BILINEAR, NEAREST_NEIGHBOR, BICUBIC, AREA = "bilinear", "nearest", "bicubic", "area"
    LANCZOS3, LANCZOS5 = "lanczos3", "lanczos5"


def _images(images, op):
    x = constant(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: images must be (height, width, channels) or (batch, height, "
                         f"width, channels); received shape {x.shape}")
    return x


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False,
           name=None):
    """``images`` resized to ``size`` = (height, width), half-pixel centres as tf 2.
    The result is float32 (float64 stays float64, where tf would give float32), except with
    "nearest", which keeps the input's dtype;
    ``preserve_aspect_ratio`` scales both sides by one factor so the result fits in size.
    """
    x = _images(images, "resize")
    method = str(method).lower()
    if method not in _METHODS:
        raise ValueError(f"resize: method must be one of {_METHODS}; received {method!r}")
    height, width = (int(n) for n in np.asarray(constant(size).data).reshape(-1))
    if preserve_aspect_ratio:
        h, w = x.shape[-3:-1]
        scale = min(height / h, width / w)
        height, width = int(round(scale * h)), int(round(scale * w))
    out = ops.resize(x, (height, width), interpolation=method, antialias=antialias)
    if method == "nearest":
        return ops.cast(out, x.dtype)
    return out if out.dtype in (np.float32, np.float64) else ops.cast(out, np.float32)


def _flip(x, axis):
    key = [slice(None)] * x.ndim
    key[axis] = slice(None, None, -1)
    return x[tuple(key)]


def flip_left_right(image):
    """``image`` mirrored horizontally (the width axis reversed)."""
    x = _images(image, "flip_left_right")
    return _flip(x, x.ndim - 2)


def flip_up_down(image):
    """``image`` mirrored vertically (the height axis reversed)."""
    x = _images(image, "flip_up_down")
    return _flip(x, x.ndim - 3)


def _random_flip(image, seed, axis_from_end, op):
    x = _images(image, op)
    axis = x.ndim - axis_from_end
    if x.ndim == 3:
        return _flip(x, axis) if _generator(seed).random() < 0.5 else x
    flip = _generator(seed).random(x.shape[0]) < 0.5  # one coin per image of the batch
    return ops.where(flip[:, None, None, None], _flip(x, axis), x)


def random_flip_left_right(image, seed=None):
    """Each image mirrored horizontally with probability 1/2."""
    return _random_flip(image, seed, 2, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Each image mirrored vertically with probability 1/2."""
    return _random_flip(image, seed, 3, "random_flip_up_down")


def rot90(image, k=1, name=None):
    """``image`` rotated by k * 90 degrees counter-clockwise (as ``np.rot90``)."""
    x = _images(image, "rot90")
    h, w = x.ndim - 3, x.ndim - 2
    perm = list(np.arange(x.ndim).tolist())
    perm[h], perm[w] = w, h
    for _ in range(int(k) % 4):  # at most three quarter turns
        x = ops.transpose(_flip(x, w), perm)
    return x


def per_image_standardization(image):
    """(x - mean) / max(std, 1 / sqrt(N)) for each image over its N = H*W*C values: zero
    mean, unit variance, and no division by 0 for a flat image; float32."""
    x = _images(image, "per_image_standardization")
    x = ops.cast(x, np.float32) if x.dtype != np.float32 else x
    axes = (-3, -2, -1)
    n = int(np.prod(x.shape[-3:]))
    mean = ops.mean(x, axes, keepdims=True)
    std = ops.std(x, axes, keepdims=True)
    return (x - mean) / ops.maximum(std, 1.0 / np.sqrt(n))


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Pixel values rescaled between dtypes: integers span [0, max of their type], floats
    [0, 1). Integer to float divides by the integer maximum; float to integer multiplies
    by (max + 0.5) and truncates; floats are only cast.

    >>> convert_image_dtype(np.array([0, 255], np.uint8), "float32").tolist()
    [0.0, 1.0]
    """
    x, dtype = constant(image), numpy_dtype(dtype)
    src = x.dtype
    if src == dtype:
        return x
    if src.kind == "f" and dtype.kind == "f":
        return ops.cast(x, dtype)
    if src.kind in "iu" and dtype.kind == "f":
        return ops.cast(x, dtype) / float(np.iinfo(src).max)
    if src.kind == "f" and dtype.kind in "iu":
        scaled = x.data * (np.iinfo(dtype).max + 0.5)
        if saturate:
            scaled = np.clip(scaled, np.iinfo(dtype).min, np.iinfo(dtype).max)
        return constant(scaled.astype(dtype))
    if src.kind in "iu" and dtype.kind in "iu":
        ratio = (np.iinfo(dtype).max + 1) / (np.iinfo(src).max + 1)
        return constant((x.data.astype(np.float64) * ratio).astype(dtype))
    raise TypeError(f"convert_image_dtype: cannot convert {src} images to {dtype}")


def rgb_to_grayscale(images, name=None):
    """Luma 0.2989 R + 0.587 G + 0.114 B, keeping a channel axis of size 1."""
    x = _images(images, "rgb_to_grayscale")
    if x.shape[-1] != 3:
        raise ValueError(f"rgb_to_grayscale: expected 3 channels; received shape {x.shape}")
    weights = np.array([0.2989, 0.587, 0.114], dtype=x.dtype if x.dtype.kind == "f" else None)
    return ops.sum(x * weights, axis=-1, keepdims=True)


def grayscale_to_rgb(images, name=None):
    """The single channel repeated three times."""
    x = _images(images, "grayscale_to_rgb")
    if x.shape[-1] != 1:
        raise ValueError(f"grayscale_to_rgb: expected 1 channel; received shape {x.shape}")
    return ops.concat([x, x, x], axis=-1)


def adjust_brightness(image, delta):
    """image + delta."""
    return constant(image) + delta


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The window of target_height x target_width whose top-left corner is at
    (offset_height, offset_width)."""
    x = _images(image, "crop_to_bounding_box")
    h, w = x.shape[-3:-1]
    if offset_height < 0 or offset_width < 0 or offset_height + target_height > h \
            or offset_width + target_width > w:
        raise ValueError(f"crop_to_bounding_box: a {target_height}x{target_width} window at "
                         f"({offset_height}, {offset_width}) does not fit a {h}x{w} image")
    lead = (slice(None),) * (x.ndim - 3)
    return x[lead + (slice(offset_height, offset_height + target_height),
                     slice(offset_width, offset_width + target_width))]


def central_crop(image, central_fraction):
    """The centred window with ``central_fraction`` (in (0, 1]) of each side."""
    x = _images(image, "central_crop")
    if not 0 < central_fraction <= 1:
        raise ValueError(f"central_crop: central_fraction must be in (0, 1]; received "
                         f"{central_fraction}")
    h, w = x.shape[-3:-1]
    # as tf: the border is (size - size * fraction) / 2, rounded down
    top, left = int((h - h * central_fraction) / 2), int((w - w * central_fraction) / 2)
    return crop_to_bounding_box(x, top, left, h - 2 * top, w - 2 * left)


def adjust_contrast(images, contrast_factor):
    """(x - mean) * contrast_factor + mean, the mean of each image and channel over its
    height and width (as tf)."""
    x = _images(images, "adjust_contrast")
    mean = ops.mean(x, axis=(-3, -2), keepdims=True)
    return (x - mean) * contrast_factor + mean


def _uniform_per_image(x, low, high, seed):
    """One uniform draw from [low, high) per image, shaped to broadcast over it."""
    count = 1 if x.ndim == 3 else x.shape[0]
    factors = _generator(seed).uniform(low, high, size=count).astype(x.dtype)
    return factors.reshape((count, 1, 1, 1) if x.ndim == 4 else (1, 1, 1))


def random_brightness(image, max_delta, seed=None):
    """image + delta, delta uniform in [-max_delta, max_delta) (one per image)."""
    if max_delta < 0:
        raise ValueError(f"random_brightness: max_delta must be non-negative; received "
                         f"{max_delta}")
    x = _images(image, "random_brightness")
    return x + _uniform_per_image(x, -max_delta, max_delta, seed)


def random_contrast(image, lower, upper, seed=None):
    """adjust_contrast with a factor uniform in [lower, upper) (one per image)."""
    if not 0 <= lower < upper:
        raise ValueError(f"random_contrast: expected 0 <= lower < upper; received "
                         f"lower={lower}, upper={upper}")
    x = _images(image, "random_contrast")
    return adjust_contrast(x, _uniform_per_image(x, lower, upper, seed))


def random_crop(value, size, seed=None):
    """A window of ``size`` (as many dims as ``value``) at a uniformly random offset."""
    x = constant(value)
    size = tuple(int(n) for n in np.asarray(constant(size).data).reshape(-1))
    if len(size) != x.ndim or any(s > n or s < 0 for s, n in zip(size, x.shape)):
        raise ValueError(f"random_crop: size must have one entry per dimension of the value, "
                         f"each at most its size; received size {size} for shape {x.shape}")
    rng = _generator(seed)
    starts = [int(rng.integers(0, n - s + 1)) for s, n in zip(size, x.shape)]
    return x[tuple(slice(a, a + s) for a, s in zip(starts, size))]


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``image`` placed at (offset_height, offset_width) on a zero canvas of
    target_height x target_width."""
    x = _images(image, "pad_to_bounding_box")
    h, w = x.shape[-3:-1]
    bottom, right = target_height - offset_height - h, target_width - offset_width - w
    if min(offset_height, offset_width, bottom, right) < 0:
        raise ValueError(f"pad_to_bounding_box: a {h}x{w} image at ({offset_height}, "
                         f"{offset_width}) does not fit a {target_height}x{target_width} box")
    widths = [(0, 0)] * (x.ndim - 3) + [(offset_height, bottom), (offset_width, right), (0, 0)]
    return ops.pad(x, widths)


def extract_patches(images, sizes, strides, rates, padding):
    """tf's patch extraction: ``sizes``, ``strides``, ``rates`` as [1, rows, cols, 1],
    ``padding`` "VALID" or "SAME"; each patch flattened (rows, cols, channels) on the last
    axis."""
    x = _images(images, "extract_patches")

    def pair(value, arg):
        value = [int(n) for n in value]
        if len(value) != 4 or value[0] != 1 or value[3] != 1:
            raise ValueError(f"extract_patches: {arg} must be [1, rows, cols, 1]; received "
                             f"{value}")
        return tuple(value[1:3])

    return ops.extract_patches(x, pair(sizes, "sizes"), strides=pair(strides, "strides"),
                               dilation_rate=pair(rates, "rates"),
                               padding=str(padding).lower())


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """``image`` resized to fit target_height x target_width keeping its aspect ratio, then
    padded with zeros to that size, centred (as tf: sizes and offsets rounded down)."""
    x = _images(image, "resize_with_pad")
    h, w = x.shape[-3:-1]
    ratio = max(w / target_width, h / target_height)
    height, width = int(h / ratio), int(w / ratio)
    resized = resize(x, (height, width), method=method, antialias=antialias)
    top, left = max(0, (target_height - height) // 2), max(0, (target_width - width) // 2)
    return pad_to_bounding_box(resized, top, left, target_height, target_width)


def resize_with_crop_or_pad(image, target_height, target_width):
    """``image`` centre-cropped and/or zero-padded (centred) to target_height x target_width,
    as tf (an odd difference puts the extra row or column at the end)."""
    x = _images(image, "resize_with_crop_or_pad")
    h, w = x.shape[-3:-1]
    top, left = max(0, (h - target_height) // 2), max(0, (w - target_width) // 2)
    x = crop_to_bounding_box(x, top, left, min(h, target_height), min(w, target_width))
    h, w = x.shape[-3:-1]
    return pad_to_bounding_box(x, (target_height - h) // 2, (target_width - w) // 2,
                               target_height, target_width)


def stateless_random_flip_left_right(image, seed):
    """``random_flip_left_right`` as a pure function of ``seed`` (a pair of ints)."""
    return _random_flip(image, _stateless(seed, "stateless_random_flip_left_right"), 2,
                        "stateless_random_flip_left_right")


def stateless_random_flip_up_down(image, seed):
    """``random_flip_up_down`` as a pure function of ``seed`` (a pair of ints)."""
    return _random_flip(image, _stateless(seed, "stateless_random_flip_up_down"), 3,
                        "stateless_random_flip_up_down")


def stateless_random_brightness(image, max_delta, seed):
    """``random_brightness`` as a pure function of ``seed`` (a pair of ints)."""
    return random_brightness(image, max_delta, _stateless(seed, "stateless_random_brightness"))


def stateless_random_contrast(image, lower, upper, seed):
    """``random_contrast`` as a pure function of ``seed`` (a pair of ints)."""
    return random_contrast(image, lower, upper, _stateless(seed, "stateless_random_contrast"))
