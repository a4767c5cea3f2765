"""Keras 3's geometric augmentation layers: RandomShear, RandomPerspective,
RandomElasticTransform, RandomErasing, RandomGaussianBlur.

Resampling reads every output pixel of every image at its own input coordinate in one
vectorised gather (``sample``): nearest or bilinear, the image extended beyond its border by
``fill_mode`` ("reflect" d c b a | a b c d | d c b a, "mirror" d c b | a b c d | c b a,
"wrap", "nearest", "constant" = ``fill_value``), as Keras's ``map_coordinates``. Coordinates
are (x = column, y = row) with Keras's transform vectors [a0, a1, a2, b0, b1, b2, c0, c1]:
input (x, y) = ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.

>>> import numpy as np
>>> from glassnet.nn.layers.geometric_augmentation import RandomShear
>>> RandomShear(x_factor=0.2, seed=0)(np.ones((2, 8, 8, 3), "float32")).shape
(2, 8, 8, 3)
"""

from __future__ import annotations

import numpy as np

from glassnet.nn import validation as check
from glassnet.nn.layers.augmentation_base import (
    Augmentation,
    check_value_range,
    factor_pair,
    is_number,
)

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _fold(index, size, fill_mode):
    """Integer indices folded into [0, size) by ``fill_mode``, and the in-bounds mask."""
    inside = (index >= 0) & (index < size)
    if fill_mode == "reflect":
        period = 2 * size
        index = np.mod(index, period)
        index = np.where(index >= size, period - 1 - index, index)
    elif fill_mode == "mirror":
        period = max(2 * size - 2, 1)
        index = np.mod(index, period)
        index = np.where(index >= size, period - index, index)
    elif fill_mode == "wrap":
        index = np.mod(index, size)
    return np.clip(index, 0, size - 1), inside


def sample(batch, rows, cols, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """``batch`` (N, H, W, C) read at float input coordinates ``rows``, ``cols`` (N, H, W)."""
    n, h, w, _ = batch.shape
    image = np.arange(n)[:, None, None]
    if interpolation == "nearest":
        taps = [(np.floor(rows + 0.5), np.floor(cols + 0.5), np.ones_like(rows))]
    else:
        r0, c0 = np.floor(rows), np.floor(cols)
        fr, fc = rows - r0, cols - c0
        taps = [(r0, c0, (1 - fr) * (1 - fc)), (r0, c0 + 1, (1 - fr) * fc),
                (r0 + 1, c0, fr * (1 - fc)), (r0 + 1, c0 + 1, fr * fc)]
    out = 0.0
    for r, c, weight in taps:  # 4 corners at most, each a gather over the whole batch
        ri, r_in = _fold(r.astype(np.int64), h, fill_mode)
        ci, c_in = _fold(c.astype(np.int64), w, fill_mode)
        values = batch[image, ri, ci]
        if fill_mode == "constant":
            values = np.where((r_in & c_in)[..., None], values, fill_value)
        out = out + weight[..., None] * values
    return out


def projective(batch, transforms, interpolation, fill_mode, fill_value):
    """Every image i resampled through its Keras transform vector ``transforms[i]``."""
    n, h, w, _ = batch.shape
    y, x = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                       indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (transforms[:, i, None, None] for i in range(8))
    k = c0 * x + c1 * y + 1.0
    return sample(batch, (b0 * x + b1 * y + b2) / k, (a0 * x + a1 * y + a2) / k,
                  interpolation, fill_mode, fill_value)


def gaussian_kernel(size, sigma):
    x = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def blur(batch, kernel_size, sigma):
    """Separable Gaussian blur of (N, H, W, C) with zero padding ("same"): rows use
    (kernel_size[1], sigma[1]), columns (kernel_size[0], sigma[0]), as Keras."""
    out = batch
    for axis, size, s in ((1, kernel_size[1], sigma[1]), (2, kernel_size[0], sigma[0])):
        kernel = gaussian_kernel(int(size), s)
        before = (len(kernel) - 1) // 2
        pad = [(0, 0)] * 4
        pad[axis] = (before, len(kernel) - 1 - before)
        padded = np.pad(out, pad)
        length = out.shape[axis]
        out = sum(kernel[i] * np.take(padded, np.arange(i, i + length), axis=axis)
                  for i in range(len(kernel)))  # a loop over the taps only
    return out


def _apply(rng, factor, n):
    """Keras's per-image coin: uniform(0, 1) < a probability drawn from ``factor``."""
    probability = rng.uniform(factor[0], factor[1], n)
    return rng.uniform(0.0, 1.0, n) < probability


def _choice(value, choices, arg, layer):
    if value not in choices:
        raise ValueError(f"{layer}: Unknown `{arg}` {value}. Expected one of {choices}.")
    return value


class RandomShear(Augmentation):
    """Shear each image about the top-left corner: input (x, y) = (x + sx y, sy x + y),
    (sx, sy) drawn from (``x_factor``, ``y_factor``) with one random sign per image."""

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.x_factor = factor_pair(x_factor, (0, 1), "RandomShear", "x_factor")
        self.y_factor = factor_pair(y_factor, (0, 1), "RandomShear", "y_factor")
        self.interpolation = _choice(interpolation, INTERPOLATIONS, "interpolation",
                                     "RandomShear")
        self.fill_mode = _choice(fill_mode, FILL_MODES, "fill_mode", "RandomShear")
        self.fill_value = check.number(fill_value, "fill_value", "RandomShear")

    def shear(self, x, factors):
        """``x`` sheared by per-image (sx, sy) ``factors`` of shape (N, 2)."""
        n = len(x)
        zeros, ones = np.zeros(n), np.ones(n)
        transforms = np.stack([ones, factors[:, 0], zeros, factors[:, 1], ones, zeros, zeros,
                               zeros], axis=1)
        return projective(x, transforms, self.interpolation, self.fill_mode, self.fill_value)

    def augment(self, x, rng):
        n = len(x)
        sign = np.where(rng.uniform(0, 1, (n, 1)) > 0.5, -1.0, 1.0)
        shear_y = rng.uniform(*self.y_factor, (n, 1))
        shear_x = rng.uniform(*self.x_factor, (n, 1))
        return self.shear(x, np.concatenate([shear_x, shear_y], axis=1) * sign)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value}


