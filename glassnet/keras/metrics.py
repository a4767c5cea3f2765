"""``keras.metrics``."""

from glassnet.losses import (  # Keras 3 lists these loss functions as metrics too
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    huber,
)
from glassnet.metrics import *  # noqa: F403
from glassnet.metrics import __all__ as _metrics_all

__all__ = [*_metrics_all, "binary_focal_crossentropy", "categorical_focal_crossentropy",
           "huber"]
