"""Convolution layers, channels-last (NHWC) as Keras by default; ``data_format=
"channels_first"`` transposes in and out. Conv1D and the depthwise and separable layers reuse
the 2-D convolution op (a length-L signal is a 1 x L image; depthwise is groups = channels)."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctests use it

from glassnet.autograd import ops
from glassnet.autograd.ops.convolution import same_padding
from glassnet.nn import activations as activations_module
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer


def _tuple(value, rank, arg, layer):
    return check.int_tuple(value, rank, arg, layer)


def _data_format(value, layer):
    if value is None:
        return "channels_last"
    return check.one_of(value, ("channels_last", "channels_first"), "data_format", layer)


def _out_len(size, k, s, d, padding):
    if size is None:
        return None
    if padding == "same":
        return -(-size // s)
    if padding == "causal":
        return -(-size // s) if s == 1 else (size - 1) // s + 1
    return (size - (k - 1) * d - 1) // s + 1


class _Conv(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.filters = check.positive_int(filters, "filters", cls)
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = _tuple(strides, self.rank, "strides", cls)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate", cls)
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        self.padding = check.one_of(padding, allowed, "padding", cls)
        self.data_format = _data_format(data_format, cls)
        self.groups = check.positive_int(groups, "groups", cls)
        if self.filters % self.groups:
            raise ValueError(f"{cls}: filters ({self.filters}) must be divisible by groups "
                             f"({self.groups})")
        self.activation = check.component(activations_module.get, activation, "activation", cls)
        self.use_bias = check.boolean(use_bias, "use_bias", cls)
        self.kernel_initializer = check.component(initializers_module.get, kernel_initializer,
                                                  "kernel_initializer", cls)
        self.bias_initializer = check.component(initializers_module.get, bias_initializer,
                                                "bias_initializer", cls)
        self.kernel_regularizer = check.component(regularizers_module.get, kernel_regularizer,
                                                  "kernel_regularizer", cls)
        self.bias_regularizer = check.component(regularizers_module.get, bias_regularizer,
                                                "bias_regularizer", cls)

    # -- shapes -------------------------------------------------------------------------
    def _channels_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _spatial(self, shape):
        shape = tuple(shape)
        return shape[2:] if self.data_format == "channels_first" else shape[1:-1]

    def _check_rank(self, shape):
        if len(shape) != self.rank + 2:
            axes = ["steps"] if self.rank == 1 else ["height", "width"]
            axes = ["channels", *axes] if self.data_format == "channels_first" else \
                [*axes, "channels"]
            names = f"({', '.join(['batch', *axes])})"
            raise ValueError(f"{type(self).__name__} '{self.name}' expected {self.rank + 2}-D "
                             f"input {names}, received input of shape {tuple(shape)}")

    def build(self, input_shape):
        self._check_rank(input_shape)
        channels = input_shape[self._channels_axis()]
        if channels is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the channel axis of the "
                             f"input must be known; received shape {tuple(input_shape)}")
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': {channels} input channels "
                             f"cannot be split into groups={self.groups}")
        for size, k, d in zip(self._spatial(input_shape), self.kernel_size, self.dilation_rate):
            if size is not None and self.padding == "valid" and (k - 1) * d + 1 > size:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': the kernel "
                    f"{'x'.join(map(str, self.kernel_size))} (dilation {self.dilation_rate}) is "
                    f"larger than the input {'x'.join(map(str, self._spatial(input_shape)))} "
                    f"with padding 'valid'; use padding='same' or a smaller kernel")
        self.input_channels = channels
        self.kernel = self.add_weight("kernel", self.kernel_shape(channels),
                                      self.kernel_initializer, self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                    self.bias_regularizer) if self.use_bias else None

    def kernel_shape(self, channels):
        return (*self.kernel_size, channels // self.groups, self.filters)

    def _check_rank_and_channels(self, inputs):
        self._check_rank(inputs.shape)
        channels = inputs.shape[self._channels_axis()]
        if channels != self.input_channels:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was built for inputs with "
                f"{self.input_channels} channels, received input of shape "
                f"{tuple(inputs.shape)} ({channels} channels)")

    def check_input(self, inputs):
        self._check_rank_and_channels(inputs)
        for size, k, d in zip(self._spatial(inputs.shape), self.kernel_size,
                              self.dilation_rate):
            if self.padding == "valid" and (k - 1) * d + 1 > size:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': the kernel "
                    f"{'x'.join(map(str, self.kernel_size))} is larger than the input "
                    f"{'x'.join(map(str, self._spatial(inputs.shape)))} with padding 'valid'")

    def compute_output_shape(self, input_shape):
        spatial = tuple(_out_len(s, k, st, d, self.padding) for s, k, st, d in zip(
            self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, *spatial)
        return (input_shape[0], *spatial, self.filters)

    # -- compute ------------------------------------------------------------------------
    def _to_nhwc(self, x):
        if self.data_format == "channels_first":
            return ops.transpose(x, (0, *range(2, x.ndim), 1))
        return x

    def _from_nhwc(self, y):
        if self.data_format == "channels_first":
            return ops.transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1)))
        return y

    def call(self, inputs):
        x = self._to_nhwc(inputs)
        fuse = self.activation is activations_module.relu
        y = ops.conv2d(x, self.kernel, self.bias, self.strides, self.padding,
                       self.dilation_rate, self.groups, relu=fuse)
        return self._from_nhwc(y if fuse else self.activation(y))

    def get_config(self):
        return {
            **super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
            "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "groups": self.groups,
            "activation": activations_module.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers_module.serialize(self.kernel_initializer),
            "bias_initializer": initializers_module.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers_module.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers_module.serialize(self.bias_regularizer),
        }


class Conv2D(_Conv):
    """2-D convolution: ``filters`` kernels of ``kernel_size`` slid over the image.

    Kernel shape (kh, kw, in_channels / groups, filters), as Keras. One im2col + GEMM op.

    >>> Conv2D(8, 3, activation="relu")(np.zeros((2, 28, 28, 1))).shape
    (2, 26, 26, 8)
    """


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); ``padding="causal"`` pads only on the
    left, so an output never sees later steps."""

    rank = 1

    def call(self, inputs):
        x = self._to_nhwc(inputs)
        n, length, c = x.shape
        k, (s,), (d,) = self.kernel_size[0], self.strides, self.dilation_rate
        if self.padding == "causal":
            padding = ((0, 0), ((k - 1) * d, 0))
        elif self.padding == "same":
            padding = ((0, 0), same_padding(length, k, s, d))
        else:
            padding = "valid"
        kernel = ops.reshape(self.kernel, (1, *self.kernel.shape))
        y = ops.conv2d(ops.reshape(x, (n, 1, length, c)), kernel, self.bias, (1, s), padding,
                       (1, d), self.groups)
        y = ops.reshape(y, (n, y.shape[2], y.shape[3]))
        return self._from_nhwc(self.activation(y))


