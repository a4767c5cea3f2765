"""Neural-network building blocks: layers, parameters, activations, initializers, regularizers.

The ``tf.nn`` functions are here too, as tutorials call them (``tf.nn.softmax(logits)``,
``tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)``): ``import glassnet as tf``
makes ``tf.nn`` this package, and the functions are ``glassnet.tf.nn``'s.
"""

from glassnet.nn import activations, initializers, layers, regularizers, symbolic_ops
from glassnet.nn.layer import Layer, reset_names
from glassnet.nn.parameter import Parameter
from glassnet.nn.symbolic import SymbolicTensor
from glassnet.tf.nn import *  # noqa: F403 - the tf.nn functions, named by its __all__
from glassnet.tf.nn import __all__ as _tf_nn_all

# tf.nn.relu(h) on a keras.Input tensor is a layer of the functional model (tf.keras 2)
symbolic_ops.wrap_namespace(globals(), _tf_nn_all)

__all__ = ["Layer", "Parameter", "SymbolicTensor", "activations", "initializers", "layers",
           "regularizers", "reset_names", *_tf_nn_all]
