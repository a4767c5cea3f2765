"""ONNX export of an int8 model as a QDQ graph, and ONNX Runtime's own static quantization
of the float export, for comparison.

QDQ ("quantize-dequantize") is how ONNX writes a quantized model with standard operators:
each quantized Dense / Conv2D becomes

::

    x -> QuantizeLinear(s_x, z_x) -> DequantizeLinear --.
    int8 W -> DequantizeLinear(s_w per channel, axis) --+-> Gemm / Conv (+ Relu)
    int32 b -> DequantizeLinear(s_x * s_w, axis 0) -----'       |
                            y <- DequantizeLinear <- QuantizeLinear(s_y, z_y)

with the int8 weights and int32 biases as initializers, so the file is about a quarter of
the float one. A runtime that knows the pattern (ONNX Runtime) fuses it into integer
kernels (QLinearConv, QGemm); any other still runs it in float, with the same numbers. The
graph stays channels-last as ``export_onnx`` writes it: each Conv is wrapped in transposes
and its Q/DQ pairs sit inside them, next to the Conv, where the fusion looks for them.
The float layers between are exported by ``glassnet.io.onnx_export``.

>>> # export_qdq(quantize(model, x_calib), "model_int8.onnx"); onnxruntime runs it
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.compress.quantization.quantized_layers import QuantizedConv2D, QuantizedDense
from glassnet.io import onnx_export
from glassnet.nn import activations as activations_module

__all__ = ["export_qdq", "ort_quantize_static"]


def _qdq(b, x, scale, zero_point):
    """DequantizeLinear(QuantizeLinear(x)) on one uint8 grid."""
    s = b.const(np.asarray(scale, np.float32), "scale")
    z = b.const(np.asarray(zero_point, np.uint8), "zero_point")
    return b.op("DequantizeLinear", [b.op("QuantizeLinear", [x, s, z]), s, z])


def _weights(b, layer, kernel, axis):
    """The dequantized int8 kernel and int32 bias (None without bias)."""
    scale = layer.kernel_scale.data.astype(np.float32)
    w = b.op("DequantizeLinear", [b.const(kernel, "weight"), b.const(scale, "weight_scale"),
                                  b.const(np.zeros(len(scale), np.int8), "weight_zero_point")],
             axis=axis)
    if layer.bias is None:
        return w, None
    bias_scale = (layer.input_scale.data * scale).astype(np.float32)
    bias = b.op("DequantizeLinear", [b.const(layer.bias.data, "bias"),
                                     b.const(bias_scale, "bias_scale")], axis=0)
    return w, bias


def _output(b, layer, y):
    """Activation and output grid, in the order the glassnet layer applies them."""
    name = activations_module.serialize(layer.activation)
    if name == "relu":
        y = b.op("Relu", [y])
    if layer.quantize_output:
        y = _qdq(b, y, layer.output_scale.data, layer.output_zero_point.data)
    if name not in ("linear", "relu"):
        y = onnx_export._activation(b, y, layer.activation)
    return y


def _dense(b, layer, x, in_shape):
    x = _qdq(b, x, layer.input_scale.data, layer.input_zero_point.data)
    w, bias = _weights(b, layer, layer.kernel.data, axis=1)
    if len(in_shape) == 2:
        y = b.op("Gemm", [x, w] + ([bias] if bias is not None else []))
    else:  # Gemm is 2-D only
        y = b.op("MatMul", [x, w])
        if bias is not None:
            y = b.op("Add", [y, bias])
    return _output(b, layer, y)


def _conv(b, layer, x, in_shape):
    x = _qdq(b, onnx_export._nchw(b, x, 2), layer.input_scale.data,
             layer.input_zero_point.data)
    kernel = np.ascontiguousarray(np.moveaxis(layer.kernel.data, [-1, -2], [0, 1]))
    w, bias = _weights(b, layer, kernel, axis=0)
    pads = onnx_export._pads(layer, in_shape[1:3], layer.kernel_size, layer.strides,
                             layer.dilation_rate)
    y = b.op("Conv", [x, w] + ([bias] if bias is not None else []),
             kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
             dilations=list(layer.dilation_rate), pads=pads)
    return onnx_export._nhwc(b, _output(b, layer, y), 2)


def export_qdq(model, path, opset=17):
    """Write the int8 ``Sequential`` that ``quantize`` / ``convert`` made as an ONNX QDQ
    graph (input "input", output "output", batch axis free); returns the ModelProto."""
    from glassnet.train import Sequential

    onnx, helper, numpy_helper = onnx_export._onnx()
    if not isinstance(model, Sequential):
        raise TypeError(f"export_qdq: expected the Sequential that quantize() returned. "
                        f"Received: {type(model).__name__}")
    if not any(isinstance(layer, (QuantizedDense, QuantizedConv2D)) for layer in model.layers):
        raise ValueError(f"export_qdq: the model '{model.name}' has no quantized layer; "
                         f"quantize it first (quantize(model, calibration_data)), or export a "
                         f"float model with model.export(path, format='onnx')")
    if opset < 13:
        raise ValueError(f"export_qdq: per-channel DequantizeLinear needs opset >= 13. "
                         f"Received: opset={opset}")
    b = onnx_export._Builder(onnx, helper, numpy_helper, opset)
    shape = tuple(model.input_shape)
    graph_input = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT,
                                                ["batch", *shape[1:]])
    x, unsupported = "input", []
    for layer in model.layers:
        if isinstance(layer, QuantizedDense):
            x_next = _dense(b, layer, x, shape)
        elif isinstance(layer, QuantizedConv2D):
            x_next = _conv(b, layer, x, shape)
        else:
            try:
                x_next = onnx_export._layer(b, layer, [x], [shape])
            except NotImplementedError as err:
                unsupported.append(f"{layer.name} ({type(layer).__name__}: {err})")
                x_next = x
        x, shape = x_next, tuple(layer.compute_output_shape(shape))
    if unsupported:
        raise ValueError("export_qdq: these layers have no ONNX export: "
                         + "; ".join(unsupported))
    out = b.op("Identity", [x], base="output")
    return onnx_export.write_model(b, model.name, [graph_input], [
        helper.make_tensor_value_info(out, onnx.TensorProto.FLOAT, ["batch", *shape[1:]])],
        path)


def ort_quantize_static(float_path, out_path, calibration_data, per_channel=True,
                        batch_size=128):
    """ONNX Runtime's ``quantize_static`` (QDQ format, uint8 activations, int8 weights,
    min/max calibration) of a float ONNX file, calibrated on the same samples as
    ``quantize``: the reference to compare ``export_qdq`` with."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    x = np.asarray(calibration_data, np.float32)
    if not len(x):
        raise ValueError("ort_quantize_static: calibration_data is empty")

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"input": x[i:i + batch_size]}
                                 for i in range(0, len(x), batch_size)])

        def get_next(self):
            return next(self.batches, None)

    quantize_static(os.fspath(float_path), os.fspath(out_path), Reader(),
                    quant_format=QuantFormat.QDQ, per_channel=per_channel,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax)
    return os.fspath(out_path)

