"""``QuantizedDense`` and ``QuantizedConv2D``: int8 weights, uint8 activations, int32 sums.

One call, for input x (float32), weights q_w (int8, scale s_w per output channel), bias b:

.. math::

    q_x = \\mathrm{clip}(\\mathrm{rint}(x / s_x) + z_x, 0, 255)              \\\\
    acc = (q_x - z_x) \\, q_w + q_b, \\qquad q_b = \\mathrm{rint}(b / (s_x s_w))   \\\\
    y = \\mathrm{act}(s_x s_w \\, acc)

``acc`` is exact int32 (``int_gemm``); the bias is quantized on the accumulator's grid, as
TFLite and ONNX Runtime do. With ``quantize_output`` (the default) y is put on the output
grid too, y <- s_y (q_y - z_y), the "requantize" step, so the model computes what an int8
runtime computes; for activations other than linear and ReLU the grid is applied before the
activation, which then runs in float. Layers between quantized ones (pooling, Flatten,
Dropout, ...) run in float on these dequantized values: max pooling and reshapes commute
with the grid, so nothing is lost there.

The weights are ordinary non-trainable layer weights (``kernel`` int8, ``bias`` int32, the
scales float32, zero points uint8), so ``save`` / ``load_model`` keep them.

>>> import numpy as np
>>> from glassnet.nn.layers import Dense
>>> dense = Dense(2); _ = dense(np.ones((1, 3), "float32"))
>>> q = QuantizedDense.from_float(dense, (np.float32(1 / 255), np.uint8(0)), None)
>>> q(np.ones((1, 3), "float32")).shape
(1, 2)
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Tensor
from glassnet.autograd.ops.convolution import Geometry, same_padding
from glassnet.compress.quantization import int_gemm
from glassnet.compress.quantization.observers import (
    QMAX,
    QMIN,
    dequantize,
    quantize_activation,
    quantize_weights,
)
from glassnet.kernels import conv as conv_kernels
from glassnet.kernels import threads
from glassnet.nn import activations as activations_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.convolutional import _out_len

__all__ = ["QuantizedConv2D", "QuantizedDense"]

_GRID_AFTER = ("linear", "relu")  # activations applied before the output grid


class _Quantized(Layer):
    """What both layers share: the grids, the requantization, the weights' bookkeeping."""

    def __init__(self, activation=None, use_bias=True, quantize_output=True, method="float32",
                 **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.activation = check.component(activations_module.get, activation, "activation", cls)
        self.use_bias = check.boolean(use_bias, "use_bias", cls)
        self.quantize_output = check.boolean(quantize_output, "quantize_output", cls)
        self.method = check.one_of(method, ("float32", "float64", "int32"), "method", cls)

    def _make_weights(self, kernel_shape, channels):
        def weight(name, shape, dtype):
            return self.add_weight(name, shape, "zeros", trainable=False, dtype=dtype)

        self.kernel = weight("kernel", kernel_shape, "int8")
        self.kernel_scale = weight("kernel_scale", (channels,), "float32")
        self.bias = weight("bias", (channels,), "int32") if self.use_bias else None
        self.input_scale = weight("input_scale", (), "float32")
        self.input_zero_point = weight("input_zero_point", (), "uint8")
        if self.quantize_output:
            self.output_scale = weight("output_scale", (), "float32")
            self.output_zero_point = weight("output_zero_point", (), "uint8")

    def set_quantization(self, kernel, bias, input_qparams, output_qparams, per_channel=True):
        """Quantize a float ``kernel`` and ``bias`` onto this layer's grids; the activation
        grids are (scale, zero_point) pairs (``output_qparams`` may be None without
        ``quantize_output``)."""
        q, scale = quantize_weights(kernel, per_channel)
        self.kernel.assign(q)
        self.kernel_scale.assign(scale)
        s_x, z_x = input_qparams
        self.input_scale.assign(np.float32(s_x))
        self.input_zero_point.assign(np.uint8(z_x))
        if self.use_bias:
            bias_scale = np.float64(s_x) * scale.astype(np.float64)
            q_b = np.rint(np.asarray(bias, np.float64) / bias_scale)
            self.bias.assign(np.clip(q_b, -2**31, 2**31 - 1).astype(np.int32))
        if self.quantize_output:
            if output_qparams is None:
                raise ValueError(f"{type(self).__name__} '{self.name}': quantize_output=True "
                                 f"needs output_qparams (scale, zero_point)")
            self.output_scale.assign(np.float32(output_qparams[0]))
            self.output_zero_point.assign(np.uint8(output_qparams[1]))

    def dequantized_kernel(self):
        """The float32 kernel the int8 one stands for: s_w * q_w."""
        return dequantize(self.kernel.data, self.kernel_scale.data)

    def _centered_input(self, x):
        """q_x - z_x in float32: clip(rint(x / s_x), -z_x, 255 - z_x). Every value is an
        integer in [-255, 255], which float32 holds exactly, so the products run on the
        float BLAS (``int_gemm``) and the padding of a convolution is a plain 0."""
        z = float(self.input_zero_point.data)
        q = np.rint(x / self.input_scale.data)
        return np.clip(q, QMIN - z, QMAX - z, out=q)

    def _one_gemm(self, kernel):
        """Whether acc + bias is exact in one float32 GEMM for this (K, N) ``kernel``."""
        if self.method != "float32":
            return False
        bias = 0 if self.bias is None else int(np.abs(self.bias.data).max(initial=0))
        return len(int_gemm.exact_rows(kernel, QMAX - QMIN, bias)) == 1

    def _int_products(self, q, kernel):
        """float32 acc + bias of uint8 rows ``q`` (M, K) by ``int_gemm.int_matmul`` (chunked
        float32 GEMMs when K is too long for one, or ``method`` "float64" / "int32")."""
        acc = int_gemm.int_matmul(q, kernel, int(self.input_zero_point.data), self.method)
        if self.bias is not None:
            acc += self.bias.data
        return acc.astype(np.float32)

    def _requantize(self, y, relu_done=False):
        """In place on the float32 accumulator (bias included): y = s_x s_w acc, the ReLU,
        then the output grid, s_y * clip(rint(y / s_y), -z_y, 255 - z_y)."""
        y *= self.input_scale.data * self.kernel_scale.data
        if self._activation_name == "relu" and not relu_done:
            np.maximum(y, 0, out=y)
        if self.quantize_output:
            s_y, z_y = self.output_scale.data, float(self.output_zero_point.data)
            np.divide(y, s_y, out=y)
            np.rint(y, out=y)
            np.clip(y, QMIN - z_y, QMAX - z_y, out=y)
            y *= s_y
        return y

    def _activate(self, y):
        """Activations other than linear and ReLU, in float after the grid."""
        if self._activation_name in _GRID_AFTER:
            return y
        return self.activation(Tensor(y)).data

    @property
    def _activation_name(self):
        return activations_module.serialize(self.activation)

    def _quantized_input(self, inputs):
        x = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return quantize_activation(x, self.input_scale.data, self.input_zero_point.data)

    def get_config(self):
        return {**super().get_config(),
                "activation": activations_module.serialize(self.activation),
                "use_bias": self.use_bias, "quantize_output": self.quantize_output,
                "method": self.method}


class QuantizedDense(_Quantized):
    """Dense on int8 weights: ``act(s_x s_w ((q_x - z_x) @ q_w + q_b))``; see the module
    docstring. Inputs may have leading axes beyond the batch, as Dense."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = check.positive_int(units, "units", "QuantizedDense")

    @classmethod
    def from_float(cls, layer, input_qparams, output_qparams, per_channel=True,
                   method="float32"):
        """The quantized twin of a built ``Dense`` (same name, activation and bias)."""
        new = cls(layer.units, activation=layer.activation, use_bias=layer.bias is not None,
                  quantize_output=output_qparams is not None, method=method, name=layer.name)
        new.build((None, layer.kernel.shape[0]))
        new.set_quantization(layer.kernel.data, None if layer.bias is None else
                             layer.bias.data, input_qparams, output_qparams, per_channel)
        return new

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"QuantizedDense '{self.name}' expected input of shape (batch, "
                             f"..., features) with known features; received {input_shape}")
        self._make_weights((input_shape[-1], self.units), self.units)

    def check_input(self, inputs):
        expected = self.kernel.shape[0]
        if inputs.ndim < 2 or inputs.shape[-1] != expected:
            raise ValueError(f"QuantizedDense '{self.name}' expected {expected} input "
                             f"features, received input of shape {tuple(inputs.shape)}")

    def call(self, inputs):
        x = inputs.data
        lead, k = x.shape[:-1], x.shape[-1]
        x = x.reshape(-1, k)
        kernel, out = self.kernel.data, np.empty((len(x), self.units), np.float32)
        one_gemm = self._one_gemm(kernel)
        w = kernel.astype(np.float32)
        bias = None if self.bias is None else self.bias.data.astype(np.float32)

        def part(lo, hi):  # each thread: its rows through grid, GEMM and requantization
            if one_gemm:
                acc = np.matmul(self._centered_input(x[lo:hi]), w, out=out[lo:hi])
                if bias is not None:
                    acc += bias
            else:
                out[lo:hi] = self._int_products(self._quantized_input(x[lo:hi]), kernel)
            self._requantize(out[lo:hi])

        threads.over_batch(part, len(x), x.size + out.size + len(x) * k * self.units // 64)
        return Tensor(self._activate(out).reshape(*lead, self.units))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class QuantizedConv2D(_Quantized):
    """Conv2D (channels-last, groups 1) on int8 weights, by im2col of the uint8 input.

    The padding of "same" is the input zero point z_x: it stands for a real 0, as Conv2D's
    zero padding.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 **kwargs):
        super().__init__(**kwargs)
        cls = "QuantizedConv2D"
        self.filters = check.positive_int(filters, "filters", cls)
        self.kernel_size = check.int_tuple(kernel_size, 2, "kernel_size", cls)
        self.strides = check.int_tuple(strides, 2, "strides", cls)
        self.dilation_rate = check.int_tuple(dilation_rate, 2, "dilation_rate", cls)
        self.padding = check.one_of(padding, ("valid", "same"), "padding", cls)

    @classmethod
    def from_float(cls, layer, input_qparams, output_qparams, per_channel=True,
                   method="float32"):
        """The quantized twin of a built channels-last ``Conv2D`` with groups=1."""
        new = cls(layer.filters, layer.kernel_size, layer.strides, layer.padding,
                  layer.dilation_rate, activation=layer.activation,
                  use_bias=layer.bias is not None, quantize_output=output_qparams is not None,
                  method=method, name=layer.name)
        new.build((None, None, None, layer.kernel.shape[2]))
        new.set_quantization(layer.kernel.data, None if layer.bias is None else
                             layer.bias.data, input_qparams, output_qparams, per_channel)
        return new

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"QuantizedConv2D '{self.name}' expected 4-D input (batch, height, "
                             f"width, channels) with known channels; received {input_shape}")
        self._make_weights((*self.kernel_size, input_shape[-1], self.filters), self.filters)

    def check_input(self, inputs):
        channels = self.kernel.shape[2]
        if inputs.ndim != 4 or inputs.shape[-1] != channels:
            raise ValueError(f"QuantizedConv2D '{self.name}' expected input (batch, height, "
                             f"width, {channels}), received input of shape "
                             f"{tuple(inputs.shape)}")

    def _pads(self, h, w):
        if self.padding == "valid":
            return (0, 0), (0, 0)
        return tuple(same_padding(n, k, s, d) for n, k, s, d in zip(
            (h, w), self.kernel_size, self.strides, self.dilation_rate))

    def im2col(self, q):
        """(cols uint8 (N*OH*OW, KH*KW*C), (N, OH, OW)) of the zero-point-padded input."""
        n, h, w, c = q.shape
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation_rate
        pads = self._pads(h, w)
        if any(pads[0]) or any(pads[1]):
            q = np.pad(q, ((0, 0), *pads, (0, 0)), constant_values=self.input_zero_point.data)
        oh = (q.shape[1] - (kh - 1) * dh - 1) // sh + 1
        ow = (q.shape[2] - (kw - 1) * dw - 1) // sw + 1
        s_n, s_h, s_w, s_c = q.strides
        view = np.lib.stride_tricks.as_strided(
            q, (n, oh, ow, kh, kw, c), (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c),
            writeable=False)
        return view.reshape(n * oh * ow, kh * kw * c), (n, oh, ow)

    def call(self, inputs):
        x = inputs.data
        if not self._one_gemm(self.kernel.data.reshape(-1, self.filters)):
            cols, (n, oh, ow) = self.im2col(self._quantized_input(x))
            y = self._requantize(self._int_products(cols, self.kernel.data.reshape(
                -1, self.filters)))
            return Tensor(self._activate(y.reshape(n, oh, ow, self.filters)))
        geom = Geometry(self.strides, self.dilation_rate, self._pads(*x.shape[1:3]), 1)
        bias = None if self.bias is None else self.bias.data.astype(np.float32)
        relu = self._activation_name == "relu"
        # glassnet's threaded im2col + GEMM, on the centered integers; the requantization
        # runs on each slice of the batch while it is in cache
        y, _ = conv_kernels.conv_forward(
            self._centered_input(x), self.kernel.data.astype(np.float32), geom, bias, relu,
            epilogue=lambda lo, hi, part: self._requantize(part, relu_done=relu))
        return Tensor(self._activate(y))

    def compute_output_shape(self, input_shape):
        n, h, w = tuple(input_shape)[:3]
        spatial = [_out_len(s, k, st, d, self.padding) for s, k, st, d in zip(
            (h, w), self.kernel_size, self.strides, self.dilation_rate)]
        return (n, *spatial, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate}
