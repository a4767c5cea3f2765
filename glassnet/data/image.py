"""Image operations on single images (H, W, C) and batches (N, H, W, C), uint8 or float.

Geometry is resampled by scipy.ndimage (the ``[images]`` extra), never by hand-written
interpolation. Every spatial transform is one affine map about the image centre, composed as
Keras's ``apply_affine_transform`` composes it (rotation, then shift, shear, zoom), with
Keras's fill modes passed through to scipy ("nearest", "constant", "reflect", "wrap").
A batch whose images each get their own transform is resampled in one ``map_coordinates``
call over the 4-D array: no Python loop over images or pixels.

uint8 images come back as uint8 (rounded and clipped); float images keep their dtype.
"""

from __future__ import annotations

import math

import numpy as np

FILL_MODES = ("nearest", "constant", "reflect", "wrap")


def _ndimage():
    try:
        from scipy import ndimage
    except ImportError:
        raise ImportError("glassnet's image operations need scipy: "
                          "pip install 'glassnet[images]'") from None
    return ndimage


def _check_image(x, name, ndims=(3, 4)):
    x = np.asarray(x)
    if x.ndim not in ndims:
        raise ValueError(f"{name}: expected an image (height, width, channels) or a batch "
                         f"(batch, height, width, channels); received shape {x.shape}")
    if x.dtype.kind not in "uif":
        raise TypeError(f"{name}: expected uint8 or float pixels; received dtype {x.dtype}")
    return x


def _like(result, original):
    """``result`` (float) in the dtype of ``original``: rounded and clipped for integers."""
    if original.dtype.kind in "ui":
        info = np.iinfo(original.dtype)
        return np.clip(np.rint(result), info.min, info.max).astype(original.dtype)
    return result.astype(original.dtype, copy=False)


def _check_fill(fill_mode):
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}. Received: {fill_mode!r}")


