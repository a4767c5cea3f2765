"""Keras 3's colour augmentation layers: RandomGrayscale, RandomInvert, Solarization,
RandomPosterization, AutoContrast, Equalization, RandomHue, RandomSaturation,
RandomColorDegeneration, RandomColorJitter, RandomSharpness.

Arguments, defaults, random draws and formulas follow keras/src/layers/preprocessing/
image_preprocessing (Keras 3.15), quirks included where they change numbers (noted in each
docstring), so that a pinned draw gives Keras's output. Each layer works on a batch at once;
the per-image parameters broadcast over (H, W, C).

>>> import numpy as np
>>> from glassnet.nn.layers.color_augmentation import RandomInvert
>>> images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
>>> bool((RandomInvert(factor=(1, 1))(images).numpy() == 255 - images).all())
True
"""

from __future__ import annotations

import numpy as np

from glassnet.nn import validation as check
from glassnet.nn.layers.augmentation_base import (
    Augmentation,
    check_value_range,
    factor_pair,
    grayscale,
    is_number,
    rescale,
)
from glassnet.nn.layers.preprocessing import RandomBrightness, RandomContrast


def _per_image(values):
    return np.asarray(values, dtype=np.float64)[:, None, None, None]


def rgb_to_hsv(x):
    """RGB (..., 3) -> HSV with hue and saturation in [0, 1], value = max(R, G, B)."""
    x = np.where(np.abs(x) < np.finfo(np.float32).eps, 0.0, x)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    value = np.maximum(np.maximum(r, g), b)
    span = value - np.minimum(np.minimum(r, g), b)
    saturation = np.where(value > 0, span / np.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * np.where(span > 0, span, 1.0))
    hue = np.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = np.where(value == r, norm * (g - b), hue)
    hue = np.where(span > 0, hue, 0.0) + (hue < 0.0)
    return np.stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(x):
    """HSV (..., 3) -> RGB, the inverse of ``rgb_to_hsv``."""
    dh = np.mod(x[..., 0], 1.0)[..., None] * 6.0
    s, v = x[..., 1:2], x[..., 2:3]
    d = np.clip(np.concatenate([np.abs(dh - 3.0) - 1.0, 2.0 - np.abs(dh - 2.0),
                                2.0 - np.abs(dh - 4.0)], axis=-1), 0.0, 1.0)
    return v * (1.0 - s + s * d)


class RandomGrayscale(Augmentation):
    """Replace each image, with probability ``factor``, by its luma
    0.2989 R + 0.5870 G + 0.1140 B in every channel."""

    CHANNELS = 3

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if not is_number(factor) or factor < 0 or factor > 1:
            raise ValueError(f"RandomGrayscale: `factor` should be between 0 and 1. "
                             f"Received: factor={factor}")
        self.factor = factor

    def augment(self, x, rng):
        apply = rng.uniform(0, 1, len(x)) < self.factor
        return np.where(apply[:, None, None, None], grayscale(x), x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class _ColorLayer(Augmentation):
    """A layer with Keras's ``factor`` (``BOUNDS``, ``SIGNED``) and ``value_range``."""

    BOUNDS, SIGNED, SORT_RANGE = (0, 1), True, True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        name = type(self).__name__
        self.factor = factor_pair(factor, self.BOUNDS, name, signed=self.SIGNED)
        self.value_range = check_value_range(value_range, name, sort=self.SORT_RANGE)

    def draw(self, rng, n):
        return rng.uniform(self.factor[0], self.factor[1], n)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range}


class RandomInvert(_ColorLayer):
    """Invert each image to ``value_range[1] - x`` with a probability drawn from ``factor``
    (Keras subtracts from the upper bound alone, also for ranges not starting at 0)."""

    SORT_RANGE = False

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)

    def augment(self, x, rng):
        probability = self.draw(rng, len(x))
        apply = rng.uniform(0, 1, len(x)) < probability
        return np.where(apply[:, None, None, None], self.value_range[1] - x, x)


