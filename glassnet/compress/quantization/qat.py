"""Quantization-aware training: train through the int8 grids, then convert to int8.

``quantize_aware(model)`` (alias ``quantize_model``, TensorFlow Model Optimization's name)
returns a copy of a float ``Sequential`` in which every Dense and Conv2D fake-quantizes
(``fake_quant``) what the int8 model will quantize:

- its input, on the uint8 grid of a moving-average range (updated by each training batch:
  ``lo <- lo + c (min(x) - lo)``, c = ``averaging_constant``);
- its kernel, symmetric int8 per output channel, scale = max|w| / 127 of the current
  weights;
- its output (after a ReLU, before any other activation), on a moving-average grid too.

The straight-through estimator lets the gradient through the grids, so ``compile`` and
``fit`` train the float weights to do well *after* rounding. ``convert(qat_model)`` then
builds the int8 model of ``quantize`` from the learnt weights and ranges: its outputs are
the QAT model's outputs in inference mode, the same grids, except where the float32 sum of
the QAT model and the exact int32 one (its bias on the accumulator's grid) round to
neighbouring output steps.

>>> import numpy as np
>>> from glassnet.nn.layers import Dense, Input
>>> from glassnet.train import Sequential
>>> model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(3)])
>>> qat = quantize_aware(model)
>>> qat.compile(optimizer="adam", loss="mse")
>>> x, y = np.ones((16, 4), "float32"), np.zeros((16, 3), "float32")
>>> _ = qat.fit(x, y, epochs=1, verbose=0)
>>> [type(layer).__name__ for layer in convert(qat).layers]
['QuantizedDense', 'QuantizedDense']
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad, ops
from glassnet.compress.quantization import ptq
from glassnet.compress.quantization.fake_quant import (
    fake_quantize_per_channel,
    fake_quantize_per_tensor,
)
from glassnet.compress.quantization.observers import (
    QMAX,
    QMIN,
    WMAX,
    WMIN,
    activation_qparams,
)
from glassnet.compress.quantization.quantized_layers import QuantizedConv2D, QuantizedDense
from glassnet.nn import activations as activations_module
from glassnet.nn import layers as L
from glassnet.train import Sequential

__all__ = ["QATConv2D", "QATDense", "QAT_CLASSES", "convert", "quantize_aware",
           "quantize_model"]


class _FakeQuantized:
    """The QAT part shared by ``QATDense`` and ``QATConv2D`` (mixed in before the layer)."""

    def _init_qat(self, averaging_constant):
        if not 0 < averaging_constant <= 1:
            raise ValueError(f"{type(self).__name__}: averaging_constant must be in (0, 1]. "
                             f"Received: averaging_constant={averaging_constant!r}")
        self.averaging_constant = float(averaging_constant)

    def _build_ranges(self):
        # [lo, hi, batches seen]: weights, so that save/load keeps the learnt ranges
        self.input_range = self.add_weight("input_range", (3,), "zeros", trainable=False)
        self.output_range = self.add_weight("output_range", (3,), "zeros", trainable=False)

    def _observe(self, state, x, training):
        """The (scale, zero point) to fake-quantize ``x`` with, the range updated first."""
        lo, hi = float(x.data.min()), float(x.data.max())
        r = state.data
        if training:
            if r[2] == 0:
                r[0], r[1] = lo, hi
            else:
                c = self.averaging_constant
                r[0] += c * (lo - r[0])
                r[1] += c * (hi - r[1])
            r[2] += 1
        elif r[2] > 0:
            lo, hi = r[0], r[1]
        return activation_qparams(lo, hi)  # before any training: this batch's own range

    def _fake_kernel(self):
        w = self.kernel
        amax = np.abs(w.data).reshape(-1, w.shape[-1]).max(axis=0)
        scale = np.where(amax > 0, amax / WMAX, 1.0).astype(np.float32)
        return fake_quantize_per_channel(w, scale, np.zeros(len(scale), np.int64), -1, WMIN,
                                         WMAX)

    def _qat_call(self, inputs, training, compute):
        x = fake_quantize_per_tensor(inputs, *self._observe(self.input_range, inputs,
                                                            training), QMIN, QMAX)
        y = compute(x, self._fake_kernel())
        grid_after = activations_module.serialize(self.activation) in ("linear", "relu")
        if grid_after:
            y = self.activation(y)
        y = fake_quantize_per_tensor(y, *self._observe(self.output_range, y, training),
                                     QMIN, QMAX)
        return y if grid_after else self.activation(y)

    def qparams(self):
        """((input scale, zero point), (output scale, zero point)) learnt so far."""
        for state in (self.input_range, self.output_range):
            if state.data[2] == 0:
                raise ValueError(f"{type(self).__name__} '{self.name}': no range was learnt "
                                 f"yet; fit the model (training=True) before convert()")
        return (activation_qparams(*self.input_range.data[:2]),
                activation_qparams(*self.output_range.data[:2]))


class QATDense(_FakeQuantized, L.Dense):
    """Dense with fake-quantized input, kernel and output (see the module docstring)."""

    def __init__(self, units, averaging_constant=0.01, **kwargs):
        super().__init__(units, **kwargs)
        self._init_qat(averaging_constant)

    def build(self, input_shape):
        super().build(input_shape)
        self._build_ranges()

    def call(self, inputs, training=None):
        return self._qat_call(inputs, training, lambda x, w: ops.linear(x, w, self.bias))

    def get_config(self):
        return {**super().get_config(), "averaging_constant": self.averaging_constant}


class QATConv2D(_FakeQuantized, L.Conv2D):
    """Conv2D (channels-last, groups 1) with fake-quantized input, kernel and output."""

    def __init__(self, filters, kernel_size, averaging_constant=0.01, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        self._init_qat(averaging_constant)

    def build(self, input_shape):
        super().build(input_shape)
        self._build_ranges()

    def call(self, inputs, training=None):
        return self._qat_call(inputs, training, lambda x, w: ops.conv2d(
            x, w, self.bias, self.strides, self.padding, self.dilation_rate))

    def get_config(self):
        return {**super().get_config(), "averaging_constant": self.averaging_constant}


QAT_CLASSES = {"QATDense": QATDense, "QATConv2D": QATConv2D}


def quantize_aware(model, averaging_constant=0.01):
    """A copy of the float ``Sequential`` ``model`` ready for quantization-aware training
    (same weights; Dense and Conv2D become ``QATDense`` / ``QATConv2D``). Compile and fit
    it, then ``convert`` it."""
    layers = ptq._supported_layers(model)
    new = [L.InputLayer(batch_shape=(None, *tuple(model.input_shape)[1:]))]
    for layer in layers:
        kind = {L.Dense: QATDense, L.Conv2D: QATConv2D}.get(type(layer))
        if kind is None:
            new.append(ptq._copy(layer))
            continue
        config = {k: v for k, v in layer.get_config().items() if k != "batch_input_shape"}
        new.append(kind(averaging_constant=averaging_constant, **config))
    qat = Sequential(new, name=f"{model.name}_qat")
    for old, copy in zip(layers, qat.layers):
        if old.weights:
            copy.set_weights([*old.get_weights(),
                              *[w.data for w in copy.weights[len(old.weights):]]])
    return qat


quantize_model = quantize_aware  # tfmot.quantization.keras.quantize_model


def convert(qat_model, method="float32"):
    """The int8 model (as ``quantize`` makes) of a trained ``quantize_aware`` model."""
    if not isinstance(qat_model, Sequential):
        raise TypeError(f"convert: expected the Sequential that quantize_aware returned. "
                        f"Received: {type(qat_model).__name__}")
    layers = [layer for layer in qat_model.layers if not isinstance(layer, L.InputLayer)]
    if not any(isinstance(layer, (QATDense, QATConv2D)) for layer in layers):
        raise ValueError(f"convert: the model '{qat_model.name}' has no QATDense or QATConv2D "
                         f"layer; make it with quantize_aware(model) and fit it first")
    new = [L.InputLayer(batch_shape=(None, *tuple(qat_model.input_shape)[1:]))]
    with no_grad():
        for layer in layers:
            if isinstance(layer, (QATDense, QATConv2D)):
                cls = QuantizedDense if isinstance(layer, QATDense) else QuantizedConv2D
                new.append(cls.from_float(layer, *layer.qparams(), True, method))
            else:
                new.append(ptq._copy(layer))
    name = qat_model.name[:-4] if qat_model.name.endswith("_qat") else qat_model.name
    int8 = Sequential(new, name=f"{name}_int8")
    for old, copy in zip(layers, int8.layers):
        if not isinstance(old, (QATDense, QATConv2D)) and old.weights:
            copy.set_weights(old.get_weights())
    return int8
