"""Image files through Pillow (the ``images`` extra), as Keras's helpers: ``load_img``,
``img_to_array``, ``array_to_img``, ``save_img``."""

from __future__ import annotations

import os

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".gif")
COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("loading and saving images needs Pillow: "
                          "pip install 'glassnet[images]'") from None
    return Image


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """A PIL image from ``path``, converted to ``color_mode`` ("grayscale", "rgb", "rgba")
    and resized to ``target_size`` (height, width) if given."""
    Image = _pil()
    if color_mode not in COLOR_MODES:
        raise ValueError(f"load_img: color_mode must be one of {sorted(COLOR_MODES)}. "
                         f"Received: {color_mode!r}")
    with open(os.fspath(path), "rb") as f:
        img = Image.open(f)
        img.load()
    img = img.convert(COLOR_MODES[color_mode])
    if target_size is not None:
        filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR,
                   "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}
        if interpolation not in filters:
            raise ValueError(f"load_img: interpolation must be one of {sorted(filters)}. "
                             f"Received: {interpolation!r}")
        resample = filters[interpolation]
        size = (int(target_size[1]), int(target_size[0]))
        if keep_aspect_ratio:  # crop the centre to the target's proportions first (Keras)
            w, h = img.size
            crop_w, crop_h = min(w, round(h * size[0] / size[1])), \
                min(h, round(w * size[1] / size[0]))
            left, top = (w - crop_w) // 2, (h - crop_h) // 2
            img = img.crop((left, top, left + crop_w, top + crop_h))
        if img.size != size:
            img = img.resize(size, resample)
    return img


def _data_format(data_format, caller):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{caller}: Unknown data_format: {data_format!r}; expected "
                         f"'channels_last' or 'channels_first'")
    return data_format or "channels_last"


def img_to_array(img, data_format=None, dtype=None):
    """An (H, W, C) array of the image's pixel values (0-255); (C, H, W) with
    ``data_format="channels_first"``. ``dtype`` defaults to float32."""
    channels_first = _data_format(data_format, "img_to_array") == "channels_first"
    array = np.asarray(img, dtype=dtype or "float32")
    array = array[..., None] if array.ndim == 2 else array
    return np.moveaxis(array, -1, 0) if channels_first else array


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from an (H, W, C) array ((C, H, W) with ``data_format=
    "channels_first"``); ``scale`` maps its range onto 0-255."""
    Image = _pil()
    x = np.asarray(x, dtype=np.float64)
    if _data_format(data_format, "array_to_img") == "channels_first" and x.ndim == 3:
        x = np.moveaxis(x, 0, -1)
    if x.ndim != 3 or x.shape[-1] not in (1, 3, 4):
        raise ValueError(f"array_to_img: expected (height, width, 1, 3 or 4 channels); "
                         f"received shape {x.shape}")
    if scale:
        x = x - x.min()
        top = x.max()
        x = x / top * 255 if top > 0 else x
    x = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[x.shape[-1]]
    return Image.fromarray(x[..., 0] if mode == "L" else x, mode)


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write an (H, W, C) array as an image file (format from the extension); ``kwargs`` go
    to Pillow's ``save`` (e.g. ``quality``)."""
    array_to_img(x, data_format=data_format, scale=scale).save(os.fspath(path),
                                                               format=file_format, **kwargs)
