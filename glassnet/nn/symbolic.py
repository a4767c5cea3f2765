"""``SymbolicTensor``: a shape without values, for declaring models before data exists.

``Input(shape=(784,))`` returns one; calling a layer on it builds the layer and returns the
symbolic output, remembering which layer made it from which inputs, so a model can later be
traced from its inputs to its outputs (Keras's KerasTensor).
"""

from __future__ import annotations

import numpy as np


class SymbolicTensor:
    """The shape (batch axis None) and dtype of a value a model will compute."""

    def __init__(self, shape, dtype, layer=None, inputs=None, name=None, training=None,
                 call_kwargs=None, args=()):
        self.shape = tuple(shape)
        # The call's other arguments: positional ones after the first (``layer(a, b)``) and
        # keyword ones (``use_causal_mask=True``, ``value=v``). Symbolic tensors among them
        # are inputs of the call as the first argument's are; the rest are plain values the
        # replay passes again.
        self.args = tuple(args)
        self.call_kwargs = dict(call_kwargs or {})
        # A call written as base(x, training=False) keeps that mode whatever the model's:
        # Keras's way to fine-tune a base with BatchNormalization still in inference mode.
        self.training = training
        self.dtype = np.dtype(dtype)
        self.layer = layer
        self.inputs = inputs
        self.name = name or (layer.name if layer is not None else None)

    def parents(self):
        """Every symbolic tensor the call that made this one read, in argument order."""
        found = []
        _collect(self.inputs, found)
        _collect(self.args, found)
        _collect(list(self.call_kwargs.values()), found)
        return found

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype.name}, name={self.name}>"

    # Arithmetic between model tensors, as Keras's functional models write it
    # (``z_mean + ops.exp(0.5 * z_log_var) * eps``): each operator is a layer of the graph.
    def __add__(self, other):
        return _operator_layer("add", lambda a, b: a + b, self, other)

    def __radd__(self, other):
        return _operator_layer("add", lambda a, b: a + b, other, self)

    def __sub__(self, other):
        return _operator_layer("subtract", lambda a, b: a - b, self, other)

    def __rsub__(self, other):
        return _operator_layer("subtract", lambda a, b: a - b, other, self)

    def __mul__(self, other):
        return _operator_layer("multiply", lambda a, b: a * b, self, other)

    def __rmul__(self, other):
        return _operator_layer("multiply", lambda a, b: a * b, other, self)

    def __truediv__(self, other):
        return _operator_layer("divide", lambda a, b: a / b, self, other)

    def __rtruediv__(self, other):
        return _operator_layer("divide", lambda a, b: a / b, other, self)

    def __pow__(self, other):
        return _operator_layer("power", lambda a, b: a ** b, self, other)

    def __matmul__(self, other):
        return _operator_layer("matmul", lambda a, b: a @ b, self, other)

    def __neg__(self):
        return _operator_layer("negative", lambda a: -a, self)

    def __getitem__(self, key):
        return _operator_layer("get_item", lambda a: a[key], self, key=key)


def _collect(value, found):
    if isinstance(value, SymbolicTensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, found)
    elif isinstance(value, dict):
        _collect(list(value.values()), found)


def _operator_layer(name, fn, *operands, key=None):
    """``fn(*operands)`` as a layer over the symbolic operands (the others are constants of
    the layer): a ``TensorOperator``, which saves with the model (``fn`` is the operator it
    names; it documents each call above)."""
    from glassnet.nn.context import unique_name
    from glassnet.nn.layers.operators import TensorOperator

    places = [i for i, x in enumerate(operands) if isinstance(x, SymbolicTensor)]
    constants = [None if isinstance(x, SymbolicTensor) else x for x in operands]
    symbolic = [operands[i] for i in places]
    layer = TensorOperator(name, constants=constants, places=places, key=key,
                           name=unique_name(name))
    return layer(symbolic if len(symbolic) > 1 else symbolic[0])
