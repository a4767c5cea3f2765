"""Training: Model, Sequential, the fit/evaluate/predict loop and callbacks."""

from glassnet.train import callbacks
from glassnet.train.model import Model
from glassnet.train.sequential import Sequential

__all__ = ["Model", "Sequential", "callbacks"]
