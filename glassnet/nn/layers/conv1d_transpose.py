"""``Conv1DTranspose``: the transposed 1-D convolution, a length-L signal read as a 1 x L
image by the 2-D transposed-convolution op (the same op ``Conv2DTranspose`` uses)."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layers.convolutional import (
    TransposedConv,
    _Conv,
    check_output_padding,
    transposed_length,
)


class Conv1DTranspose(TransposedConv, _Conv):
    """Transposed 1-D convolution ("deconvolution") over (batch, steps, channels): each
    input step spreads ``kernel_size`` weighted copies of itself ``strides`` apart, so the
    sequence is upsampled by ``strides``.

    It is the gradient of ``Conv1D`` with respect to its input: with the output length L_out
    (see :func:`transposed_length`) and the zero padding (p_before, p_after) that a
    convolution with ``padding`` would put around an L_out-long signal,

        y[t, f] = sum_{i, c} x[j, c] * kernel[i, f, c] + bias[f]
                  over the (j, i) with j * strides + i * dilation_rate = t + p_before

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: integers (or 1-tuples); strides > 1 and
            dilation_rate > 1 cannot be combined (as Keras).
        padding: "valid" or "same".
        output_padding: extra steps at the end of the output (less than ``strides``); None
            uses the default lengths above.
        data_format: "channels_last" (batch, steps, channels) or "channels_first".
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer: as ``Conv1D``.

    Kernel shape (kernel_size, filters, in_channels), as Keras.

    >>> Conv1DTranspose(4, 3, strides=2, padding="same")(np.zeros((2, 5, 3))).shape
    (2, 10, 4)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        name = "Conv1DTranspose"
        for arg, value in (("kernel_constraint", kernel_constraint),
                           ("bias_constraint", bias_constraint)):
            if value is not None:
                raise ValueError(f"{name}: `{arg}` is not supported. Received: {arg}={value!r}")
        padding = check.one_of(padding, ("valid", "same"), "padding", name)
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, **kwargs)
        self.output_padding = check_output_padding(output_padding, self.strides, 1, name)
        if self.strides[0] > 1 and self.dilation_rate[0] > 1:
            raise ValueError(f"{name}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    def _length(self, size):
        return transposed_length(size, self.kernel_size[0], self.strides[0],
                                 self.dilation_rate[0], self.padding,
                                 None if self.output_padding is None else self.output_padding[0])

    def call(self, inputs):
        x = self._to_nhwc(inputs)
        n, length, c = x.shape
        kernel = ops.reshape(self.kernel, (1, *self.kernel.shape))
        y = ops.conv2d_transpose(ops.reshape(x, (n, 1, length, c)), kernel, self.bias,
                                 (1, self.strides[0]), self.padding,
                                 (1, self.dilation_rate[0]), output_shape=(1, self._length(length)))
        y = ops.reshape(y, (n, y.shape[2], y.shape[3]))
        return self._from_nhwc(self.activation(y))

    def compute_output_shape(self, input_shape):
        (size,) = self._spatial(input_shape)
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, self._length(size))
        return (input_shape[0], self._length(size), self.filters)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        return {**config, "output_padding": self.output_padding}
