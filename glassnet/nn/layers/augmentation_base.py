"""The shared base of Keras 3's image augmentation layers (colour, geometry, mixing).

Each layer draws its random parameters per image from the layer's generator (``seed=`` gives
reproducible draws), then transforms the whole batch in vectorised NumPy. As in Keras 3, a
call without ``training`` augments (``layer(images)`` and ``ds.map(layer)`` augment;
``model.predict`` calls with ``training=False`` and gets the images back unchanged). Inputs may
be one image (H, W, C) or a batch (N, H, W, C); ``data_format="channels_first"`` takes
(C, H, W) / (N, C, H, W). Work is done channels-last in float64 and returned as float32.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.nn import validation as check
from glassnet.nn.layers.preprocessing import _Image

NUMBERS = (int, float, np.integer, np.floating)


def is_number(value):
    return isinstance(value, NUMBERS) and not isinstance(value, (bool, np.bool_))


def factor_pair(factor, bounds, layer, arg="factor", signed=True):
    """Keras's ``_set_factor``: a number f means (max(-f, low), f) (``signed``) or (0, f); a
    pair is sorted. Out-of-bounds values raise Keras's message, prefixed by the layer."""
    low, high = bounds
    error = ValueError(f"{layer}: The `{arg}` argument should be a number (or a list of two "
                       f"numbers) in the range [{low}, {high}]. Received: {arg}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(is_number(v) for v in factor):
            raise error
        if factor[0] > high or factor[1] < low:
            raise error
        return tuple(sorted(float(v) if isinstance(v, float) else v for v in factor))
    if not is_number(factor) or factor < low or factor > high:
        raise error
    factor = abs(factor)
    return (max(-factor, low), factor) if signed else (0, factor)


def check_value_range(value, layer, sort=True):
    """Keras's ``_set_value_range``: a list or tuple of two numbers (sorted)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2 or \
            not all(is_number(v) for v in value):
        raise ValueError(f"{layer}: The `value_range` argument should be a list of two "
                         f"numbers. Received: value_range={value}")
    return sorted(value) if sort else tuple(value)


def rescale(x, source, target):
    """Map values linearly from the ``source`` range onto the ``target`` range."""
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def grayscale(x):
    """Luma of RGB images (..., 3) -> (..., 1), tf.image's weights; 1 channel is kept."""
    if x.shape[-1] == 1:
        return x
    return (x @ np.array([0.2989, 0.5870, 0.1140]))[..., None]


class Augmentation(_Image):
    """Base of the augmentation layers: data format, seed, training-only application.

    Subclasses implement ``augment(batch, rng)`` on a float64 (N, H, W, C) array and return
    an array of the same shape (``ACTIVE_AT_INFERENCE`` for layers Keras applies always).
    """

    ACTIVE_AT_INFERENCE = False
    CHANNELS = None  # 3 for layers that need RGB

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.data_format = "channels_last" if data_format is None else check.one_of(
            data_format, ("channels_last", "channels_first"), "data_format",
            type(self).__name__)

    def check_input(self, inputs):
        super().check_input(inputs)
        channels = inputs.shape[-1 if self.data_format == "channels_last" else -3]
        if self.CHANNELS is not None and channels not in (1, self.CHANNELS):
            raise ValueError(f"{type(self).__name__} '{self.name}' expected RGB images with "
                             f"{self.CHANNELS} channels (or 1); received input of shape "
                             f"{tuple(inputs.shape)} ({self.data_format})")

    def to_batch(self, array):
        """float64 (N, H, W, C) view of the input, whatever its rank and data format.

        The augmentations are NumPy code of the input pipeline (as Keras runs them in
        tf.data): an input on a GPU is copied to the host here, and the result back to that
        GPU by ``from_batch``."""
        x = np.asarray(backend.to_host(array), dtype=np.float64)
        x = x if x.ndim == 4 else x[None]
        return x.transpose(0, 2, 3, 1) if self.data_format == "channels_first" else x

    def from_batch(self, batch, like):
        if self.data_format == "channels_first":
            batch = batch.transpose(0, 3, 1, 2)
        out = np.ascontiguousarray(batch if like.ndim == 4 else batch[0], dtype=np.float32)
        data = like.data if isinstance(like, Tensor) else like
        if backend.on_device(data):  # back to the GPU the input came from
            out = backend.to_device(out, backend.device_of(data))
        return Tensor._from_op(out, None)

    def augment(self, batch, rng):
        raise NotImplementedError

    def augment_with_labels(self, batch, labels, rng):
        """Images and their labels together (MixUp and CutMix mix both with the same
        draws); by default the labels pass unchanged, as in Keras's colour and geometry
        layers."""
        return self.augment(batch, rng), labels

    def __call__(self, inputs, *args, **kwargs):
        # Keras's data-layer form: layer({"images": x, "labels": y}) -> a dict like it.
        if isinstance(inputs, dict):
            training = kwargs.get("training", args[0] if args else None)
            return self.call_on_dict(inputs, True if training is None else training)
        return super().__call__(inputs, *args, **kwargs)

    def call_on_dict(self, data, training):
        name = type(self).__name__
        unknown = sorted(set(data) - {"images", "labels"})
        if "images" not in data or unknown:
            raise ValueError(f"{name}: a dict input needs an 'images' entry and may have "
                             f"'labels'; {', '.join(map(repr, unknown)) or 'no images'} not "
                             f"supported here. Received keys: {sorted(data)}")
        images = backend.asarray(getattr(data["images"], "data", data["images"]))
        self.check_input(images)
        out = dict(data)
        if not training and not self.ACTIVE_AT_INFERENCE:
            return out
        given = data.get("labels")
        if given is not None:
            given = np.asarray(getattr(given, "data", given), dtype=np.float64)
            if images.ndim == 4 and (given.ndim == 0 or len(given) != len(images)):
                raise ValueError(f"{name}: expected one label row per image; received labels "
                                 f"of shape {given.shape} for {len(images)} images")
        batch, labels = self.augment_with_labels(self.to_batch(images), given, self.rng())
        out["images"] = self.from_batch(batch, images)
        if labels is not given:  # mixed labels are soft: float32
            out["labels"] = Tensor._from_op(np.asarray(labels, dtype=np.float32), None)
        return out

    def call(self, inputs, training=None):
        if training is None:
            training = True  # Keras 3's default for these layers: a plain call augments
        if not training and not self.ACTIVE_AT_INFERENCE:
            return inputs
        return self.from_batch(self.augment(self.to_batch(inputs.data), self.rng()), inputs)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
