"""``ConvLSTM1D/2D/3D``: an LSTM whose gates are convolutions, over sequences of 1-D signals,
images or volumes. One cell class serves the three ranks; only the convolution differs."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctests use it

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent._common import zero_states
from glassnet.nn.layers.recurrent.base import RNN
from glassnet.nn.layers.recurrent.cell_base import arguments_config, check_arguments
from glassnet.nn.layers.recurrent.cells import LSTMCell

_CONV = ("kernel_size", "strides", "padding", "data_format", "dilation_rate")


def _out_len(size, k, stride, dilation, padding):
    if padding == "same":
        return -(-size // stride)
    return (size - (k - 1) * dilation - 1) // stride + 1


def _conv_arguments(owner, kernel_size, strides, padding, data_format, dilation_rate, rank=2):
    """The input convolution's arguments, checked (errors naming ``owner``)."""
    checked = {"kernel_size": check.int_tuple(kernel_size, rank, "kernel_size", owner),
               "strides": check.int_tuple(strides, rank, "strides", owner),
               "padding": check.one_of(padding, ("valid", "same"), "padding", owner),
               "data_format": "channels_last",
               "dilation_rate": check.int_tuple(dilation_rate, rank, "dilation_rate", owner)}
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{owner}: only `data_format='channels_last'` is supported. "
                         f"Received: data_format={data_format!r}")
    if max(checked["strides"]) > 1 and max(checked["dilation_rate"]) > 1:
        raise ValueError(f"{owner}: specifying `strides > 1` is not compatible with "
                         f"`dilation_rate > 1`. Received: strides={checked['strides']} and "
                         f"dilation_rate={checked['dilation_rate']}")
    return checked


def _conv(x, kernel, bias, rank, strides, padding, dilation):
    """A channels-last convolution of ``rank`` spatial axes. 1-D runs as 2-D over a unit
    row, as ``Conv1D`` does."""
    if rank == 2:
        return ops.conv2d(x, kernel, bias, strides=strides, padding=padding, dilation=dilation)
    if rank == 1:
        y = ops.conv2d(ops.expand_dims(x, 1), ops.expand_dims(kernel, 0), bias,
                       strides=(1, *strides), padding=padding, dilation=(1, *dilation))
        return ops.squeeze(y, 1)
    return ops.conv3d(x, kernel, bias, strides=strides, padding=padding, dilation=dilation)


