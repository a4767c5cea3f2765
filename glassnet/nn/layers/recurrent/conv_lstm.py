"""``ConvLSTM2D``: an LSTM whose gates are convolutions, over sequences of images."""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent._common import as_tensor
from glassnet.nn.layers.recurrent.base import RNN
from glassnet.nn.layers.recurrent.cell_base import arguments_config, check_arguments
from glassnet.nn.layers.recurrent.cells import LSTMCell

_CONV = ("kernel_size", "strides", "padding", "data_format", "dilation_rate")


def _out_len(size, k, stride, dilation, padding):
    if padding == "same":
        return -(-size // stride)
    return (size - (k - 1) * dilation - 1) // stride + 1


def _conv_arguments(owner, kernel_size, strides, padding, data_format, dilation_rate):
    """The input convolution's arguments, checked (errors naming ``owner``)."""
    checked = {"kernel_size": check.int_tuple(kernel_size, 2, "kernel_size", owner),
               "strides": check.int_tuple(strides, 2, "strides", owner),
               "padding": check.one_of(padding, ("valid", "same"), "padding", owner),
               "data_format": "channels_last",
               "dilation_rate": check.int_tuple(dilation_rate, 2, "dilation_rate", owner)}
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{owner}: only `data_format='channels_last'` is supported. "
                         f"Received: data_format={data_format!r}")
    if max(checked["strides"]) > 1 and max(checked["dilation_rate"]) > 1:
        raise ValueError(f"{owner}: specifying `strides > 1` is not compatible with "
                         f"`dilation_rate > 1`. Received: strides={checked['strides']} and "
                         f"dilation_rate={checked['dilation_rate']}")
    return checked


class ConvLSTM2DCell(LSTMCell):
    """One step of a convolutional LSTM (Shi et al., 2015): ``LSTMCell`` with the two
    matrix products replaced by 2-D convolutions (channels-last).

    .. math::
        z = \\mathrm{conv}(x_t, W) + b + \\mathrm{conv}_{same}(h_{t-1}, U), \\quad
        c_t = f \\odot c_{t-1} + i \\odot \\tanh(z_c), \\quad h_t = o \\odot \\tanh(c_t)

    ``kernel`` (kh, kw, channels, 4 filters), ``recurrent_kernel`` (kh, kw, filters,
    4 filters), ``bias`` (4 filters,), gates i, f, c, o. The input convolution takes
    ``strides``, ``padding`` and ``dilation_rate``; the recurrent one is stride 1, "same".
    States h and c are (batch, rows, cols, filters).
    """

    ARGUMENTS = ("filters", *LSTMCell.ARGUMENTS[1:])

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, **kwargs):
        owner = type(self).__name__
        cell_arguments = {k: kwargs.pop(k) for k in LSTMCell.ARGUMENTS[1:] if k in kwargs}
        # LSTMCell checks `units`; here the channels are `filters`
        super().__init__(check.positive_int(filters, "filters", owner), **cell_arguments,
                         **kwargs)
        self.filters = self.units
        for name, value in _conv_arguments(owner, kernel_size, strides, padding, data_format,
                                           dilation_rate).items():
            setattr(self, name, value)

    def build(self, input_shape):
        batch, rows, cols, channels = input_shape
        kh, kw = self.kernel_size
        self.state_shape = tuple(
            _out_len(n, k, s, d, self.padding)
            for n, k, s, d in zip((rows, cols), self.kernel_size, self.strides,
                                  self.dilation_rate)) + (self.filters,)
        if min(self.state_shape[:2]) <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': a {kh}x{kw} kernel does "
                             f"not fit images of {rows}x{cols} with padding 'valid'")
        width = 4 * self.filters
        self.kernel = self.add_weight("kernel", (kh, kw, channels, width),
                                      self.kernel_initializer, self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (kh, kw, self.filters, width),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = self.add_weight("bias", (width,), self._bias_initializer(),
                                    self.bias_regularizer) if self.use_bias else None

    def check_input(self, inputs):
        expected = self.kernel.shape[2]
        if inputs.ndim != 4 or inputs.shape[-1] != expected:
            raise ValueError(f"{type(self).__name__} '{self.name}' expected one timestep of "
                             f"shape (batch, rows, cols, {expected}), received input of shape "
                             f"{tuple(inputs.shape)}")

    def get_initial_state(self, batch_size=None):
        zeros = np.zeros((batch_size, *self.state_shape), self.dtype)
        return [as_tensor(zeros, self.dtype), as_tensor(zeros, self.dtype)]

    def call(self, inputs, states, training=False):
        h, c = self._states(states)
        x, h_in = self._dropped(inputs, h, training)
        # all four gates in one convolution each (Keras runs one per gate: the same sums)
        z = (ops.conv2d(x, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                        dilation=self.dilation_rate)
             + ops.conv2d(h_in, self.recurrent_kernel, padding="same"))
        f4 = self.filters
        i = self.recurrent_activation(z[..., :f4])
        f = self.recurrent_activation(z[..., f4:2 * f4])
        g = self.activation(z[..., 2 * f4:3 * f4])
        o = self.recurrent_activation(z[..., 3 * f4:])
        c = f * c + i * g
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = Layer.get_config(self)
        config.update({"filters": self.filters,
                       **{k: getattr(self, k) for k in _CONV}})
        config.update({k: v for k, v in arguments_config(self).items() if k != "filters"})
        return config


class ConvLSTM2D(RNN):
    """A convolutional LSTM over sequences of images (batch, time, rows, cols, channels),
    channels-last; each step is ``ConvLSTM2DCell``'s.

    Args:
        filters: channels of the output and of the states.
        kernel_size, strides, padding ("valid" or "same"), dilation_rate: of the input
            convolution (the recurrent one is stride 1, "same").
        data_format: "channels_last" (or None) only.
        the rest: as ``LSTM``.

    Output (batch, rows', cols', filters), or (batch, time, rows', cols', filters) with
    ``return_sequences``. The cell loop runs it (no fused op).

    >>> layer = ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(np.ones((2, 5, 8, 8, 1), "float32")).shape
    (2, 5, 8, 8, 4)
    """

    _input_ndim = 5

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        names = ("filters", *_CONV, *LSTMCell.ARGUMENTS[1:])
        cell_arguments = {k: v for k, v in locals().items() if k in names}
        # checked here first, so that errors name the layer rather than its cell
        check_arguments("ConvLSTM2D", **{k: v for k, v in cell_arguments.items()
                                         if k not in _CONV})
        _conv_arguments("ConvLSTM2D", *(cell_arguments[k] for k in _CONV))
        cell = ConvLSTM2DCell(**cell_arguments, dtype=kwargs.get("dtype"),
                              trainable=kwargs.get("trainable", True), name="conv_lstm2d_cell")
        super().__init__(cell, activity_regularizer=activity_regularizer,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, **kwargs)

    def compute_output_shape(self, input_shape):
        shape = self._sequence_shape(input_shape)
        batch, length = shape[:2]
        cell = self.cell
        if not cell.built:
            cell.build((batch, *shape[2:]))
        step = (batch, *cell.state_shape)
        output = (batch, length, *cell.state_shape) if self.return_sequences else step
        return [output, step, step] if self.return_state else output

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key)
        return {**Layer.get_config(self), **self._flags_config(), **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
