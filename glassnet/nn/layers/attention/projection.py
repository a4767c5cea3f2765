"""``HeadProjection``: the dense projections inside ``MultiHeadAttention`` (Keras builds them
as ``EinsumDense`` layers named query, key, value and attention_output).

The last ``bound_dims`` axes of the input are contracted with a kernel of shape
(*those axes, *output_dims) and ``output_dims`` new axes appear:

    y[..., o1, o2] = sum_{i1, i2} x[..., i1, i2] * kernel[i1, i2, o1, o2] + bias[o1, o2]

which is one matrix product once the bound axes and the output axes are each flattened: the
fused dense op (x @ W + b) on reshaped views, so the gradient is the dense op's.
"""

from __future__ import annotations

import math

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.autograd import ops
from glassnet.nn import activations as activations_module
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn.layer import Layer


class HeadProjection(Layer):
    """x (..., *bound) -> (..., *output_dims) through a kernel (*bound, *output_dims).

    Args:
        output_dims: the new trailing axes, e.g. (num_heads, key_dim).
        bound_dims: how many trailing input axes are contracted (1 for query/key/value,
            2 for the output projection from (heads, value_dim)).
        use_bias: a bias of shape ``output_dims``.
        activation: applied to the result (the gate's sigmoid).

    The kernel is initialised as the (prod(bound), prod(output_dims)) matrix it is used as,
    so glorot/he fans are those of that matrix (as Keras's EinsumDense).

    >>> p = HeadProjection((2, 3))
    >>> p(np.ones((4, 5, 6))).shape, p.kernel.shape, p.bias.shape
    ((4, 5, 2, 3), (6, 2, 3), (2, 3))
    """

    def __init__(self, output_dims, bound_dims=1, use_bias=True, activation=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.output_dims = tuple(int(n) for n in output_dims)
        self.bound_dims = int(bound_dims)
        self.use_bias = bool(use_bias)
        self.activation = activations_module.get(activation)
        self.kernel_initializer = initializers_module.get(kernel_initializer)
        self.bias_initializer = initializers_module.get(bias_initializer)
        self.kernel_regularizer = regularizers_module.get(kernel_regularizer)
        self.bias_regularizer = regularizers_module.get(bias_regularizer)
        # Masks of the attention inputs ride through the projections unchanged.
        self.supports_masking = True

    def build(self, input_shape):
        bound = tuple(input_shape[len(input_shape) - self.bound_dims:])
        if len(bound) != self.bound_dims or any(n is None for n in bound):
            raise ValueError(f"{type(self).__name__} '{self.name}': the last {self.bound_dims} "
                             f"axes of the input must be known; received shape "
                             f"{tuple(input_shape)}")
        self.bound_shape = bound
        rows, cols = math.prod(bound), math.prod(self.output_dims)
        init = initializers_module.get(self.kernel_initializer)
        shape = (*bound, *self.output_dims)

        def matrix_init(_, dtype=None):
            return np.asarray(init((rows, cols), dtype=dtype)).reshape(shape)

        self.kernel = self.add_weight("kernel", shape, matrix_init, self.kernel_regularizer)
        self.bias = self.add_weight("bias", self.output_dims, self.bias_initializer,
                                    self.bias_regularizer) if self.use_bias else None

    def check_input(self, inputs):
        if tuple(inputs.shape[inputs.ndim - self.bound_dims:]) != self.bound_shape:
            raise ValueError(f"{type(self).__name__} '{self.name}' was built for inputs ending "
                             f"in {self.bound_shape}, received input of shape "
                             f"{tuple(inputs.shape)}")

    def call(self, inputs):
        lead = tuple(inputs.shape[:inputs.ndim - self.bound_dims])
        rows, cols = math.prod(self.bound_shape), math.prod(self.output_dims)
        x = ops.reshape(inputs, (*lead, rows)) if self.bound_dims != 1 else inputs
        w = ops.reshape(self.kernel, (rows, cols))
        b = None if self.bias is None else ops.reshape(self.bias, (cols,))
        y = ops.linear(x, w, b)
        return self.activation(ops.reshape(y, (*lead, *self.output_dims)))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:len(input_shape) - self.bound_dims], *self.output_dims)

    def get_config(self):
        return {**super().get_config(), "output_dims": self.output_dims,
                "bound_dims": self.bound_dims, "use_bias": self.use_bias,
                "activation": activations_module.serialize(self.activation),
                "kernel_initializer": initializers_module.serialize(self.kernel_initializer),
                "bias_initializer": initializers_module.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers_module.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers_module.serialize(self.bias_regularizer)}