class Solarization(Augmentation):
    """In the 0-255 scale: y = clip(x + a, 0, 255); y if y < t else 255 - y, with a and t
    drawn per image from ``addition_factor`` and ``threshold_factor``. As Keras, only the
    upper end of each range is multiplied by 255 (a in [a0, 255 a1]). Always active."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._factor(addition_factor, "addition_factor")
        self.threshold_factor = self._factor(threshold_factor, "threshold_factor")
        self.value_range = check_value_range(value_range, "Solarization")

    @staticmethod
    def _factor(factor, arg):
        values = factor if isinstance(factor, (tuple, list)) else [factor]
        if len(values) not in (1, 2) or not all(is_number(v) and 0 <= v <= 1 for v in values):
            raise ValueError(f"Solarization: The `addition_factor` and `threshold_factor` "
                             f"arguments should be a number (or a list of two numbers) in the "
                             f"range [0, 1]. Received: {arg}={factor}")
        return tuple(sorted(values)) if len(values) == 2 else (0, values[0])

    def augment(self, x, rng):
        n = len(x)
        additions = _per_image(rng.uniform(self.addition_factor[0],
                                           self.addition_factor[1] * 255, n))
        thresholds = _per_image(rng.uniform(self.threshold_factor[0],
                                            self.threshold_factor[1] * 255, n))
        y = np.clip(rescale(x, self.value_range, (0, 255)) + additions, 0, 255)
        return rescale(np.where(y < thresholds, y, 255 - y), (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "value_range": self.value_range}


class RandomPosterization(_ColorLayer):
    """Keep ``bits`` of each 8-bit channel: (x >> (8 - bits)) << (8 - bits) in 0-255.
    ``bits`` is drawn per image as Keras's randint(low, high) (high excluded unless low ==
    high, so factor=4 means 1-3 bits and factor=(4, 4) exactly 4)."""

    BOUNDS = (1, 8)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)

    def augment(self, x, rng):
        low, high = int(self.factor[0]), int(self.factor[1])
        bits = np.full(len(x), low) if low == high else rng.integers(low, high, len(x))
        shift = (8 - bits).astype(np.uint8)[:, None, None, None]
        # truncating cast to uint8, as Keras casts before shifting
        pixels = np.clip(rescale(x, self.value_range, (0, 255)), 0, 255).astype(np.uint8)
        return rescale(((pixels >> shift) << shift).astype(np.float64), (0, 255),
                       self.value_range)


class AutoContrast(Augmentation):
    """Stretch each image channel from its [min, max] to the full ``value_range``:
    y = (x - min) * 255 / (max - min) in the 0-255 scale; a flat channel is kept. Active at
    inference too, as Keras."""

    ACTIVE_AT_INFERENCE = True

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(value_range, "AutoContrast")

    def augment(self, x, rng):
        y = rescale(x, self.value_range, (0, 255))
        low = y.min(axis=(1, 2), keepdims=True)
        high = y.max(axis=(1, 2), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # flat channels give NaN: kept
            scale = 255.0 / (high - low)
            out = rescale(np.clip(y * scale - low * scale, 0, 255), (0, 255), self.value_range)
        return np.where(np.isnan(out), x, out)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


class Equalization(Augmentation):
    """Histogram equalisation per channel: y = lut[x], lut = round(255 (cdf - cdf_min) /
    (cdf[-1] - cdf_min)) over ``bins`` bins. As Keras, the histogram of a channel is taken
    over the whole batch; a channel using one bin only is kept."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = check.positive_int(bins, "bins", "Equalization")
        self.value_range = check_value_range(value_range, "Equalization")

    def _equalize(self, channel):
        bins = self.bins
        index = np.clip((channel * (bins - 1) / 255).astype(np.int64), 0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            return channel
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        denominator = (cdf[-1] - cdf_min) or 1
        lut = np.clip(np.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        return lut[np.clip(channel / 255.0 * (bins - 1), 0, bins - 1).astype(np.int64)]

    def augment(self, x, rng):
        y = rescale(x, self.value_range, (0, 255))
        out = np.stack([self._equalize(y[..., c]) for c in range(y.shape[-1])], axis=-1)
        return rescale(out, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


class RandomHue(_ColorLayer):
    """Rotate the hue of each image by +-f / 2 of a turn (sign and f in ``factor`` drawn per
    image), in HSV over [0, 1]-scaled images, clipped back to ``value_range``."""

    CHANNELS, SORT_RANGE, SIGNED = 3, False, False

    def shift(self, x, delta):
        hsv = rgb_to_hsv(rescale(x, self.value_range, (0, 1)))
        hue = hsv[..., 0] + delta[:, None, None]
        hue = np.where(hue > 1.0, hue - 1.0, hue)
        hsv[..., 0] = np.where(hue < 0.0, hue + 1.0, hue)
        return rescale(np.clip(hsv_to_rgb(hsv), 0, 1), (0, 1), self.value_range)

    def augment(self, x, rng):
        sign = np.where(rng.uniform(0, 1, len(x)) > 0.5, -1.0, 1.0)
        return self.shift(x, sign * self.draw(rng, len(x)) * 0.5)


class RandomSaturation(_ColorLayer):
    """Scale each image's HSV saturation by f / (1 - f + 1e-7), f drawn from ``factor``
    (0.5: unchanged, 0: grey, 1: fully saturated). As Keras, the HSV conversion runs on the
    unscaled pixels and the saturation is clipped to ``value_range``."""

    CHANNELS, BOUNDS = 3, (-1, 1)

    def saturate(self, x, f):
        hsv = rgb_to_hsv(x)
        hsv[..., 1] = np.clip(hsv[..., 1] * (f / (1 - f + 1e-7))[:, None, None],
                              *self.value_range)
        return hsv_to_rgb(hsv)

    def augment(self, x, rng):
        return self.saturate(x, self.draw(rng, len(x)))


class RandomColorDegeneration(_ColorLayer):
    """Blend each image towards its grayscale: x + f (gray - x), f drawn from ``factor``,
    clipped to ``value_range``."""

    CHANNELS, BOUNDS = 3, (-1, 1)

    def augment(self, x, rng):
        f = _per_image(self.draw(rng, len(x)))
        return np.clip(x + f * (grayscale(x) - x), *self.value_range)


class RandomSharpness(_ColorLayer):
    """Sharpen or blur: x + (1 - 2 f) (smooth(x) - x), where smooth is the 3x3 kernel
    [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 with zero padding; f from ``factor`` (0.5 keeps
    the image, 0 blurs, 1 sharpens), clipped to ``value_range``."""

    SIGNED = False

    def augment(self, x, rng):
        f = _per_image(self.draw(rng, len(x)) * 2)
        h, w = x.shape[1:3]
        padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        # nine shifted copies: one vectorised 3x3 filter, the centre tap weighing 5
        smooth = sum(padded[:, i:i + h, j:j + w] for i in range(3) for j in range(3))
        smooth = (smooth + 4 * x) / 13.0
        return np.clip(x + (1.0 - f) * (smooth - x), *self.value_range)


class RandomColorJitter(Augmentation):
    """RandomBrightness, RandomContrast, RandomSaturation and RandomHue in that order, each
    only when its factor is given (the layers' own meaning of their factor)."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = value_range
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        self.steps = []
        for make, factor in ((RandomBrightness, brightness_factor),
                             (RandomContrast, contrast_factor),
                             (RandomSaturation, saturation_factor), (RandomHue, hue_factor)):
            if factor is not None:
                self.steps.append(make(factor=factor, value_range=value_range, seed=seed))

    def augment(self, x, rng):
        for step in self.steps:
            if isinstance(step, Augmentation):
                x = step.augment(x, rng)
            else:  # the preprocessing.py layers, channels-last already
                x = np.asarray(step(x.astype(np.float32), training=True).data, np.float64)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor}