def homography(start, end):
    """The transform vectors mapping output points ``end`` onto input points ``start``
    (both (N, 4, 2) as (x, y)): one batched 8x8 solve."""
    ex, ey = end[..., 0], end[..., 1]
    sx, sy = start[..., 0], start[..., 1]
    zeros, ones = np.zeros_like(ex), np.ones_like(ex)
    rows_x = np.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    rows_y = np.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    matrix = np.stack([rows_x, rows_y], axis=2).reshape(len(ex), 8, 8)
    target = np.stack([sx, sy], axis=2).reshape(len(ex), 8)
    return np.linalg.solve(matrix, target[..., None])[..., 0]


class RandomPerspective(Augmentation):
    """Move each corner of an image by up to ``scale`` / 2 of its coordinate (Keras's
    end = start + start * U(-scale/2, scale/2)) and resample through the homography, with
    a probability drawn from ``factor``; outside pixels take ``fill_value``."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = factor_pair(factor, (0, 1), "RandomPerspective")
        if not is_number(scale) or scale < 0.0 or scale > 1.0:
            raise ValueError(f"RandomPerspective: The `scale` argument should be a number in "
                             f"the range [0,1]. Received: scale={scale}")
        self.scale = scale
        self.interpolation = _choice(interpolation, INTERPOLATIONS, "interpolation",
                                     "RandomPerspective")
        self.fill_value = check.number(fill_value, "fill_value", "RandomPerspective")

    def augment(self, x, rng):
        n, h, w, _ = x.shape
        apply = _apply(rng, self.factor, n)
        moves = rng.uniform(-0.5 * self.scale, 0.5 * self.scale, (n, 4, 2))
        start = np.broadcast_to(np.array([[0.0, 0.0], [w - 1, 0.0], [0.0, h - 1],
                                          [w - 1, h - 1]]), (n, 4, 2))
        out = projective(x, homography(start, start + start * moves), self.interpolation,
                         "constant", self.fill_value)
        return np.where(apply[:, None, None, None], out, x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomElasticTransform(Augmentation):
    """Displace every pixel by alpha * G_sigma(N(0, sigma^2)) noise fields (alpha = 0.1 f
    max(H, W), sigma = 0.05 f min(H, W), f drawn from ``scale`` once per batch), with a
    probability drawn from ``factor``; clipped to ``value_range``."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        name = "RandomElasticTransform"
        self.factor = factor_pair(factor, (0, 1), name)
        self.scale = factor_pair(scale, (0, 1), name, "scale")
        self.interpolation = _choice(interpolation, INTERPOLATIONS, "interpolation", name)
        self.fill_mode = _choice(fill_mode, (*FILL_MODES, "mirror"), "fill_mode", name)
        self.fill_value = check.number(fill_value, "fill_value", name)
        self.value_range = check_value_range(value_range, name, sort=False)

    def augment(self, x, rng):
        n, h, w, _ = x.shape
        if self.scale[1] == 0 or self.factor[1] == 0:
            return x
        apply = _apply(rng, self.factor, n)
        f = rng.uniform(*self.scale)
        alpha, sigma = max(h, w) * 0.1 * f, min(h, w) * 0.05 * f
        if sigma <= 0:
            return x
        size = int(6 * sigma) | 1
        fields = blur(rng.normal(size=(2 * n, h, w, 1)) * sigma, (size, size), (sigma, sigma))
        dx, dy = fields[:n, ..., 0], fields[n:, ..., 0]
        y, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                            indexing="ij")
        out = sample(x, y + alpha * dy, xs + alpha * dx, self.interpolation, self.fill_mode,
                     self.fill_value)
        return np.clip(np.where(apply[:, None, None, None], out, x), *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": self.value_range}


class RandomErasing(Augmentation):
    """Erase one rectangle per image (sides sqrt(u) of the image's, u drawn from ``scale``
    for each side), with a probability drawn from ``factor``. The rectangle takes
    ``fill_value`` (a number, or one per channel) or, by default, Gaussian noise times
    ``value_range[1]``, clipped to ``value_range``."""

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = factor_pair(factor, (0, 1), "RandomErasing")
        self.scale = factor_pair(scale, (0, 1), "RandomErasing", "scale")
        ok = fill_value is None or is_number(fill_value) or (
            isinstance(fill_value, (tuple, list)) and len(fill_value) == 3
            and all(is_number(v) for v in fill_value))
        if not ok:
            raise ValueError(f"RandomErasing: The `fill_value` argument should be a number "
                             f"(or a list of three numbers). Received: fill_value={fill_value}")
        self.fill_value = fill_value
        self.value_range = check_value_range(value_range, "RandomErasing", sort=False)

    def augment(self, x, rng):
        n, h, w, _ = x.shape
        side = np.sqrt(rng.uniform(*self.scale, (n, 2)))
        x0 = rng.uniform(0, 1, n) * (w - side[:, 0] * w)
        y0 = rng.uniform(0, 1, n) * (h - side[:, 1] * h)
        cols, rows = np.arange(w)[None, None, :], np.arange(h)[None, :, None]
        inside = ((cols >= x0[:, None, None]) & (cols < (x0 + side[:, 0] * w)[:, None, None])
                  & (rows >= y0[:, None, None]) & (rows < (y0 + side[:, 1] * h)[:, None, None]))
        apply = _apply(rng, self.factor, n)
        if self.fill_value is None:
            fill = rng.normal(size=x.shape) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, np.float64), x.shape)
        fill = np.clip(fill, *self.value_range)
        erase = (inside & apply[:, None, None])[..., None]
        return np.where(erase, fill, x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range}


class RandomGaussianBlur(Augmentation):
    """Blur with an odd ``kernel_size`` Gaussian, (sigma_x, sigma_y) drawn from ``sigma``
    once per batch (+1e-6), each image with a probability drawn from ``factor``; clipped to
    ``value_range``."""

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = factor_pair(factor, (0, 1), "RandomGaussianBlur")
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
        if len(sizes) != 2 or not all(is_number(k) and int(k) == k and k > 0 and k % 2
                                      for k in sizes):
            raise ValueError(f"RandomGaussianBlur: kernel_size must be an odd number (or a "
                             f"pair of them). Received: kernel_size={kernel_size}")
        self.kernel_size = tuple(int(k) for k in sizes)
        self.sigma = factor_pair(sigma, (0, 1), "RandomGaussianBlur", "sigma")
        self.value_range = check_value_range(value_range, "RandomGaussianBlur", sort=False)

    def augment(self, x, rng):
        apply = _apply(rng, self.factor, len(x))
        sigma = rng.uniform(*self.sigma, 2) + 1e-6
        out = np.where(apply[:, None, None, None], blur(x, self.kernel_size, sigma), x)
        return np.clip(out, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range}