def transposed_length(size, kernel, stride, dilation, padding, output_padding):
    """Keras's output length of a transposed convolution (TensorFlow's rule).

    With k = (kernel - 1) * dilation + 1:
        "valid":  (size - 1) * stride + k + output_padding, output_padding defaulting to
                  max(k, stride) - k (so a stride wider than the kernel leaves no gap at the end)
        "same":   size * stride without output_padding, else
                  (size - 1) * stride + k % 2 + output_padding

    >>> transposed_length(5, 2, 3, 1, "valid", None)
    15
    """
    if size is None:
        return None
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return (size - 1) * stride + k + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + k % 2 + output_padding


def check_output_padding(output_padding, strides, rank, layer):
    """None, or ``output_padding`` as a tuple of ``rank`` ints each below its stride."""
    if output_padding is None:
        return None
    output_padding = check.int_tuple(output_padding, rank, "output_padding", layer, minimum=0)
    if any(p >= s for p, s in zip(output_padding, strides)):
        raise ValueError(f"{layer}: `output_padding` must be strictly less than `strides`. "
                         f"Received: output_padding={output_padding}, strides={strides}")
    return output_padding


class TransposedConv:
    """What the transposed convolutions (1-D, 2-D, 3-D) share: a kernel of (*kernel_size,
    filters, channels), built as for "same" padding (a transpose never shrinks its input),
    and any input size accepted."""

    def kernel_shape(self, channels):
        return (*self.kernel_size, self.filters, channels)

    def build(self, input_shape):
        saved, self.padding = self.padding, "same"
        try:
            super().build(input_shape)
        finally:
            self.padding = saved

    def check_input(self, inputs):
        self._check_rank_and_channels(inputs)  # any input size fits a transposed kernel


