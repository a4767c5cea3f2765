"""Safe saving and loading of models and weights."""

from glassnet.files import atomic_write
from glassnet.io.errors import UnsafeFileError
from glassnet.io.onnx_export import export_onnx
from glassnet.io.saving import (
    load_model,
    load_weights,
    model_from_config,
    model_to_config,
    save_model,
    save_weights,
)

__all__ = ["UnsafeFileError", "atomic_write", "export_onnx", "load_model", "load_weights",
           "model_from_config", "model_to_config", "save_model", "save_weights"]
