"""Neural-network building blocks: layers, parameters, activations, initializers, regularizers.

The activation functions are here too, as tutorials call them (``tf.nn.softmax(logits)``).
"""

from glassnet.autograd.ops import (
    dropout,
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from glassnet.nn import activations, initializers, layers, regularizers
from glassnet.nn.layer import Layer, reset_names
from glassnet.nn.parameter import Parameter
from glassnet.nn.symbolic import SymbolicTensor

__all__ = ["Layer", "Parameter", "SymbolicTensor", "activations", "dropout", "elu", "gelu",
           "initializers", "layers", "leaky_relu", "log_softmax", "regularizers", "relu",
           "reset_names", "selu", "sigmoid", "silu", "softmax", "softplus", "tanh"]