class Conv2DTranspose(TransposedConv, _Conv):
    """Transposed convolution ("deconvolution"): upsamples by ``strides``.

    Kernel shape (kh, kw, filters, in_channels), as Keras. Output size per axis: see
    :func:`transposed_length` (``output_padding`` adds steps at the end of an axis)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, **kwargs)
        if self.groups != 1:
            raise ValueError("Conv2DTranspose: groups must be 1")
        self.output_padding = check_output_padding(output_padding, self.strides, 2,
                                                   "Conv2DTranspose")

    def call(self, inputs):
        x = self._to_nhwc(inputs)
        y = ops.conv2d_transpose(x, self.kernel, self.bias, self.strides, self.padding,
                                 self.dilation_rate, output_shape=self._lengths(x.shape[1:3]))
        return self._from_nhwc(self.activation(y))

    def _lengths(self, sizes):
        padding = self.output_padding or (None, None)
        return tuple(transposed_length(s, k, st, d, self.padding, p) for s, k, st, d, p in
                     zip(sizes, self.kernel_size, self.strides, self.dilation_rate, padding))

    def compute_output_shape(self, input_shape):
        spatial = self._lengths(self._spatial(input_shape))
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, *spatial)
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        return {**super().get_config(), "output_padding": self.output_padding}


class DepthwiseConv2D(_Conv):
    """One kernel per input channel (``depth_multiplier`` of them): a grouped convolution
    with groups = channels. Kernel shape (kh, kw, in_channels, depth_multiplier), as Keras."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, **kwargs):
        self.depth_multiplier = check.positive_int(depth_multiplier, "depth_multiplier",
                                             "DepthwiseConv2D")
        super().__init__(1, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, depthwise_initializer, bias_initializer,
                         depthwise_regularizer, bias_regularizer, **kwargs)

    def build(self, input_shape):
        self.filters = input_shape[self._channels_axis()] * self.depth_multiplier
        super().build(input_shape)

    def kernel_shape(self, channels):
        return (*self.kernel_size, channels, self.depth_multiplier)

    def call(self, inputs):
        x = self._to_nhwc(inputs)
        kh, kw, c, m = self.kernel.shape
        kernel = ops.reshape(self.kernel, (kh, kw, 1, c * m))
        y = ops.conv2d(x, kernel, self.bias, self.strides, self.padding, self.dilation_rate,
                       groups=c)
        return self._from_nhwc(self.activation(y))

    def compute_output_shape(self, input_shape):
        self.filters = input_shape[self._channels_axis()] * self.depth_multiplier
        return super().compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            config.pop(key)
        config["depthwise_initializer"] = config.pop("kernel_initializer")
        config["depthwise_regularizer"] = config.pop("kernel_regularizer")
        return {**config, "depth_multiplier": self.depth_multiplier}


class SeparableConv2D(_Conv):
    """A depthwise convolution followed by a 1x1 pointwise one: far fewer weights than a
    full convolution. Kernels (kh, kw, in_channels, depth_multiplier) and
    (1, 1, in_channels * depth_multiplier, filters), as Keras."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, depthwise_initializer, bias_initializer,
                         depthwise_regularizer, bias_regularizer, **kwargs)
        self.depth_multiplier = check.positive_int(depth_multiplier, "depth_multiplier",
                                             "SeparableConv2D")
        self.pointwise_initializer = check.component(
            initializers_module.get, pointwise_initializer, "pointwise_initializer",
            "SeparableConv2D")
        self.pointwise_regularizer = check.component(
            regularizers_module.get, pointwise_regularizer, "pointwise_regularizer",
            "SeparableConv2D")

    def build(self, input_shape):
        super().build(input_shape)  # checks, the depthwise kernel and the bias
        bias = self.__dict__.pop("bias")  # re-set after: Keras's order is depthwise,
        self.pointwise_kernel = self.add_weight(  # pointwise, bias
            "pointwise_kernel", (1, 1, self.input_channels * self.depth_multiplier,
                                 self.filters),
            self.pointwise_initializer, self.pointwise_regularizer)
        self.bias = bias

    def kernel_shape(self, channels):
        return (*self.kernel_size, channels, self.depth_multiplier)

    def call(self, inputs):
        x = self._to_nhwc(inputs)
        kh, kw, c, m = self.kernel.shape
        depthwise = ops.conv2d(x, ops.reshape(self.kernel, (kh, kw, 1, c * m)), None,
                               self.strides, self.padding, self.dilation_rate, groups=c)
        y = ops.conv2d(depthwise, self.pointwise_kernel, self.bias)
        return self._from_nhwc(self.activation(y))

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["depthwise_initializer"] = config.pop("kernel_initializer")
        config["depthwise_regularizer"] = config.pop("kernel_regularizer")
        return {**config, "depth_multiplier": self.depth_multiplier,
                "pointwise_initializer": initializers_module.serialize(
                    self.pointwise_initializer),
                "pointwise_regularizer": regularizers_module.serialize(
                    self.pointwise_regularizer)}
