"""int8 quantization: post-training (``quantize``), quantization-aware training
(``quantize_aware`` then ``convert``), and ONNX export as a QDQ graph (``export_qdq``).

Weights are symmetric int8 per output channel (scale = max|w| / 127); activations are
asymmetric uint8 per tensor; Dense and Conv2D sum in int32. See ``observers`` for the grids,
``int_gemm`` for the exact integer products.
"""

from glassnet.compress.quantization import qat as keras  # tfmot.quantization.keras's path
from glassnet.compress.quantization.int_gemm import int_matmul
from glassnet.compress.quantization.observers import (
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    PercentileObserver,
    activation_qparams,
    dequantize,
    quantize_activation,
    quantize_weights,
)
from glassnet.compress.quantization.ptq import load_quantized, quantize, weights_nbytes
from glassnet.compress.quantization.quantized_layers import QuantizedConv2D, QuantizedDense

__all__ = ["MinMaxObserver", "MovingAverageMinMaxObserver", "PercentileObserver",
           "QuantizedConv2D", "QuantizedDense", "activation_qparams", "dequantize",
           "int_matmul", "keras", "load_quantized", "quantize", "quantize_activation",
           "quantize_weights", "weights_nbytes"]
