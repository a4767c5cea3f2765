"""Post-training static quantization: ``quantize(model, calibration_data)`` -> an int8 model.

1. Calibrate: run the float model on ``calibration_data`` layer by layer; an observer per
   quantized layer records the range of its input and of its output (after a ReLU, before any
   other activation).
2. Convert: each ``Dense`` becomes a ``QuantizedDense`` and each ``Conv2D`` a
   ``QuantizedConv2D`` (int8 weights, symmetric per output channel, scale = max|w| / 127;
   uint8 activations, asymmetric per tensor; int32 sums); the other layers are copied and run
   in float on the dequantized values.

The result is a ``Sequential`` like any other: ``predict``, ``__call__``, ``evaluate`` after
``compile``, ``save`` (reload with :func:`load_quantized`), and ``export_qdq`` to ONNX.

>>> import numpy as np
>>> from glassnet.nn.layers import Dense, Input
>>> from glassnet.train import Sequential
>>> model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(3)])
>>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
>>> int8 = quantize(model, x)
>>> [type(layer).__name__ for layer in int8.layers]
['QuantizedDense', 'QuantizedDense']
>>> bool(np.abs(int8.predict(x, verbose=0) - model.predict(x, verbose=0)).max() < 0.1)
True
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad, ops
from glassnet.compress.quantization.observers import get_observer
from glassnet.compress.quantization.quantized_layers import QuantizedConv2D, QuantizedDense
from glassnet.nn import activations as activations_module
from glassnet.nn import layers as L
from glassnet.train import Sequential

__all__ = ["QUANTIZED_CLASSES", "load_quantized", "quantize", "weights_nbytes"]

QUANTIZED_CLASSES = {"QuantizedDense": QuantizedDense, "QuantizedConv2D": QuantizedConv2D}

# Layers that run in float between the quantized ones (on dequantized values).
FLOAT_LAYERS = (L.Flatten, L.Reshape, L.Dropout, L.SpatialDropout2D, L.MaxPooling2D,
                L.AveragePooling2D, L.GlobalAveragePooling2D, L.GlobalMaxPooling2D, L.ReLU,
                L.LeakyReLU, L.Softmax, L.Activation, L.BatchNormalization)


def quantize(model, calibration_data, per_channel=True, observer="minmax", batch_size=128,
             quantize_output=True, method="float32"):
    """The int8 version of a float ``Sequential`` model, calibrated on ``calibration_data``.

    Args:
        model: a built float32 ``Sequential`` of Dense, Conv2D and the float layers
            (``FLOAT_LAYERS``: pooling, Flatten, Dropout, activations, ...).
        calibration_data: inputs (an array, batch axis first), typically a few hundred
            training samples, or an iterable of such batches (or of (x, y) pairs).
        per_channel: one weight scale per output channel (else one per tensor).
        observer: "minmax", "percentile" (99.99th percentiles) or a factory of observers.
        batch_size: the calibration batch size when ``calibration_data`` is one array.
        quantize_output: requantize each quantized layer's output to uint8 (what an int8
            runtime does); False keeps the float32 output of the int32 sum.
        method: the integer GEMM (``int_gemm.int_matmul``): "float32", "float64", "int32".

    Returns:
        A ``Sequential`` of ``QuantizedDense`` / ``QuantizedConv2D`` and copied float layers.
    """
    layers = _supported_layers(model)
    shape = tuple(model.input_shape)
    batches = _calibration_batches(calibration_data, shape, batch_size)
    observers = {id(layer): (get_observer(observer), get_observer(observer))
                 for layer in layers if isinstance(layer, (L.Dense, L.Conv2D))}
    with no_grad():
        for x in batches:
            for layer in layers:
                if id(layer) not in observers:
                    x = layer(x, training=False).data
                    continue
                seen_in, seen_out = observers[id(layer)]
                seen_in.update(x)
                pre = _pre_activation(layer, x)
                out = layer.activation(pre).data
                seen_out.update(out if _grid_after(layer) else pre.data)
                x = out
    new = [L.InputLayer(batch_shape=(None, *shape[1:]))]
    for layer in layers:
        if id(layer) in observers:
            seen_in, seen_out = observers[id(layer)]
            cls = QuantizedDense if isinstance(layer, L.Dense) else QuantizedConv2D
            new.append(cls.from_float(layer, seen_in.qparams(),
                                      seen_out.qparams() if quantize_output else None,
                                      per_channel, method))
        else:
            new.append(_copy(layer))
    quantized = Sequential(new, name=f"{model.name}_int8")
    for old, copy in zip(layers, quantized.layers):
        if not isinstance(copy, (QuantizedDense, QuantizedConv2D)) and old.weights:
            copy.set_weights(old.get_weights())
    return quantized


def load_quantized(filepath, compile=True):  # noqa: A002 - Keras's name
    """A quantized model saved with ``model.save(path)`` (``.keras``)."""
    from glassnet.io import load_model

    return load_model(filepath, custom_objects=QUANTIZED_CLASSES, compile=compile)


def weights_nbytes(model):
    """Bytes of every weight (kernel, bias, scales and zero points), at their dtypes."""
    return int(sum(w.data.nbytes for w in model.weights))


def _grid_after(layer):
    return activations_module.serialize(layer.activation) in ("linear", "relu")


def _pre_activation(layer, x):
    if isinstance(layer, L.Dense):
        return ops.linear(x, layer.kernel, layer.bias)
    return ops.conv2d(x, layer.kernel, layer.bias, layer.strides, layer.padding,
                      layer.dilation_rate)


def _supported_layers(model):
    if not isinstance(model, Sequential):
        raise TypeError(f"quantize: expected a Sequential model (functional graphs and "
                        f"subclassed models are not supported). Received: "
                        f"{type(model).__name__}")
    if not model.built or model.inputs is None:
        raise ValueError(f"quantize: the model '{model.name}' has no input shape yet; build "
                         f"it (call it once, or start it with Input)")
    layers = [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]
    bad = []
    for layer in layers:
        if isinstance(layer, L.Conv2D) and type(layer) is L.Conv2D:
            if layer.groups != 1 or layer.data_format != "channels_last":
                bad.append(f"'{layer.name}' (Conv2D with groups={layer.groups}, "
                           f"data_format={layer.data_format!r}; only groups=1, channels_last)")
        elif type(layer) is L.Dense or isinstance(layer, FLOAT_LAYERS):
            if isinstance(layer, L.Flatten) and layer.data_format == "channels_first":
                bad.append(f"'{layer.name}' (Flatten with data_format='channels_first')")
        else:
            bad.append(f"'{layer.name}' ({type(layer).__name__})")
    if bad:
        raise ValueError("quantize: these layers cannot be quantized: " + "; ".join(bad)
                         + ". Supported: Dense, Conv2D, and in float "
                         + ", ".join(cls.__name__ for cls in FLOAT_LAYERS))
    return layers


def _calibration_batches(data, shape, batch_size):
    if isinstance(data, np.ndarray) or hasattr(data, "__array__") and not isinstance(data,
                                                                                     tuple):
        x = np.asarray(data, np.float32)
        batches = [x[i:i + batch_size] for i in range(0, len(x), batch_size)] if x.ndim else []
    elif hasattr(data, "__iter__"):
        batches = [np.asarray(b[0] if isinstance(b, (tuple, list)) else b, np.float32)
                   for b in data]
    else:
        raise TypeError(f"quantize: calibration_data must be an array or an iterable of "
                        f"batches. Received: {type(data).__name__}")
    if not batches or not sum(len(b) for b in batches):
        raise ValueError("quantize: calibration_data is empty; give some samples (a few "
                         "hundred training inputs are typical)")
    for b in batches:
        if b.shape[1:] != shape[1:]:
            raise ValueError(f"quantize: calibration_data samples have shape {b.shape[1:]}, "
                             f"the model expects {tuple(shape[1:])}")
        if not np.isfinite(b).all():
            raise ValueError("quantize: calibration_data contains NaN or inf")
    return batches


def _copy(layer):
    from glassnet.io.model_config import layer_from_config, layer_to_config

    return layer_from_config(layer_to_config(layer))
