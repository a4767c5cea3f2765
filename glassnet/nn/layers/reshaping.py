"""Reshaping layers over 1, 2 or 3 spatial axes: ZeroPadding, UpSampling, Cropping, and
SpatialDropout (1D: (batch, steps, channels); 2D: images; 3D: volumes).

One class per operation holds the rank-generic code; the Keras names are small subclasses
that fix ``rank`` and Keras's arguments and defaults.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.convolutional import _data_format, _tuple
from glassnet.nn.layers.convolutional3d import expect_ndim

_PAIRS_TEXT = {1: "an int or a (left, right) pair",
               2: "an int, a pair, or ((top, bottom), (left, right))",
               3: "an int, or 3 entries each an int or a (before, after) pair"}


def _pairs(value, rank, arg, layer):
    """One (before, after) pair per spatial axis, as Keras reads it: an int (every side);
    for rank 1 the pair itself; else ``rank`` entries, each an int (both sides of its axis)
    or a pair."""
    error = ValueError(f"{layer}: `{arg}` must be {_PAIRS_TEXT[rank]} of non-negative ints. "
                       f"Received: {arg}={value!r}")
    try:
        if rank == 1:
            return (check.int_tuple(value, 2, arg, layer, minimum=0),)
        if not isinstance(value, (tuple, list)):
            value = (check.integer(value, arg, layer),) * rank
        if len(value) != rank:
            raise error
        return tuple(check.int_tuple(tuple(v) if isinstance(v, (tuple, list)) else v, 2, arg,
                                     layer, minimum=0) for v in value)
    except ValueError:
        raise error from None


def _without_data_format(layer, kwargs):
    """``kwargs`` of a layer that Keras gives no ``data_format`` (always channels-last)."""
    if "data_format" in kwargs:
        raise TypeError(f"{layer}: unexpected keyword argument(s) data_format")
    return kwargs


class _Spatial(Layer):
    """A layer over ``rank`` spatial axes between the batch and channel axes (or after the
    channel axis with ``data_format="channels_first"``)."""

    rank = 2
    has_data_format = True  # Keras's Cropping1D, UpSampling1D, SpatialDropout1D have none

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)

    def check_input(self, inputs):
        expect_ndim(self, inputs.shape, self.rank + 2)

    def _spatial_axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def _channels_axis(self):
        return 1 if self.data_format == "channels_first" else self.rank + 1

    def _map_spatial(self, input_shape, fn):
        """``input_shape`` with fn(size, i) on the i-th spatial axis (None stays None)."""
        shape = list(input_shape)
        for i, axis in enumerate(self._spatial_axes()):
            shape[axis] = None if shape[axis] is None else fn(shape[axis], i)
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        return {**config, "data_format": self.data_format} if self.has_data_format else config


class _ZeroPadding(_Spatial):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._pads = _pairs(padding, self.rank, "padding", type(self).__name__)
        # Keras's stored form: (left, right) in 1-D, one pair per axis otherwise.
        self.padding = self._pads[0] if self.rank == 1 else self._pads

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self._spatial_axes(), self._pads):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda n, i: n + sum(self._pads[i]))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding1D(_ZeroPadding):
    """Zeros at the start and end of a sequence: ``padding`` int or (left, right).

    >>> ZeroPadding1D((1, 2))(np.zeros((2, 3, 4))).shape
    (2, 6, 4)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Zeros around each image: ``padding`` int, (h, w), or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zeros around each volume: ``padding`` int, (d, h, w), or three (before, after) pairs.

    >>> ZeroPadding3D(((1, 0), (0, 2), 1))(np.zeros((1, 2, 2, 2, 3))).shape
    (1, 3, 4, 4, 3)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self._crops = _pairs(cropping, self.rank, "cropping", type(self).__name__)
        self.cropping = self._crops[0] if self.rank == 1 else self._crops

    def check_input(self, inputs):
        super().check_input(inputs)
        for axis, (a, b) in zip(self._spatial_axes(), self._crops):
            if a + b >= inputs.shape[axis]:
                raise ValueError(f"{type(self).__name__} '{self.name}': cropping "
                                 f"{self.cropping} removes everything from input of shape "
                                 f"{tuple(inputs.shape)}; it must be smaller than the input")

    def call(self, inputs):
        key = [slice(None)] * inputs.ndim
        for axis, (a, b) in zip(self._spatial_axes(), self._crops):
            key[axis] = slice(a, inputs.shape[axis] - b)
        return inputs[tuple(key)]

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda n, i: n - sum(self._crops[i]))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping1D(_Cropping):
    """Remove steps at the start and end of a sequence: ``cropping`` int or (start, end).

    >>> Cropping1D((1, 2))(np.zeros((2, 6, 4))).shape
    (2, 3, 4)
    """

    rank = 1
    has_data_format = False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **_without_data_format("Cropping1D", kwargs))


