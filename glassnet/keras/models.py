"""``keras.models``."""

from glassnet.io import load_model, model_from_config
from glassnet.train import Model, Sequential

__all__ = ["Model", "Sequential", "load_model", "model_from_config"]
