"""Pooling layers: max and average over windows (1-D, 2-D and 3-D), and over all positions."""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops.pooling3d import avg_pool3d, max_pool3d
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.convolutional import _data_format, _out_len, _tuple
from glassnet.nn.layers.convolutional3d import expect_ndim
from glassnet.nn.masking import as_bool_array


class _Pooling2D(Layer):
    op = None
    rank = 2

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = _tuple(pool_size, self.rank, "pool_size", cls)
        self.strides = self.pool_size if strides is None else _tuple(strides, self.rank,
                                                                     "strides", cls)
        self.padding = check.one_of(padding, ("valid", "same"), "padding", cls)
        self.data_format = _data_format(data_format, cls)

    def check_input(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expected {self.rank + 2}-D "
                             f"input, received input of shape {tuple(inputs.shape)}")

    def _pool(self, x):
        return type(self).op(x, self.pool_size, self.strides, self.padding)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, *range(2, x.ndim), 1))
        if self.rank == 1:
            n, length, c = x.shape
            y = self._pool1d(x, n, length, c)
        else:
            y = self._pool(x)
        if self.data_format == "channels_first":
            y = ops.transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1)))
        return y

    def _pool1d(self, x, n, length, c):
        y = type(self).op(ops.reshape(x, (n, 1, length, c)), (1, *self.pool_size),
                          (1, *self.strides), self.padding)
        return ops.reshape(y, (n, y.shape[2], c))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        first = self.data_format == "channels_first"
        spatial = shape[2:] if first else shape[1:-1]
        out = tuple(_out_len(s, k, st, 1, self.padding) for s, k, st in zip(
            spatial, self.pool_size, self.strides))
        return (shape[0], shape[1], *out) if first else (shape[0], *out, shape[-1])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling2D(_Pooling2D):
    """The largest value of each window (default 2x2, stride = pool size)."""

    op = staticmethod(ops.max_pool2d)


class AveragePooling2D(_Pooling2D):
    """The mean of each window (default 2x2, stride = pool size)."""

    op = staticmethod(ops.avg_pool2d)


class MaxPooling1D(_Pooling2D):
    rank = 1
    op = staticmethod(ops.max_pool2d)


class AveragePooling1D(_Pooling2D):
    rank = 1
    op = staticmethod(ops.avg_pool2d)


class MaxPooling3D(_Pooling2D):
    """The largest value of each (pd, ph, pw) window of a volume (batch, depth, height,
    width, channels); default 2x2x2, stride = pool size; "same" padding never wins.

    >>> MaxPooling3D()(np.zeros((2, 4, 6, 5, 3))).shape
    (2, 2, 3, 2, 3)
    """

    rank = 3
    op = staticmethod(max_pool3d)

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def check_input(self, inputs):
        expect_ndim(self, inputs.shape, 5)


class AveragePooling3D(MaxPooling3D):
    """The mean of each (pd, ph, pw) window of a volume; with "same" padding, the mean of
    the window's real (unpadded) values, as Keras.

    >>> AveragePooling3D(3, strides=2, padding="same")(np.zeros((2, 3, 4, 5, 6))).shape
    (2, 2, 2, 3, 6)
    """

    op = staticmethod(avg_pool3d)


class _GlobalPooling(Layer):
    rank = 2
    reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)
        self.keepdims = check.boolean(keepdims, "keepdims", type(self).__name__)

    def _axes(self, ndim):
        return tuple(range(2, ndim)) if self.data_format == "channels_first" else \
            tuple(range(1, ndim - 1))

    def check_input(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expected {self.rank + 2}-D "
                             f"input, received input of shape {tuple(inputs.shape)}")

    def call(self, inputs):
        return type(self).reduce(inputs, self._axes(inputs.ndim), self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes(len(input_shape))
        if self.keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(input_shape))
        return tuple(n for i, n in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over all positions: (batch, h, w, c) -> (batch, c)."""

    reduce = staticmethod(ops.mean)


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over all positions: (batch, h, w, c) -> (batch, c)."""

    reduce = staticmethod(ops.max)


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over time: (batch, steps, features) -> (batch, features). With a mask, the
    mean over the steps it keeps: ``sum_t m_t x_t / sum_t m_t`` (Keras); a sequence with no
    step kept gives 0."""

    rank = 1
    reduce = staticmethod(ops.mean)
    supports_masking = True

    def call(self, inputs, mask=None):
        mask = as_bool_array(mask)
        if mask is None:
            return super().call(inputs)
        axis = 2 if self.data_format == "channels_first" else 1
        weights = mask.astype(inputs.dtype)
        count = np.maximum(weights.sum(axis=1, keepdims=True), 1)
        weights = np.expand_dims(weights / count, 1 if axis == 2 else 2)
        return ops.sum(inputs * weights, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None  # time is pooled away


class GlobalMaxPooling1D(_GlobalPooling):
    rank = 1
    reduce = staticmethod(ops.max)


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over all positions of a volume: (batch, d, h, w, c) -> (batch, c), or
    (batch, 1, 1, 1, c) with ``keepdims=True``."""

    rank = 3
    reduce = staticmethod(ops.mean)

    def check_input(self, inputs):
        expect_ndim(self, inputs.shape, 5)


class GlobalMaxPooling3D(GlobalAveragePooling3D):
    """The maximum over all positions of a volume: (batch, d, h, w, c) -> (batch, c)."""

    reduce = staticmethod(ops.max)