class Cropping2D(_Cropping):
    """Remove rows and columns at the edges: ((top, bottom), (left, right))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Remove planes at the edges of each volume: int, (d, h, w) or three (start, end) pairs.

    >>> Cropping3D(((1, 0), (0, 1), (1, 1)))(np.zeros((1, 3, 3, 4, 2))).shape
    (1, 2, 2, 2, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class _UpSampling(_Spatial):
    """Nearest-neighbour upsampling: y[.., i * s + r, ..] = x[.., i, ..] for r < s per axis."""

    def _sizes(self):
        return self.size if isinstance(self.size, tuple) else (self.size,)

    def call(self, inputs):
        first = self.data_format == "channels_first"
        x = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1)) if first else inputs
        n, *spatial, c = x.shape
        sizes = self._sizes()
        # Broadcasting repeats each value; its backward sums the repeats back (unbroadcast).
        unit = [n, *(d for s in spatial for d in (s, 1)), c]
        full = [n, *(d for s, r in zip(spatial, sizes) for d in (s, r)), c]
        y = ops.broadcast_to(ops.reshape(x, tuple(unit)), tuple(full))
        y = ops.reshape(y, (n, *(s * r for s, r in zip(spatial, sizes)), c))
        return ops.transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1))) if first else y

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda n, i: n * self._sizes()[i])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling1D(_UpSampling):
    """Repeat each step ``size`` times: (batch, steps, c) -> (batch, steps * size, c).

    >>> UpSampling1D(3)(np.zeros((2, 4, 5))).shape
    (2, 12, 5)
    """

    rank = 1
    has_data_format = False

    def __init__(self, size=2, **kwargs):
        super().__init__(None, **_without_data_format("UpSampling1D", kwargs))
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"UpSampling1D: expected an integer value for `size`. "
                            f"Received: size={size!r} of type {type(size).__name__}")
        self.size = check.positive_int(size, "size", "UpSampling1D")


class UpSampling2D(_UpSampling):
    """Repeat each row and column ``size`` times (nearest-neighbour upsampling)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = _tuple(size, 2, "size", "UpSampling2D")
        if not isinstance(interpolation, str) or interpolation.lower() != "nearest":
            raise ValueError(f"UpSampling2D: only interpolation='nearest' is supported "
                             f"(bilinear resizing comes with the image preprocessing layers). "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation.lower()

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeat each plane of a volume ``size`` = (d, h, w) times along its axis.

    >>> UpSampling3D((1, 2, 3))(np.zeros((1, 2, 2, 2, 4))).shape
    (1, 2, 4, 6, 4)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = _tuple(size, 3, "size", "UpSampling3D")


class _SpatialDropout(_Spatial):
    """Dropout of whole feature maps: one draw per (sample, channel), shared by all positions
    (neighbouring positions are correlated, so dropping single ones regularizes little)."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(data_format, **kwargs)
        layer = type(self).__name__
        self.rate = check.rate(rate, "rate", layer)
        self.seed = check.seed(seed, layer)
        self._generator = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=None):
        noise = [inputs.shape[0]] + [1] * (inputs.ndim - 1)
        axis = self._channels_axis()
        noise[axis] = inputs.shape[axis]
        return ops.dropout(inputs, self.rate, training=bool(training),
                           generator=self._generator, noise_shape=tuple(noise))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of a sequence: one draw per (sample, channel).

    >>> y = SpatialDropout1D(0.5)(np.ones((2, 5, 3)), training=True).numpy()
    >>> bool(((y == 0).all(axis=1) | (y == 2).all(axis=1)).all())
    True
    """

    rank = 1
    has_data_format = False

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, None, seed, **_without_data_format("SpatialDropout1D", kwargs))


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of an image: one draw per (sample, channel)."""


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole feature volumes: one draw per (sample, channel)."""

    rank = 3