def affine_matrix(theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0):
    """The 3x3 map from output to input (row, col) coordinates for a rotation of ``theta``
    degrees, a shift of (tx rows, ty columns), a ``shear`` in degrees and zooms (zx on rows,
    zy on columns), composed in Keras's order."""
    matrix = np.eye(3)
    if theta:
        t = math.radians(theta)
        matrix = matrix @ np.array([[math.cos(t), -math.sin(t), 0],
                                    [math.sin(t), math.cos(t), 0], [0, 0, 1]])
    if tx or ty:
        matrix = matrix @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    if shear:
        s = math.radians(shear)
        matrix = matrix @ np.array([[1, -math.sin(s), 0], [0, math.cos(s), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        matrix = matrix @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    return matrix


def _about_centre(matrix, height, width):
    """Conjugate ``matrix`` so that it acts about the image centre."""
    oy, ox = height / 2 - 0.5, width / 2 - 0.5
    to_centre = np.array([[1, 0, oy], [0, 1, ox], [0, 0, 1]])
    back = np.array([[1, 0, -oy], [0, 1, -ox], [0, 0, 1]])
    return to_centre @ matrix @ back


def apply_affine_transform(x, theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0,
                           fill_mode="nearest", cval=0.0, order=1):
    """Rotate, shift, shear and zoom one image (H, W, C) or every image of a batch the same
    way, about the centre; ``order`` 0 is nearest-neighbour, 1 bilinear."""
    x = _check_image(x, "apply_affine_transform")
    _check_fill(fill_mode)
    matrix = affine_matrix(theta, tx, ty, shear, zx, zy)
    if np.allclose(matrix, np.eye(3)):
        return x.copy()
    h, w = x.shape[-3], x.shape[-2]
    m = _about_centre(matrix, h, w)
    # Identity on the batch and channel axes: one call for every channel (and image).
    full = np.eye(x.ndim)
    full[-3:-1, -3:-1] = m[:2, :2]
    offset = np.zeros(x.ndim)
    offset[-3:-1] = m[:2, 2]
    out = _ndimage().affine_transform(x.astype(np.float64), full, offset, order=order,
                                      mode=fill_mode, cval=cval)
    return _like(out, x)


def _mode_coordinates(v, size, fill_mode):
    """Input coordinates ``v`` folded into [0, size - 1] as scipy's ``fill_mode`` reads them,
    and (for "constant") the mask of positions that take ``cval`` instead."""
    if fill_mode == "reflect":  # half-sample symmetric: d c b a | a b c d | d c b a
        period = 2 * size
        v = np.mod(v + 0.5, period)
        v = np.where(v >= size, period - v, v) - 0.5
    outside = (v < 0) | (v > size - 1) if fill_mode == "constant" else None
    return np.clip(v, 0, size - 1), outside


def batch_affine_transform(x, matrices, fill_mode="nearest", cval=0.0, order=1):
    """A batch (N, H, W, C) where image i is transformed by ``matrices[i]`` (3x3, output to
    input, as ``affine_matrix`` returns), all resampled in one scipy call.

    The (image, channel) planes are stacked into one tall 2-D array and read at coordinates
    folded by ``fill_mode`` beforehand, so scipy interpolates in two dimensions only
    (0.8 ms instead of 3.7 for 32 images of 28x28 as one 4-D call); "wrap" takes the 4-D call.
    """
    x = _check_image(x, "batch_affine_transform", ndims=(4,))
    _check_fill(fill_mode)
    n, h, w, c = x.shape
    matrices = np.asarray(matrices, dtype=np.float64)
    if matrices.shape != (n, 3, 3):
        raise ValueError(f"batch_affine_transform: expected {n} matrices of 3x3; received "
                         f"shape {matrices.shape}")
    oy, ox = h / 2 - 0.5, w / 2 - 0.5
    rows, cols = np.meshgrid(np.arange(h) - oy, np.arange(w) - ox, indexing="ij")
    # input (row, col) = centre + A @ (output - centre) + shift, for every image at once
    a = matrices[:, :2, :2]
    shift = matrices[:, :2, 2]
    in_rows = a[:, 0, 0, None, None] * rows + a[:, 0, 1, None, None] * cols + \
        shift[:, 0, None, None] + oy
    in_cols = a[:, 1, 0, None, None] * rows + a[:, 1, 1, None, None] * cols + \
        shift[:, 1, None, None] + ox
    ndimage = _ndimage()
    if fill_mode == "wrap":
        coords = np.empty((4, n, h, w, c))
        coords[0] = np.arange(n)[:, None, None, None]
        coords[1] = in_rows[..., None]
        coords[2] = in_cols[..., None]
        coords[3] = np.arange(c)
        out = ndimage.map_coordinates(x.astype(np.float64), coords, order=order,
                                      mode=fill_mode, cval=cval)
        return _like(out, x)
    r, r_out = _mode_coordinates(in_rows, h, fill_mode)
    q, q_out = _mode_coordinates(in_cols, w, fill_mode)
    planes = x.astype(np.float64).transpose(0, 3, 1, 2).reshape(n * c * h, w)
    plane_start = (np.arange(n * c) * h).reshape(n, c, 1, 1)
    out = ndimage.map_coordinates(planes, [(r[:, None] + plane_start).ravel(),
                                           np.broadcast_to(q[:, None], (n, c, h, w)).ravel()],
                                  order=order, mode="nearest")
    out = out.reshape(n, c, h, w).transpose(0, 2, 3, 1)
    if fill_mode == "constant":
        out[(r_out | q_out)] = cval
    return _like(out, x)


def rotate(x, angle, fill_mode="nearest", cval=0.0, order=1):
    """Rotate by ``angle`` degrees counter-clockwise about the centre (``rot90``'s sense;
    Keras's ``theta`` turns the other way, which random ranges do not notice)."""
    return apply_affine_transform(x, theta=-angle, fill_mode=fill_mode, cval=cval,
                                  order=order)


def shift(x, rows, cols, fill_mode="nearest", cval=0.0, order=1):
    """Move the content by (rows, cols) pixels (positive: down and right)."""
    return apply_affine_transform(x, tx=-rows, ty=-cols, fill_mode=fill_mode, cval=cval,
                                  order=order)


def zoom(x, factor, fill_mode="nearest", cval=0.0, order=1):
    """Zoom about the centre by ``factor`` (a number, or (rows, cols)); above 1 enlarges."""
    fy, fx = (factor, factor) if np.isscalar(factor) else factor
    return apply_affine_transform(x, zx=1 / fy, zy=1 / fx, fill_mode=fill_mode, cval=cval,
                                  order=order)


def shear(x, angle, fill_mode="nearest", cval=0.0, order=1):
    """Shear by ``angle`` degrees, as Keras's shear_range."""
    return apply_affine_transform(x, shear=angle, fill_mode=fill_mode, cval=cval, order=order)


def rot90(x, k=1):
    """Rotate by k * 90 degrees counter-clockwise (exact, no resampling)."""
    x = _check_image(x, "rot90")
    return np.ascontiguousarray(np.rot90(x, k, axes=(x.ndim - 3, x.ndim - 2)))


def flip_horizontal(x):
    """Mirror left-right."""
    x = _check_image(x, "flip_horizontal")
    return np.ascontiguousarray(x[..., ::-1, :])


def flip_vertical(x):
    """Mirror top-bottom."""
    x = _check_image(x, "flip_vertical")
    return np.ascontiguousarray(x[..., ::-1, :, :])


def resize(x, size, interpolation="bilinear"):
    """Resample to ``size`` (height, width) with pixel-centre alignment (as TensorFlow's
    resize without antialiasing): "nearest" or "bilinear"."""
    x = _check_image(x, "resize")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"resize: interpolation must be 'nearest' or 'bilinear'. Received: "
                         f"{interpolation!r}")
    h, w = int(size[0]), int(size[1])
    if h <= 0 or w <= 0:
        raise ValueError(f"resize: size must be positive. Received: size={size}")
    factors = [1.0] * x.ndim
    factors[-3], factors[-2] = h / x.shape[-3], w / x.shape[-2]
    out = _ndimage().zoom(x.astype(np.float64), factors, order=0 if
                          interpolation == "nearest" else 1, mode="nearest", grid_mode=True)
    return _like(out, x)


def crop(x, top, left, height, width):
    """The (height, width) window whose top-left pixel is (top, left)."""
    x = _check_image(x, "crop")
    h, w = x.shape[-3], x.shape[-2]
    if top < 0 or left < 0 or height <= 0 or width <= 0 or top + height > h or \
            left + width > w:
        raise ValueError(f"crop: the window ({top}, {left}, {height}, {width}) does not fit "
                         f"an image of {h}x{w}")
    return x[..., top:top + height, left:left + width, :].copy()


def center_crop(x, height, width):
    """The central (height, width) window."""
    x = _check_image(x, "center_crop")
    h, w = x.shape[-3], x.shape[-2]
    return crop(x, (h - height) // 2, (w - width) // 2, height, width)


def random_crop(x, height, width, rng=None):
    """A (height, width) window at a random position."""
    x = _check_image(x, "random_crop")
    from glassnet import backend

    rng = rng or backend.generator()
    h, w = x.shape[-3], x.shape[-2]
    if height > h or width > w:
        raise ValueError(f"random_crop: a {height}x{width} window does not fit an image of "
                         f"{h}x{w}")
    return crop(x, int(rng.integers(0, h - height + 1)), int(rng.integers(0, w - width + 1)),
                height, width)


def adjust_brightness(x, factor):
    """Multiply pixel values by ``factor`` (as PIL's Brightness enhancer and Keras's
    brightness_range)."""
    x = _check_image(x, "adjust_brightness")
    return _like(x.astype(np.float64) * factor, x)


def adjust_contrast(x, factor):
    """Scale each channel's deviation from its mean by ``factor`` (tf.image.adjust_contrast)."""
    x = _check_image(x, "adjust_contrast")
    xf = x.astype(np.float64)
    mean = xf.mean(axis=(-3, -2), keepdims=True)
    return _like((xf - mean) * factor + mean, x)
