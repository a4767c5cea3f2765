"""Weight penalties added to the loss (Keras's ``keras.regularizers``).

L1: l1 * sum(|w|), which pushes weights to exactly 0; L2: l2 * sum(w**2) ("weight decay"
through the loss), which shrinks them. The layer's ``losses`` list holds one term per
regularized weight, recomputed from the current values each time it is read.
"""

from __future__ import annotations

from glassnet.autograd import ops
from glassnet.naming import Configurable, lookup


def _check_factor(value, name, cls):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{cls}: {name} must be a non-negative number. Received: "
                         f"{name}={value!r}")
    return float(value)


class Regularizer(Configurable):
    """Base class: ``regularizer(weight)`` returns a scalar tensor."""

    def __call__(self, x):
        raise NotImplementedError


class L1L2(Regularizer):
    """l1 * sum(|w|) + l2 * sum(w**2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(l1, "l1", type(self).__name__)
        self.l2 = _check_factor(l2, "l2", type(self).__name__)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            penalty = penalty + ops.sum(x * x) * self.l2
        return penalty if self.l1 or self.l2 else ops.sum(x * 0.0)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum(|w|)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum(w**2)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


l1 = L1
l2 = L2
l1_l2 = L1L2
REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier):
    """A regularizer from a name ('l1', 'l2', 'l1_l2' with Keras's default factors), a
    config dict, an instance or a callable ``weight -> scalar tensor``."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        cls = lookup(REGULARIZERS, identifier["class_name"], "regularizer")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    return lookup(REGULARIZERS, identifier, "regularizer")()


def serialize(regularizer):
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    return regularizer
