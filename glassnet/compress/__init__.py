"""Model compression: smaller, faster models that keep what a larger one learned.

- Pruning, with TensorFlow Model Optimization's names: ``prune_low_magnitude`` with a
  ``PolynomialDecay`` or ``ConstantSparsity`` schedule and the ``UpdatePruningStep``
  callback, ``strip_pruning``, ``save_sparse`` / ``load_sparse`` (the file shrinks with the
  sparsity), and ``prune_structured`` (whole units and filters removed: a smaller, faster
  model).
- Quantization: ``quantize(model, calibration_data)`` (post-training int8: per-channel
  weights, per-tensor activations, int32 sums), ``quantize_aware`` / ``quantize_model`` then
  ``convert`` (training through fake-quant ops), ``export_qdq`` (an ONNX QDQ graph that ONNX
  Runtime runs in integer kernels).
- Distillation: ``Distiller`` trains a student on a frozen teacher's softened outputs (the
  Keras example's API, with Hinton et al.'s T^2).
"""

from glassnet.compress import pruning, quantization, sparsity
from glassnet.compress.distillation import Distiller
from glassnet.compress.pruning import (
    ConstantSparsity,
    PolynomialDecay,
    PruneLowMagnitude,
    PruningSchedule,
    PruningSummaries,
    UpdatePruningStep,
    load_sparse,
    prune_low_magnitude,
    prune_scope,
    prune_structured,
    save_sparse,
    strip_pruning,
)
from glassnet.compress.quantization import (
    QuantizedConv2D,
    QuantizedDense,
    load_quantized,
    quantize,
    weights_nbytes,
)
from glassnet.compress.quantization.onnx_qdq import export_qdq
from glassnet.compress.quantization.qat import convert, quantize_aware, quantize_model

__all__ = ["ConstantSparsity", "Distiller", "PolynomialDecay", "PruneLowMagnitude",
           "PruningSchedule", "PruningSummaries", "QuantizedConv2D", "QuantizedDense",
           "UpdatePruningStep", "convert", "export_qdq", "load_quantized", "load_sparse",
           "prune_low_magnitude", "prune_scope", "prune_structured", "pruning", "quantization",
           "quantize", "quantize_aware", "quantize_model", "save_sparse", "sparsity",
           "strip_pruning", "weights_nbytes"]
