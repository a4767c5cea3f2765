"""Image reshaping layers: ZeroPadding2D, UpSampling2D, Cropping2D; and SpatialDropout2D."""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.convolutional import _data_format, _tuple


def _two_pairs(value, arg, layer):
    """((top, bottom), (left, right)) from an int, (sym_h, sym_w) or two pairs."""
    error = ValueError(f"{layer}: `{arg}` must be an int, a pair, or ((top, bottom), "
                       f"(left, right)) of non-negative ints. Received: {arg}={value!r}")
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (tuple, list)) for v in value):
        try:
            return tuple(check.int_tuple(tuple(p), 2, arg, layer, minimum=0) for p in value)
        except ValueError:
            raise error from None
    try:
        h, w = check.int_tuple(value, 2, arg, layer, minimum=0)
    except ValueError:
        raise error from None
    return ((h, h), (w, w))


class _Spatial2D(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)

    def check_input(self, inputs):
        if inputs.ndim != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}' expected 4-D input, "
                             f"received input of shape {tuple(inputs.shape)}")

    def _hw_axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class ZeroPadding2D(_Spatial2D):
    """Zeros around each image: ``padding`` int, (h, w), or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _two_pairs(padding, "padding", "ZeroPadding2D")

    def call(self, inputs):
        widths = [(0, 0)] * 4
        h, w = self._hw_axes()
        widths[h], widths[w] = self.padding
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (a, b) in zip(self._hw_axes(), self.padding):
            shape[axis] = None if shape[axis] is None else shape[axis] + a + b
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class Cropping2D(_Spatial2D):
    """Remove rows and columns at the edges: ((top, bottom), (left, right))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = _two_pairs(cropping, "cropping", "Cropping2D")

    def check_input(self, inputs):
        super().check_input(inputs)
        for axis, (a, b) in zip(self._hw_axes(), self.cropping):
            if a + b >= inputs.shape[axis]:
                raise ValueError(f"Cropping2D '{self.name}': cropping {self.cropping} removes "
                                 f"everything from input of shape {tuple(inputs.shape)}")

    def call(self, inputs):
        key = [slice(None)] * 4
        for axis, (a, b) in zip(self._hw_axes(), self.cropping):
            key[axis] = slice(a, inputs.shape[axis] - b)
        return inputs[tuple(key)]

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (a, b) in zip(self._hw_axes(), self.cropping):
            shape[axis] = None if shape[axis] is None else shape[axis] - a - b
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling2D(_Spatial2D):
    """Repeat each row and column ``size`` times (nearest-neighbour upsampling)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = _tuple(size, 2, "size", "UpSampling2D")
        if not isinstance(interpolation, str) or interpolation.lower() != "nearest":
            raise ValueError(f"UpSampling2D: only interpolation='nearest' is supported "
                             f"(bilinear resizing comes with the image preprocessing layers). "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation.lower()

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        n, h, w, c = x.shape
        sh, sw = self.size
        # Broadcasting repeats each pixel; its backward sums the repeats back (unbroadcast).
        y = ops.broadcast_to(ops.reshape(x, (n, h, 1, w, 1, c)), (n, h, sh, w, sw, c))
        y = ops.reshape(y, (n, h * sh, w * sw, c))
        return ops.transpose(y, (0, 3, 1, 2)) if self.data_format == "channels_first" else y

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, s in zip(self._hw_axes(), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * s
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class SpatialDropout2D(_Spatial2D):
    """Dropout of whole feature maps: one draw per (sample, channel), shared by all positions
    (neighbouring pixels are correlated, so dropping single pixels regularizes little)."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.rate = check.rate(rate, "rate", "SpatialDropout2D")
        self.seed = check.seed(seed, "SpatialDropout2D")
        self._generator = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=None):
        n = inputs.shape[0]
        c_axis = 1 if self.data_format == "channels_first" else 3
        noise = [n, 1, 1, 1]
        noise[c_axis] = inputs.shape[c_axis]
        return ops.dropout(inputs, self.rate, training=bool(training),
                           generator=self._generator, noise_shape=tuple(noise))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
