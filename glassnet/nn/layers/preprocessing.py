"""Preprocessing layers usable inside a model: Rescaling, Resizing, CenterCrop, RandomCrop,
RandomFlip, RandomRotation, RandomTranslation, RandomZoom, RandomContrast, RandomBrightness.

The random ones act while training and on a plain call (``layer(x)``, ``model(x)``,
``ds.map(layer)``: Keras 3's default ``training=True``), and are the identity, or their
deterministic counterpart, at inference (``training=False``, as ``predict`` and ``evaluate``
pass). Factors follow Keras 3: a number f
means the range [-f, f] (rotation in fractions of a full turn, translation and zoom in
fractions of the image size, positive zoom zooming out). Resampling uses scipy.ndimage
through ``glassnet.data.image``; the random layers sit at a model's input and pass no
gradient back to it. Rescaling is an ordinary differentiable op.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.data import image
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer


def _factor_range(factor, name, layer, allow_negative=True):
    numbers = (int, float, np.integer, np.floating)
    scalar = isinstance(factor, numbers) and not isinstance(factor, bool)
    pair = isinstance(factor, (tuple, list)) and len(factor) == 2 and all(
        isinstance(v, numbers) and not isinstance(v, bool) for v in factor)
    if not scalar and not pair:
        raise ValueError(f"{layer}: `{name}` must be a number or a (low, high) pair of "
                         f"numbers. Received: {name}={factor!r}")
    low, high = (-factor, factor) if scalar else tuple(factor)
    if low > high or (not allow_negative and low < 0):
        raise ValueError(f"{layer}: `{name}` must be a number or a (low, high) pair with low "
                         f"<= high{'' if allow_negative else ' and low >= 0'}. Received: "
                         f"{name}={factor!r}")
    return float(low), float(high)


def _value_range(value, layer):
    numbers = (int, float, np.integer, np.floating)
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers) and not isinstance(v, bool) for v in value)
            and value[0] < value[1]):
        raise ValueError(f"{layer}: `value_range` must be a (low, high) pair of numbers with "
                         f"low < high. Received: value_range={value!r}")
    return tuple(value)


def _augments(training):
    """Whether a random layer draws: unless ``training`` is False (Keras 3's ``call(data,
    training=True)``: a plain call augments; predict and evaluate pass False)."""
    return training is None or bool(training)


class _Image(Layer):
    """Base: checks for NHWC (or HWC) input, keeps a seeded generator."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check.seed(seed, type(self).__name__)
        self._rng = None if seed is None else np.random.default_rng(seed)

    def rng(self):
        return self._rng or backend.generator()

    def check_input(self, inputs):
        if inputs.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expected an image (height, "
                             f"width, channels) or a batch (batch, height, width, channels); "
                             f"received input of shape {tuple(inputs.shape)}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _uniform(self, low, high, n, like):
        """``n`` uniform draws in [low, high) on the device of ``like`` (a tensor): the
        generator's GPU twin draws them there."""
        rng = self.rng()
        if backend.on_device(like.data):
            return backend.device_generator(rng).uniform(low, high, n, dtype=np.float64)
        return rng.uniform(low, high, n)

    def _constant(self, array, like):
        return Tensor._from_op(backend.get_array_module(like.data).asarray(
            array, dtype=like.data.dtype), None)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _number_or_list(value, arg):
    """A number, or a list of numbers broadcast against the input's last axes (Keras takes
    per-channel ``scale`` and ``offset``, as EfficientNet's input normalization does)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        values = [check.number(v, arg, "Rescaling") for v in np.ravel(value)]
        if not values:
            raise ValueError(f"Rescaling: `{arg}` must be a number or a non-empty list of "
                             f"numbers. Received: {arg}={value!r}")
        return np.asarray(values, np.float64).reshape(np.shape(value)).tolist()
    return check.number(value, arg, "Rescaling")


class Rescaling(Layer):
    """x * scale + offset (e.g. scale=1/255 maps pixels to [0, 1]); ``scale`` and ``offset``
    may be lists, one value per channel (broadcast against the last axes)."""

    supports_masking = True  # passes the mask on, as Keras

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _number_or_list(scale, "scale")
        self.offset = _number_or_list(offset, "offset")

    def call(self, inputs):
        xp = backend.get_array_module(inputs.data)  # per-channel values made where x is
        scale, offset = (v if isinstance(v, float) else xp.asarray(v, inputs.dtype)
                         for v in (self.scale, self.offset))
        out = inputs * scale
        return out + offset if np.any(self.offset) else out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Resizing(_Image):
    """Resize to (height, width), "bilinear" or "nearest", pixel-centre aligned."""

    def __init__(self, height, width, interpolation="bilinear", **kwargs):
        super().__init__(**kwargs)
        self.height = check.positive_int(height, "height", "Resizing")
        self.width = check.positive_int(width, "width", "Resizing")
        self.interpolation = check.one_of(interpolation, ("bilinear", "nearest"),
                                          "interpolation", "Resizing")

    def call(self, inputs):
        # (glassnet.data.image is NumPy code: a GPU input is resized on the host)
        return self._constant(image.resize(backend.to_host(inputs.data),
                                           (self.height, self.width), self.interpolation),
                              inputs)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-3], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation}


class CenterCrop(_Image):
    """The central (height, width) window (the input must be at least that large)."""

    def __init__(self, height, width, **kwargs):
        super().__init__(**kwargs)
        self.height = check.positive_int(height, "height", type(self).__name__)
        self.width = check.positive_int(width, "width", type(self).__name__)

    def _crop_start(self, inputs):
        h, w = inputs.shape[-3], inputs.shape[-2]
        if h < self.height or w < self.width:
            raise ValueError(f"{type(self).__name__} '{self.name}': a {self.height}x"
                             f"{self.width} crop does not fit input of shape "
                             f"{tuple(inputs.shape)}")
        return (h - self.height) // 2, (w - self.width) // 2

    def call(self, inputs):
        top, left = self._crop_start(inputs)
        return inputs[..., top:top + self.height, left:left + self.width, :]

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-3], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(CenterCrop):
    """A random (height, width) window while training (one position per batch, as one
    crop keeps the batch rectangular); the central window at inference."""

    def call(self, inputs, training=None):
        top, left = self._crop_start(inputs)
        if _augments(training):
            rng = self.rng()
            top = int(rng.integers(0, inputs.shape[-3] - self.height + 1))
            left = int(rng.integers(0, inputs.shape[-2] - self.width + 1))
        return inputs[..., top:top + self.height, left:left + self.width, :]


class RandomFlip(_Image):
    """Flip each image left-right and/or top-bottom with probability 1/2 while training."""

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.mode = check.one_of(mode, self.MODES, "mode", "RandomFlip")

    def call(self, inputs, training=None):
        if not _augments(training):
            return inputs
        x = inputs.data
        batch = x if x.ndim == 4 else x[None]
        n = len(batch)
        rng = self.rng()
        if "horizontal" in self.mode:
            flip = (backend.random_uniform(rng, n, np.float64, x) < 0.5)[:, None, None, None]
            batch = np.where(flip, batch[:, :, ::-1], batch)
        if "vertical" in self.mode:
            flip = (backend.random_uniform(rng, n, np.float64, x) < 0.5)[:, None, None, None]
            batch = np.where(flip, batch[:, ::-1], batch)
        return self._constant(batch if x.ndim == 4 else batch[0], inputs)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _RandomAffine(_Image):
    """Shared by rotation, translation and zoom: per-image matrices, one resampling call."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 **kwargs):
        super().__init__(seed, **kwargs)
        cls = type(self).__name__
        self.fill_mode = check.one_of(fill_mode, tuple(image.FILL_MODES), "fill_mode", cls)
        self.interpolation = check.one_of(interpolation, ("bilinear", "nearest"),
                                          "interpolation", cls)
        self.fill_value = check.number(fill_value, "fill_value", cls)

    def matrices(self, n, height, width):
        raise NotImplementedError

    def call(self, inputs, training=None):
        if not _augments(training):
            return inputs
        x = backend.to_host(inputs.data)  # (glassnet.data.image is NumPy code)
        batch = x if x.ndim == 4 else x[None]
        matrices = self.matrices(len(batch), batch.shape[1], batch.shape[2])
        out = image.batch_affine_transform(batch, matrices, self.fill_mode, self.fill_value,
                                           order=1 if self.interpolation == "bilinear" else 0)
        return self._constant(out if x.ndim == 4 else out[0], inputs)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomRotation(_RandomAffine):
    """Rotate each image by a random angle: ``factor`` in fractions of a full turn
    (0.1 means up to +-36 degrees)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        self.range = _factor_range(factor, "factor", "RandomRotation")

    def matrices(self, n, height, width):
        degrees = self.rng().uniform(*self.range, n) * 360.0
        return np.stack([image.affine_matrix(theta=d) for d in degrees])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomTranslation(_RandomAffine):
    """Shift each image by random fractions of its height and width."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = _factor_range(height_factor, "height_factor", "RandomTranslation")
        self.w_range = _factor_range(width_factor, "width_factor", "RandomTranslation")

    def matrices(self, n, height, width):
        rng = self.rng()
        rows = rng.uniform(*self.h_range, n) * height
        cols = rng.uniform(*self.w_range, n) * width
        return np.stack([image.affine_matrix(tx=-r, ty=-c) for r, c in zip(rows, cols)])

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomZoom(_RandomAffine):
    """Zoom each image by a random amount: a factor value v zooms by 1 + v (positive zooms
    out, as Keras); without ``width_factor`` the aspect ratio is kept."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = _factor_range(height_factor, "height_factor", "RandomZoom")
        self.w_range = None if width_factor is None else _factor_range(
            width_factor, "width_factor", "RandomZoom")
        if self.h_range[0] <= -1 or (self.w_range and self.w_range[0] <= -1):
            raise ValueError(f"RandomZoom: factors must be greater than -1 (a zoom of 1 + v "
                             f"must stay positive). Received: {height_factor}, {width_factor}")

    def matrices(self, n, height, width):
        rng = self.rng()
        zy = 1 + rng.uniform(*self.h_range, n)
        zx = zy if self.w_range is None else 1 + rng.uniform(*self.w_range, n)
        return np.stack([image.affine_matrix(zx=a, zy=b) for a, b in zip(zy, zx)])

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomContrast(_Image):
    """Scale each image's deviation from its per-channel mean by a random factor in
    [1 - factor, 1 + factor], clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        low, high = _factor_range(factor, "factor", "RandomContrast")
        if low < -1 or not np.isscalar(factor) and low < 0:
            raise ValueError(f"RandomContrast: factor must be in [0, 1]. Received: {factor}")
        self.factor = factor
        self.value_range = _value_range(value_range, type(self).__name__)
        self.range = (1 + low, 1 + high) if np.isscalar(factor) else (low, high)

    def call(self, inputs, training=None):
        if not _augments(training):
            return inputs
        x = inputs.data.astype(np.float64)
        batch = x if x.ndim == 4 else x[None]
        c = self._uniform(*self.range, len(batch), inputs)[:, None, None, None]
        mean = batch.mean(axis=(1, 2), keepdims=True)
        out = np.clip((batch - mean) * c + mean, *self.value_range)
        return self._constant(out if x.ndim == 4 else out[0], inputs)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomBrightness(_Image):
    """Add a random delta, ``factor`` times the width of ``value_range``, clipped to it."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.factor = factor
        self.value_range = _value_range(value_range, type(self).__name__)
        self.range = _factor_range(factor, "factor", "RandomBrightness")
        if max(abs(v) for v in self.range) > 1:
            raise ValueError(f"RandomBrightness: factor must be within [-1, 1]. Received: "
                             f"{factor}")

    def call(self, inputs, training=None):
        if not _augments(training):
            return inputs
        x = inputs.data.astype(np.float64)
        batch = x if x.ndim == 4 else x[None]
        span = self.value_range[1] - self.value_range[0]
        delta = self._uniform(*self.range, len(batch), inputs)[:, None, None, None] * span
        out = np.clip(batch + delta, *self.value_range)
        return self._constant(out if x.ndim == 4 else out[0], inputs)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}

