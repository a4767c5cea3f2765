"""``keras.models``."""

from glassnet.io import clone_model, load_model, model_from_config, model_from_json, save_model
from glassnet.train import Model, Sequential

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_config",
           "model_from_json", "save_model"]
