"""``SymbolicTensor``: a shape without values, for declaring models before data exists.

``Input(shape=(784,))`` returns one; calling a layer on it builds the layer and returns the
symbolic output, remembering which layer made it from which inputs, so a model can later be
traced from its inputs to its outputs (Keras's KerasTensor).
"""

from __future__ import annotations

import numpy as np


class SymbolicTensor:
    """The shape (batch axis None) and dtype of a value a model will compute."""

    def __init__(self, shape, dtype, layer=None, inputs=None, name=None, training=None):
        self.shape = tuple(shape)
        # A call written as base(x, training=False) keeps that mode whatever the model's:
        # Keras's way to fine-tune a base with BatchNormalization still in inference mode.
        self.training = training
        self.dtype = np.dtype(dtype)
        self.layer = layer
        self.inputs = inputs
        self.name = name or (layer.name if layer is not None else None)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype.name}, name={self.name}>"
