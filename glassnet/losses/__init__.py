"""Losses with Keras's names: classes (``MeanSquaredError()``), per-sample functions
(``mean_squared_error``), string names and aliases (``"mse"``), all resolved by ``get``.

>>> import numpy as np
>>> loss = MeanSquaredError()
>>> round(loss(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])).item(), 3)
0.5
"""

from __future__ import annotations

from glassnet.losses import functions as _f
from glassnet.losses.base import Loss, LossFunctionWrapper, reduce_losses
from glassnet.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from glassnet.naming import lookup


def _validate_smoothing(value, cls):
    if not 0 <= value <= 1:
        raise ValueError(f"{cls}: label_smoothing must be in [0, 1]. Received: "
                         f"label_smoothing={value}")
    return float(value)


class MeanSquaredError(LossFunctionWrapper):
    """mean((y_pred - y_true)**2) per sample."""

    fn = staticmethod(_f.mean_squared_error)


class MeanAbsoluteError(LossFunctionWrapper):
    """mean(|y_pred - y_true|) per sample."""

    fn = staticmethod(_f.mean_absolute_error)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    fn = staticmethod(_f.mean_absolute_percentage_error)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    fn = staticmethod(_f.mean_squared_logarithmic_error)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy; ``from_logits=True`` for raw scores (stable, fused)."""

    fn = staticmethod(_f.binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name=None):
        super().__init__(reduction=reduction, name=name, from_logits=bool(from_logits),
                         label_smoothing=_validate_smoothing(label_smoothing, "BinaryCrossentropy"))


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy against one-hot (or soft) targets; ``from_logits=True`` for raw scores."""

    fn = staticmethod(_f.categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name=None):
        super().__init__(reduction=reduction, name=name, from_logits=bool(from_logits),
                         label_smoothing=_validate_smoothing(label_smoothing,
                                                             "CategoricalCrossentropy"))


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy against integer class labels; ``from_logits=True`` for raw scores."""

    fn = staticmethod(_f.sparse_categorical_crossentropy)
    _sparse = True

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name, from_logits=bool(from_logits))


class Hinge(LossFunctionWrapper):
    fn = staticmethod(_f.hinge)


class SquaredHinge(LossFunctionWrapper):
    fn = staticmethod(_f.squared_hinge)


class CategoricalHinge(LossFunctionWrapper):
    fn = staticmethod(_f.categorical_hinge)


class Huber(LossFunctionWrapper):
    """Squared error below ``delta``, linear above (robust to outliers)."""

    fn = staticmethod(_f.huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        if delta <= 0:
            raise ValueError(f"Huber: delta must be positive. Received: delta={delta}")
        super().__init__(reduction=reduction, name=name, delta=float(delta))


class LogCosh(LossFunctionWrapper):
    fn = staticmethod(_f.log_cosh)


class KLDivergence(LossFunctionWrapper):
    fn = staticmethod(_f.kl_divergence)


class Poisson(LossFunctionWrapper):
    fn = staticmethod(_f.poisson)


class CosineSimilarity(LossFunctionWrapper):
    fn = staticmethod(_f.cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name, axis=axis)


_CLASSES = {
    MeanSquaredError: ("mean_squared_error", "mse"),
    MeanAbsoluteError: ("mean_absolute_error", "mae"),
    MeanAbsolutePercentageError: ("mean_absolute_percentage_error", "mape"),
    MeanSquaredLogarithmicError: ("mean_squared_logarithmic_error", "msle"),
    BinaryCrossentropy: ("binary_crossentropy", "bce"),
    CategoricalCrossentropy: ("categorical_crossentropy", "cce"),
    SparseCategoricalCrossentropy: ("sparse_categorical_crossentropy", "scce"),
    Hinge: ("hinge",),
    SquaredHinge: ("squared_hinge",),
    CategoricalHinge: ("categorical_hinge",),
    Huber: ("huber", "huber_loss"),
    LogCosh: ("log_cosh", "logcosh"),
    KLDivergence: ("kl_divergence", "kld", "kullback_leibler_divergence"),
    Poisson: ("poisson",),
    CosineSimilarity: ("cosine_similarity",),
}
LOSSES = {}
for _cls, _names in _CLASSES.items():
    LOSSES[_cls.__name__.lower()] = _cls
    for _name in _names:
        LOSSES[_name] = _cls
FUNCTIONS = {names[0]: cls.fn for cls, names in _CLASSES.items()}
_KNOWN = [name for names in _CLASSES.values() for name in names]


def get(identifier):
    """A ``Loss`` from a name or alias ("mse", "sparse_categorical_crossentropy",
    "MeanSquaredError"), a ``{"class_name", "config"}`` dict, a class, an instance, or a
    callable ``(y_true, y_pred) -> per-sample losses`` (wrapped, reduced as Keras does).

    >>> get("mse")
    MeanSquaredError({'name': 'mean_squared_error', 'reduction': 'sum_over_batch_size'})
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        cls = lookup(LOSSES, identifier["class_name"], "loss", _KNOWN)
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = lookup(LOSSES, identifier, "loss", _KNOWN)
        return cls(name=_CLASSES[cls][0]) if cls is not Huber else cls()
    for cls, names in _CLASSES.items():
        if identifier is cls.fn:
            return cls(name=names[0])
    if callable(identifier):
        wrapper = type("FunctionLoss", (LossFunctionWrapper,), {"fn": staticmethod(identifier)})
        return wrapper(name=getattr(identifier, "__name__", "loss"))
    raise TypeError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity",
    "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "binary_crossentropy", "categorical_crossentropy", "categorical_hinge",
    "cosine_similarity", "get", "hinge", "huber", "kl_divergence", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "reduce_losses", "serialize",
    "sparse_categorical_crossentropy", "squared_hinge",
]
# Keras's short aliases for the functions
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
