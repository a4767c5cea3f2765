"""``keras.optimizers`` (and ``keras.optimizers.schedules``)."""

from glassnet.keras.optimizers import schedules
from glassnet.optim import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    Optimizer,
    RMSprop,
    get,
    serialize,
)

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer",
           "RMSprop", "get", "schedules", "serialize"]
