"""``DepthwiseConv1D`` and ``SeparableConv1D``: the 2-D depthwise and separable layers with a
unit height, so a length-L signal is a 1 x L image for the same grouped 2-D convolution op
(depthwise = groups equal to the channels)."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctests use it

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layers.convolutional import DepthwiseConv2D, SeparableConv2D
from glassnet.nn.layers.convolutional3d import expect_ndim, reject_constraints


class _OneD:
    """Mixin: a 1-D signal (batch, steps, channels) run through the 2-D op as 1 x steps."""

    rank = 1

    def _check_rank(self, shape):
        expect_ndim(self, shape, 3)

    def _depthwise(self, x, bias=None):
        """The depthwise part: each channel convolved with its ``depth_multiplier`` kernels;
        x (N, L, C) -> (N, 1, L', C * depth_multiplier)."""
        n, length, c = x.shape
        k, _, m = self.kernel.shape
        kernel = ops.reshape(self.kernel, (1, k, 1, c * m))
        return ops.conv2d(ops.reshape(x, (n, 1, length, c)), kernel, bias,
                          (1, self.strides[0]), self.padding, (1, self.dilation_rate[0]),
                          groups=c)


def _validate(layer, depth_multiplier, padding, constraints):
    reject_constraints(layer, **constraints)
    check.one_of(padding, ("valid", "same"), "padding", layer)  # Keras 3: no "causal"
    return check.positive_int(depth_multiplier, "depth_multiplier", layer)


class DepthwiseConv1D(_OneD, DepthwiseConv2D):
    """Depthwise 1-D convolution: each input channel convolved with its own
    ``depth_multiplier`` kernels, no mixing across channels.

        y[n, t, c * M + m] = sum_i x[n, t * s + i * d, c] * kernel[i, c, m] + bias[c * M + m]

    Kernel shape (kernel_size, in_channels, depth_multiplier), as Keras; output channels
    in_channels * depth_multiplier.

    >>> DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((2, 10, 4))).shape
    (2, 8, 8)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 bias_constraint=None, **kwargs):
        depth_multiplier = _validate("DepthwiseConv1D", depth_multiplier, padding,
                                     {"depthwise_constraint": depthwise_constraint,
                                      "bias_constraint": bias_constraint})
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer, **kwargs)

    def call(self, inputs):
        y = self._depthwise(self._to_nhwc(inputs), self.bias)
        y = ops.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))
        return self._from_nhwc(self.activation(y))


class SeparableConv1D(_OneD, SeparableConv2D):
    """Separable 1-D convolution: a depthwise convolution (each channel with its own
    ``depth_multiplier`` kernels) followed by a pointwise (kernel size 1) convolution that
    mixes the channels into ``filters``.

        z[n, t, c * M + m] = sum_i x[n, t * s + i * d, c] * depthwise[i, c, m]
        y[n, t, f]         = sum_j z[n, t, j] * pointwise[0, j, f] + bias[f]

    Kernels (kernel_size, in_channels, depth_multiplier) and
    (1, in_channels * depth_multiplier, filters), as Keras.

    >>> SeparableConv1D(5, 3, padding="same")(np.zeros((2, 10, 4))).shape
    (2, 10, 5)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        depth_multiplier = _validate("SeparableConv1D", depth_multiplier, padding,
                                     {"depthwise_constraint": depthwise_constraint,
                                      "pointwise_constraint": pointwise_constraint,
                                      "bias_constraint": bias_constraint})
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, **kwargs)

    def build(self, input_shape):
        # The checks, depthwise kernel and bias of the base convolution; then the 1-D
        # pointwise kernel. Weights are listed in attribute order: the bias is set again
        # after the pointwise kernel to give Keras's order (depthwise, pointwise, bias), so
        # get_weights / set_weights line up with Keras's.
        super(SeparableConv2D, self).build(input_shape)
        bias = self.__dict__.pop("bias")
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, self.input_channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, self.pointwise_regularizer)
        self.bias = bias

    @property
    def depthwise_kernel(self):
        """Keras's name for the depthwise kernel (stored as ``kernel``, as SeparableConv2D)."""
        return self.kernel

    def call(self, inputs):
        depthwise = self._depthwise(self._to_nhwc(inputs))
        pointwise = ops.reshape(self.pointwise_kernel, (1, *self.pointwise_kernel.shape))
        y = ops.conv2d(depthwise, pointwise, self.bias)
        y = ops.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))
        return self._from_nhwc(self.activation(y))
