"""Neural-network building blocks: layers, parameters, activations, initializers, regularizers."""

from glassnet.nn import activations, initializers, layers, regularizers
from glassnet.nn.layer import Layer, reset_names
from glassnet.nn.parameter import Parameter
from glassnet.nn.symbolic import SymbolicTensor

__all__ = ["Layer", "Parameter", "SymbolicTensor", "activations", "initializers", "layers",
           "regularizers", "reset_names"]
