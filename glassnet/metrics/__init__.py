"""Metrics with Keras's names: stateful classes (update_state / result / reset_state),
per-sample functions, and string names resolved by ``get``."""

from __future__ import annotations

from glassnet.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    resolve_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from glassnet.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from glassnet.metrics.confusion import confusion_matrix
from glassnet.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from glassnet.metrics.curves import (
    AUC,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SensitivitySpecificityBase,
    SpecificityAtSensitivity,
)
from glassnet.metrics.fscore import F1Score, FBetaScore
from glassnet.metrics.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from glassnet.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from glassnet.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from glassnet.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    cosine_similarity,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from glassnet.metrics.thresholds import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from glassnet.naming import lookup, snake_case

# Each class answers to its name, its snake_case name (both as Keras 3) and these aliases
# (Keras 3's short names and tf.keras 2's function names).
_CLASSES = {
    Accuracy: ("acc",), BinaryAccuracy: (), CategoricalAccuracy: (),
    SparseCategoricalAccuracy: (), TopKCategoricalAccuracy: (),
    SparseTopKCategoricalAccuracy: (), Precision: (), Recall: (), F1Score: ("f1",),
    FBetaScore: ("fbeta_score",), AUC: (), TruePositives: (), FalsePositives: (), TrueNegatives: (),
    FalseNegatives: (), PrecisionAtRecall: (), RecallAtPrecision: (),
    SensitivityAtSpecificity: (), SpecificityAtSensitivity: (),
    IoU: (), BinaryIoU: (), MeanIoU: (), OneHotIoU: (), OneHotMeanIoU: (),
    MeanSquaredError: ("mse",), MeanAbsoluteError: ("mae",),
    MeanAbsolutePercentageError: ("mape",), MeanSquaredLogarithmicError: ("msle",),
    RootMeanSquaredError: ("rmse",), R2Score: ("r2",), CosineSimilarity: (),
    LogCoshError: ("logcosh", "log_cosh"), Mean: (), Sum: (),
    BinaryCrossentropy: ("bce",), CategoricalCrossentropy: (),
    SparseCategoricalCrossentropy: (), KLDivergence: ("kld", "kullback_leibler_divergence"),
    Poisson: (), Hinge: (), SquaredHinge: (), CategoricalHinge: (),
    PearsonCorrelation: (), ConcordanceCorrelation: (),
}
# Chosen by the label and prediction shapes, as "accuracy" (tf.keras 2's metric names).
_CROSSENTROPY = ("crossentropy", "ce")
METRICS = {}
for _cls, _names in _CLASSES.items():
    for _name in (_cls.__name__, snake_case(_cls.__name__), *_names):
        METRICS[_name.lower()] = _cls
_KNOWN = sorted({snake_case(c.__name__) for c in _CLASSES} |
                {n for names in _CLASSES.values() for n in names} | set(_CROSSENTROPY))


def _resolve_crossentropy(y_true_shape, y_pred_shape, name):
    if y_pred_shape and y_pred_shape[-1] == 1:
        return BinaryCrossentropy(name=name)
    sparse = len(y_true_shape) == len(y_pred_shape) - 1 or \
        (len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1:] == (1,))
    return SparseCategoricalCrossentropy(name=name) if sparse else \
        CategoricalCrossentropy(name=name)


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """A metric from a name, a ``{"class_name", "config"}`` dict, a class, an instance or a
    per-sample function.

    "accuracy"/"acc" become binary, categorical or sparse categorical accuracy when the
    shapes (or the loss) are given, as Keras's compile does; otherwise exact-match accuracy.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    shaped = y_true_shape is not None and y_pred_shape is not None
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc") and shaped:
        return resolve_accuracy(tuple(y_true_shape), tuple(y_pred_shape), loss, identifier)
    if isinstance(identifier, str) and identifier.lower() in _CROSSENTROPY:
        if not shaped:  # compile checks the name; the first batch's shapes choose the kind
            return CategoricalCrossentropy(name=identifier)
        return _resolve_crossentropy(tuple(y_true_shape), tuple(y_pred_shape), identifier)
    if isinstance(identifier, str):
        cls = lookup(METRICS, identifier, "metric", _KNOWN)
        return cls(name=identifier)  # Keras names a metric given as a string by that string
    if callable(identifier):
        wrapper = type("FunctionMetric", (MeanMetricWrapper,), {"fn": staticmethod(identifier),
                                                                "shape_rule": "batch"})
        return wrapper(name=getattr(identifier, "__name__", "metric"))
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")


def serialize(metric):
    """``{"class_name", "config"}`` of a built-in metric."""
    if not isinstance(metric, Metric):
        raise TypeError(f"serialize: expected a Metric. Received: {metric!r}")
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config, custom_objects=None):
    """The metric a ``serialize`` dict describes (built-in classes, or ``custom_objects``);
    nothing in it is executed."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"deserialize: expected a dict with a 'class_name' string. "
                         f"Received: {config!r}")
    name = config["class_name"]
    custom = dict(custom_objects or {})
    cls = custom[name] if name in custom else lookup(METRICS, name, "metric", _KNOWN)
    return cls.from_config(dict(config.get("config") or {}))


__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU",
    "CategoricalAccuracy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity",
    "ConcordanceCorrelation", "PearsonCorrelation", "concordance_correlation",
    "pearson_correlation",
    "F1Score", "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "IoU",
    "KLDivergence", "LogCoshError", "Mean", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Metric", "OneHotIoU", "OneHotMeanIoU", "Poisson",
    "Precision", "PrecisionAtRecall", "R2Score", "Recall", "RecallAtPrecision",
    "RootMeanSquaredError", "SensitivityAtSpecificity", "SensitivitySpecificityBase",
    "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity", "SquaredHinge", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy",
    "binary_accuracy", "binary_crossentropy", "categorical_accuracy",
    "categorical_crossentropy", "categorical_hinge", "confusion_matrix", "cosine_similarity",
    "deserialize", "get", "hinge", "kl_divergence", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "poisson", "resolve_accuracy", "serialize", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy", "squared_hinge",
    "top_k_categorical_accuracy",
]
