"""Layers with Keras semantics."""

from glassnet.nn.layer import Layer
from glassnet.nn.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from glassnet.nn.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Lambda,
    Permute,
    Reshape,
)
from glassnet.nn.layers.merge import Add, Concatenate
from glassnet.nn.layers.normalization import BatchNormalization, LayerNormalization

__all__ = [
    "ELU", "Activation", "Add", "BatchNormalization", "Concatenate", "Dense", "Dropout",
    "Flatten", "Input", "InputLayer", "Lambda", "Layer", "LayerNormalization", "LeakyReLU",
    "Permute", "ReLU", "Reshape", "Softmax",
]