class ConvLSTMCell(LSTMCell):
    """One step of a convolutional LSTM (Shi et al., 2015): ``LSTMCell`` with the two
    matrix products replaced by convolutions over ``rank`` spatial axes (channels-last).

    .. math::
        z = \\mathrm{conv}(x_t, W) + b + \\mathrm{conv}_{same}(h_{t-1}, U), \\quad
        c_t = f \\odot c_{t-1} + i \\odot \\tanh(z_c), \\quad h_t = o \\odot \\tanh(c_t)

    ``kernel`` (*kernel_size, channels, 4 filters), ``recurrent_kernel`` (*kernel_size,
    filters, 4 filters), ``bias`` (4 filters,), gates i, f, c, o. The input convolution takes
    ``strides``, ``padding`` and ``dilation_rate``; the recurrent one is stride 1, "same".
    States h and c are (batch, *spatial, filters).
    """

    ARGUMENTS = ("filters", *LSTMCell.ARGUMENTS[1:])
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, **kwargs):
        owner = type(self).__name__
        cell_arguments = {k: kwargs.pop(k) for k in LSTMCell.ARGUMENTS[1:] if k in kwargs}
        # LSTMCell checks `units`; here the channels are `filters`
        super().__init__(check.positive_int(filters, "filters", owner), **cell_arguments,
                         **kwargs)
        self.filters = self.units
        for name, value in _conv_arguments(owner, kernel_size, strides, padding, data_format,
                                           dilation_rate, self.rank).items():
            setattr(self, name, value)

    def build(self, input_shape):
        *_, channels = input_shape
        spatial = tuple(input_shape[1:-1])
        self.state_shape = tuple(
            _out_len(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides,
                                  self.dilation_rate)) + (self.filters,)
        if min(self.state_shape[:-1]) <= 0:
            kernel = "x".join(map(str, self.kernel_size))
            raise ValueError(f"{type(self).__name__} '{self.name}': a {kernel} kernel does "
                             f"not fit inputs of {'x'.join(map(str, spatial))} with padding "
                             f"'valid'")
        width = 4 * self.filters
        self.kernel = self.add_weight("kernel", (*self.kernel_size, channels, width),
                                      self.kernel_initializer, self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel",
                                                (*self.kernel_size, self.filters, width),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = self.add_weight("bias", (width,), self._bias_initializer(),
                                    self.bias_regularizer) if self.use_bias else None

    def check_input(self, inputs):
        expected = self.kernel.shape[-2]
        if inputs.ndim != self.rank + 2 or inputs.shape[-1] != expected:
            spatial = {1: ("steps",), 2: ("rows", "cols"), 3: ("dim1", "dim2", "dim3")}
            axes = ", ".join(("batch", *spatial[self.rank], str(expected)))
            raise ValueError(f"{type(self).__name__} '{self.name}' expected one timestep of "
                             f"shape ({axes}), received input of shape "
                             f"{tuple(inputs.shape)}")

    def get_initial_state(self, batch_size=None):
        zeros = zero_states((batch_size, *self.state_shape), self.dtype)
        return [zeros, zeros]

    def call(self, inputs, states, training=False):
        h, c = self._states(states)
        x, h_in = self._dropped(inputs, h, training)
        # all four gates in one convolution each (Keras runs one per gate: the same sums)
        z = (_conv(x, self.kernel, self.bias, self.rank, self.strides, self.padding,
                   self.dilation_rate)
             + _conv(h_in, self.recurrent_kernel, None, self.rank, (1,) * self.rank, "same",
                     (1,) * self.rank))
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


class ConvLSTM1DCell(ConvLSTMCell):
    """``ConvLSTMCell`` over 1-D signals: states (batch, steps, filters)."""

    rank = 1


class ConvLSTM2DCell(ConvLSTMCell):
    """``ConvLSTMCell`` over images: states (batch, rows, cols, filters)."""

    rank = 2


class ConvLSTM3DCell(ConvLSTMCell):
    """``ConvLSTMCell`` over volumes: states (batch, dim1, dim2, dim3, filters)."""

    rank = 3


class ConvLSTM(RNN):
    """A convolutional LSTM over sequences (batch, time, *spatial, channels), channels-last;
    each step is the cell's (``cell_class``, of ``rank`` spatial axes).

    Args:
        filters: channels of the output and of the states.
        kernel_size, strides, padding ("valid" or "same"), dilation_rate: of the input
            convolution (the recurrent one is stride 1, "same").
        data_format: "channels_last" (or None) only.
        the rest: as ``LSTM``.

    Output (batch, *spatial', filters), or (batch, time, *spatial', filters) with
    ``return_sequences``. The cell loop runs it (no fused op).
    """

    cell_class = ConvLSTM2DCell

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._input_ndim = cls.cell_class.rank + 3

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
        owner, rank = type(self).__name__, self.cell_class.rank
        # checked here first, so that errors name the layer rather than its cell
        check_arguments(owner, **{k: v for k, v in cell_arguments.items() if k not in _CONV})
        _conv_arguments(owner, *(cell_arguments[k] for k in _CONV), rank)
        cell = self.cell_class(**cell_arguments, dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True),
                               name=f"conv_lstm{rank}d_cell")
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


class ConvLSTM1D(ConvLSTM):
    """A convolutional LSTM over sequences of 1-D signals (batch, time, steps, channels).

    >>> ConvLSTM1D(4, 3, padding="same")(np.ones((2, 5, 8, 1), "float32")).shape
    (2, 8, 4)
    """

    cell_class = ConvLSTM1DCell


class ConvLSTM2D(ConvLSTM):
    """A convolutional LSTM over sequences of images (batch, time, rows, cols, channels).

    >>> layer = ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(np.ones((2, 5, 8, 8, 1), "float32")).shape
    (2, 5, 8, 8, 4)
    """

    cell_class = ConvLSTM2DCell


class ConvLSTM3D(ConvLSTM):
    """A convolutional LSTM over sequences of volumes (batch, time, d1, d2, d3, channels).

    >>> ConvLSTM3D(2, 3, padding="same")(np.ones((1, 2, 4, 4, 4, 1), "float32")).shape
    (1, 4, 4, 4, 2)
    """

    cell_class = ConvLSTM3DCell
