"""Losses with Keras's names: classes (``MeanSquaredError()``), per-sample functions
(``mean_squared_error``), string names and aliases (``"mse"``), all resolved by ``get``.

>>> import numpy as np
>>> loss = MeanSquaredError()
>>> round(loss(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])).item(), 3)
0.5
"""

from __future__ import annotations

import numpy as np

from glassnet.losses import functions as _f
from glassnet.losses.base import Loss, LossFunctionWrapper, masked_sample_weight, reduce_losses
from glassnet.losses.ctc import ctc, ctc_loss
from glassnet.losses.focal import binary_focal_crossentropy, categorical_focal_crossentropy
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
from glassnet.losses.overlap import dice, tversky
from glassnet.losses.robust import categorical_generalized_cross_entropy
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

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits),
                         label_smoothing=_validate_smoothing(label_smoothing,
                                                             "BinaryCrossentropy"),
                         axis=_axis(axis, "BinaryCrossentropy"))


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy against one-hot (or soft) targets; ``from_logits=True`` for raw scores."""

    fn = staticmethod(_f.categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits),
                         label_smoothing=_validate_smoothing(label_smoothing,
                                                             "CategoricalCrossentropy"),
                         axis=_axis(axis, "CategoricalCrossentropy"))


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy against integer class labels; ``from_logits=True`` for raw scores.

    ``ignore_class``: entries with that label count in neither the loss nor, for the mean
    reductions, the number of entries (Keras's masking, e.g. a segmentation "void" class).
    """

    fn = staticmethod(_f.sparse_categorical_crossentropy)
    _sparse = True

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits))
        if ignore_class is not None and (isinstance(ignore_class, bool) or
                                         not isinstance(ignore_class, (int, np.integer))):
            raise TypeError(f"SparseCategoricalCrossentropy: `ignore_class` must be None or "
                            f"an integer. Received: ignore_class={ignore_class!r}")
        self.ignore_class = None if ignore_class is None else int(ignore_class)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight)
        labels = np.asarray(getattr(y_true, "data", y_true))
        if labels.ndim == np.ndim(getattr(y_pred, "data", y_pred)) and labels.shape[-1:] == (1,):
            labels = labels[..., 0]
        keep = labels != self.ignore_class
        weight = masked_sample_weight(sample_weight, keep, self.reduction)
        return super().__call__(np.where(keep, labels, 0), y_pred, weight)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}


def _axis(value, owner):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: `axis` must be an integer. Received: axis={value!r}")
    return int(value)


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


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy scaled by (1 - p_t)^gamma (and by alpha / 1 - alpha for the
    positives / negatives with ``apply_class_balancing``): hard examples weigh more."""

    fn = staticmethod(binary_focal_crossentropy)

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits),
                         label_smoothing=_validate_smoothing(label_smoothing,
                                                             "BinaryFocalCrossentropy"),
                         axis=axis, apply_class_balancing=bool(apply_class_balancing),
                         alpha=_real(alpha, "alpha", "BinaryFocalCrossentropy"),
                         gamma=_real(gamma, "gamma", "BinaryFocalCrossentropy", low=0.0))


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy with each class term scaled by alpha (1 - p_k)^gamma."""

    fn = staticmethod(categorical_focal_crossentropy)

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits),
                         label_smoothing=_validate_smoothing(label_smoothing,
                                                             "CategoricalFocalCrossentropy"),
                         axis=axis,
                         alpha=_real(alpha, "alpha", "CategoricalFocalCrossentropy"),
                         gamma=_real(gamma, "gamma", "CategoricalFocalCrossentropy", low=0.0))


class Dice(LossFunctionWrapper):
    """1 - Dice coefficient over ``axis`` (None: the whole batch is one overlap)."""

    fn = staticmethod(dice)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """1 - Tversky index: ``alpha`` weighs false negatives, ``beta`` false positives."""

    fn = staticmethod(tversky)

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         alpha=_real(alpha, "alpha", "Tversky"),
                         beta=_real(beta, "beta", "Tversky"), axis=axis)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """(1 - p_y^q) / q with integer labels y: between the cross-entropy (q -> 0) and the
    mean absolute error (q = 1), robust to noisy labels."""

    fn = staticmethod(categorical_generalized_cross_entropy)
    _sparse = True

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        q = _real(q, "q", "CategoricalGeneralizedCrossEntropy")
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: `q` must be in the "
                             f"interval (0, 1). Received: q={q}")
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)


class CTC(LossFunctionWrapper):
    """CTC loss of integer labels (batch, max_length), 0-padded (0 is the blank), against
    logits (batch, time, classes); see ``glassnet.losses.ctc``."""

    fn = staticmethod(ctc)
    _sparse = True  # labels and logits differ in rank by design

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


def _real(value, arg, owner, low=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: `{arg}` must be a number. Received: {arg}={value!r} "
                        f"(of type {type(value).__name__})")
    if low is not None and value < low:
        raise ValueError(f"{owner}: `{arg}` must be >= {low}. Received: {arg}={value}")
    return float(value)


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
    BinaryFocalCrossentropy: ("binary_focal_crossentropy",),
    CategoricalFocalCrossentropy: ("categorical_focal_crossentropy",),
    Dice: ("dice",),
    Tversky: ("tversky",),
    CTC: ("ctc",),
    CategoricalGeneralizedCrossEntropy: ("categorical_generalized_cross_entropy",),
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


def deserialize(config, custom_objects=None):
    """The loss a ``serialize`` dict describes (built-in classes, or ``custom_objects``);
    nothing in it is executed."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"deserialize: expected a dict with a 'class_name' string. "
                         f"Received: {config!r}")
    custom = dict(custom_objects or {})
    name = config["class_name"]
    cls = custom[name] if name in custom else lookup(LOSSES, name, "loss", _KNOWN)
    return cls.from_config(dict(config.get("config") or {}))


__all__ = [
    "BinaryFocalCrossentropy", "CTC", "CategoricalFocalCrossentropy", "Dice", "Tversky",
    "CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "ctc", "ctc_loss", "dice",
    "tversky", "deserialize",
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
