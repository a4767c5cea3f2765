"""3-D convolution layers over volumes (batch, depth, height, width, channels), channels-last
as Keras by default; ``data_format="channels_first"`` transposes in and out. Both run the
3-D im2col + GEMM op of ``glassnet.autograd.ops.convolution3d``."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctests use it

from glassnet.autograd.ops.convolution3d import conv3d, conv3d_transpose
from glassnet.nn.layers.convolutional import (
    TransposedConv,
    _Conv,
    check_output_padding,
    transposed_length,
)


def expect_ndim(layer, shape, ndim):
    """Keras's input-spec error when ``shape`` does not have ``ndim`` axes."""
    if len(shape) != ndim:
        raise ValueError(f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) is "
                         f"incompatible with the layer: expected ndim={ndim}, found "
                         f"ndim={len(shape)}. Full shape received: {tuple(shape)}")


def reject_constraints(layer, **constraints):
    """Weight constraints are not implemented: refuse any but None rather than ignore it."""
    for arg, value in constraints.items():
        if value is not None:
            raise ValueError(f"{layer}: `{arg}` is not supported. Received: {arg}={value!r}")


def reject_strided_dilation(layer, strides, dilation_rate):
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"{layer}: `strides > 1` not supported in conjunction with "
                         f"`dilation_rate > 1`. Received: strides={strides} and "
                         f"dilation_rate={dilation_rate}")


class Conv3D(_Conv):
    """3-D convolution: ``filters`` kernels of ``kernel_size`` slid over a volume.

        y[n, p, q, r, f] = sum_{i, j, k, c} x[n, p*s0 + i*d0, q*s1 + j*d1, r*s2 + k*d2, c]
                                            * kernel[i, j, k, c, f] + bias[f]

    (x zero-padded for ``padding="same"``). Kernel shape (kd, kh, kw, in_channels / groups,
    filters), as Keras. Output length per axis: ceil(size / stride) for "same",
    (size - (k - 1) * dilation - 1) // stride + 1 for "valid".

    >>> Conv3D(4, 3)(np.zeros((2, 5, 6, 7, 1))).shape
    (2, 3, 4, 5, 4)
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        reject_constraints(type(self).__name__, kernel_constraint=kernel_constraint,
                           bias_constraint=bias_constraint)
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, **kwargs)
        reject_strided_dilation(type(self).__name__, self.strides, self.dilation_rate)

    def _check_rank(self, shape):
        expect_ndim(self, shape, self.rank + 2)

    def call(self, inputs):
        y = conv3d(self._to_nhwc(inputs), self.kernel, self.bias, self.strides, self.padding,
                   self.dilation_rate, self.groups)
        return self._from_nhwc(self.activation(y))


class Conv3DTranspose(TransposedConv, Conv3D):
    """Transposed 3-D convolution ("deconvolution"): upsamples a volume by ``strides``; the
    gradient of :class:`Conv3D` with respect to its input.

    Kernel shape (kd, kh, kw, filters, in_channels), as Keras. Output length per axis, with
    k = (kernel - 1) * dilation + 1 (see :func:`transposed_length`):
    "valid": (size - 1) * stride + k + output_padding (default max(k, stride) - k);
    "same": size * stride, or (size - 1) * stride + k % 2 + output_padding when given.

    >>> Conv3DTranspose(2, 3, strides=2, padding="same")(np.zeros((1, 2, 3, 4, 5))).shape
    (1, 4, 6, 8, 2)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         1, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, kernel_constraint,
                         bias_constraint, **kwargs)
        self.output_padding = check_output_padding(output_padding, self.strides, 3,
                                                   "Conv3DTranspose")

    def _lengths(self, sizes):
        padding = self.output_padding or (None,) * 3
        return tuple(transposed_length(s, k, st, d, self.padding, p) for s, k, st, d, p in
                     zip(sizes, self.kernel_size, self.strides, self.dilation_rate, padding))

    def call(self, inputs):
        x = self._to_nhwc(inputs)
        y = conv3d_transpose(x, self.kernel, self.bias, self.strides, self.padding,
                             self.dilation_rate, output_shape=self._lengths(x.shape[1:4]))
        return self._from_nhwc(self.activation(y))

    def compute_output_shape(self, input_shape):
        spatial = self._lengths(self._spatial(input_shape))
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, *spatial)
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        return {**config, "output_padding": self.output_padding}
