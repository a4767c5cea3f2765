"""``keras.ops.image``: resizing, patches, colour conversion, padding and cropping of image
batches, channels-last (``data_format=None`` means ``"channels_last"``, Keras's default).

Left out (no glassnet op behind them yet): affine_transform, perspective_transform,
map_coordinates, elastic_transform, gaussian_blur, sobel_edges, scale_and_translate, ssim,
rgb_to_hsv, hsv_to_rgb, extract_patches_3d.

>>> from glassnet.keras import ops
>>> ops.image.pad_images(ops.ones((1, 2, 2, 1)), 1, 1, 1, 1).shape
(1, 4, 4, 1)
"""

from __future__ import annotations

from glassnet.autograd import ops as _ops
from glassnet.keras.ops.core import floating

__all__ = ["crop_images", "extract_patches", "pad_images", "resize", "rgb_to_grayscale"]


def _format(data_format, op):
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    return _ops.resize(floating(images), size, interpolation=interpolation,
                       antialias=antialias, crop_to_aspect_ratio=crop_to_aspect_ratio,
                       pad_to_aspect_ratio=pad_to_aspect_ratio,
                       fill_mode=fill_mode, fill_value=fill_value,
                       data_format=_format(data_format, "resize"))


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    return _ops.extract_patches(floating(images), size, strides=strides,
                                dilation_rate=dilation_rate, padding=padding,
                                data_format=_format(data_format, "extract_patches"))


def rgb_to_grayscale(images, data_format=None):
    first = _format(data_format, "rgb_to_grayscale") == "channels_first"
    return _ops.rgb_to_grayscale(floating(images), axis=-3 if first else -1)


def _spatial(images, data_format, op):
    x = floating(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected images of rank 3 (H, W, C) or 4 (N, H, W, C). "
                         f"Received: images of shape {x.shape}")
    first = _format(data_format, op) == "channels_first"
    h_axis = x.ndim - (2 if first else 3)
    return x, h_axis


def _resolve(before, after, target, size, name, op):
    """The (before, after) amounts along one axis from Keras's four-way specification."""
    given = [v is not None for v in (before, after, target)]
    if sum(given) != 2:
        raise ValueError(f"{op}: give exactly two of the {name} offsets/target size. "
                         f"Received: {name}=({before}, {after}, target={target})")
    if target is None:
        return int(before), int(after)
    if before is None:
        before = abs(int(target) - size) - int(after)
    else:
        after = abs(int(target) - size) - int(before)
    if before < 0 or after < 0:
        raise ValueError(f"{op}: the {name} target size {target} is inconsistent with the "
                         f"offsets and the image size {size}")
    return int(before), int(after)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    x, h = _spatial(images, data_format, "pad_images")
    top, bottom = _resolve(top_padding, bottom_padding, target_height, x.shape[h], "height",
                           "pad_images")
    left, right = _resolve(left_padding, right_padding, target_width, x.shape[h + 1], "width",
                           "pad_images")
    widths = [(0, 0)] * x.ndim
    widths[h], widths[h + 1] = (top, bottom), (left, right)
    return _ops.pad(x, widths, constant_values=0.0)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    x, h = _spatial(images, data_format, "crop_images")
    top, bottom = _resolve(top_cropping, bottom_cropping, target_height, x.shape[h], "height",
                           "crop_images")
    left, right = _resolve(left_cropping, right_cropping, target_width, x.shape[h + 1],
                           "width", "crop_images")
    if top + bottom >= x.shape[h] or left + right >= x.shape[h + 1]:
        raise ValueError(f"crop_images: cropping ({top}, {bottom}, {left}, {right}) leaves "
                         f"nothing of images of shape {x.shape}")
    key = [slice(None)] * x.ndim
    key[h] = slice(top, x.shape[h] - bottom)
    key[h + 1] = slice(left, x.shape[h + 1] - right)
    return x[tuple(key)]
