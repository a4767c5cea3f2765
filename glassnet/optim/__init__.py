"""Optimizers with Keras's names, defaults and formulas, usable Keras-style
(``model.compile(optimizer=Adam(learning_rate=1e-3))``, ``apply_gradients``) or
PyTorch-style (``opt = Adam(model.parameters(), lr=1e-3); opt.step(); opt.zero_grad()``).
"""

from __future__ import annotations

from glassnet.naming import lookup
from glassnet.optim import schedules
from glassnet.optim.adam import Adam, Adamax, AdamW, Nadam
from glassnet.optim.adaptive import Adadelta, Adagrad, RMSprop
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.sgd import SGD

OPTIMIZERS = {c.__name__.lower(): c for c in (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW,
                                               Adamax, Nadam)}


def get(identifier):
    """An optimizer from a name ("adam", "sgd", ...; Keras's defaults), a
    ``{"class_name", "config"}`` dict or an instance.

    >>> get("adam").learning_rate
    0.001
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        cls = lookup(OPTIMIZERS, identifier["class_name"], "optimizer")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        return lookup(OPTIMIZERS, identifier, "optimizer")()
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer",
           "RMSprop", "get", "schedules", "serialize"]
