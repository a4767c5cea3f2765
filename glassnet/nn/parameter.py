"""``Parameter``: a tensor that a layer owns and an optimizer updates (Keras's Variable)."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with a name, a ``trainable`` flag and an optional regularizer.

    ``requires_grad`` follows ``trainable`` and the owning layer's ``trainable``: a frozen
    layer's parameters get no gradient, so optimizers leave them alone.

    >>> p = Parameter(np.zeros(3), name="bias")
    >>> p.requires_grad, p.name
    (True, 'bias')
    """

    __slots__ = ("name", "_trainable", "regularizer", "_frozen")

    def __init__(self, data, name=None, trainable=True, regularizer=None, dtype=None):
        super().__init__(data, dtype=dtype)
        self.name = name
        self.regularizer = regularizer
        self._frozen = False
        self._trainable = bool(trainable)
        self._sync_requires_grad()

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self._sync_requires_grad()

    def _freeze(self, frozen):
        # Set by the owning layer's ``trainable``; the parameter's own flag is kept.
        self._frozen = frozen
        self._sync_requires_grad()

    def _sync_requires_grad(self):
        self._requires_grad = self._trainable and not self._frozen and \
            self.data.dtype.kind == "f"
        if not self._requires_grad:
            self.grad = None

    def assign(self, value):
        """Overwrite the values in place (shape must match)."""
        value = np.asarray(value.data if isinstance(value, Tensor) else value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Parameter '{self.name}' has shape {self.data.shape}; cannot assign a value of "
                f"shape {value.shape}"
            )
        self.data[...] = value

    @property
    def value(self):
        """The variable as the engine's tensor (Keras 3's ``variable.value``: on the torch
        backend a ``torch.Tensor``), so a custom ``train_step`` may read
        ``v.value.grad``; ``v.numpy()`` is the NumPy array."""
        return self

    def __repr__(self):
        return f"<Parameter '{self.name}' shape={self.shape} dtype={self.dtype}>"
