"""Safe saving and loading of models and weights."""

from glassnet.files import atomic_write
from glassnet.io.clone import clone_model
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
from glassnet.io.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    deserialize_layer,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    model_from_json,
    register_keras_serializable,
    serialize_keras_object,
    serialize_layer,
)

__all__ = ["CustomObjectScope", "UnsafeFileError", "atomic_write", "clone_model",
           "custom_object_scope", "deserialize_keras_object", "deserialize_layer",
           "export_onnx", "get_custom_objects", "get_registered_name", "get_registered_object",
           "load_model", "load_weights", "model_from_config", "model_from_json",
           "model_to_config", "register_keras_serializable", "save_model", "save_weights",
           "serialize_keras_object", "serialize_layer"]
