"""``Parameter``: a ``Variable`` that a layer owns and an optimizer updates (Keras's weight)."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.autograd.variable import Variable


class Parameter(Variable):
    """A layer's weight (what ``add_weight`` makes): a ``Variable`` with a regularizer.

    ``requires_grad`` follows ``trainable`` and the owning layer's ``trainable`` (the
    Variable's freezing): a frozen layer's parameters get no gradient, so optimizers leave
    them alone. Everything else (``assign``, ``assign_add``, ``numpy``, ``value``) is the
    Variable's.

    >>> p = Parameter(np.zeros(3), name="bias")
    >>> p.requires_grad, p.name
    (True, 'bias')
    """

    __slots__ = ("regularizer",)

    def __init__(self, data, name=None, trainable=True, regularizer=None, dtype=None):
        super().__init__(data, trainable=bool(trainable), dtype=dtype)
        self.regularizer = regularizer
        self.name = name  # a layer's weight may be unnamed until the layer names it

    def __repr__(self):
        return f"<Parameter '{self.name}' shape={self.shape} dtype={self.dtype}>"
