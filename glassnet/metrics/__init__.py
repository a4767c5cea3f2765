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
from glassnet.metrics.base import Mean, MeanMetricWrapper, Metric
from glassnet.metrics.confusion import AUC, F1Score, Precision, Recall, confusion_matrix
from glassnet.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    sparse_categorical_crossentropy,
)
from glassnet.metrics.regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from glassnet.naming import lookup

_CLASSES = {
    Accuracy: ("accuracy", "acc"), BinaryAccuracy: ("binary_accuracy",),
    CategoricalAccuracy: ("categorical_accuracy",),
    SparseCategoricalAccuracy: ("sparse_categorical_accuracy",),
    TopKCategoricalAccuracy: ("top_k_categorical_accuracy",),
    SparseTopKCategoricalAccuracy: ("sparse_top_k_categorical_accuracy",),
    Precision: ("precision",), Recall: ("recall",), F1Score: ("f1_score", "f1"),
    AUC: ("auc",), MeanSquaredError: ("mean_squared_error", "mse"),
    MeanAbsoluteError: ("mean_absolute_error", "mae"),
    MeanAbsolutePercentageError: ("mean_absolute_percentage_error", "mape"),
    MeanSquaredLogarithmicError: ("mean_squared_logarithmic_error", "msle"),
    RootMeanSquaredError: ("root_mean_squared_error", "rmse"), R2Score: ("r2_score", "r2"),
    Mean: ("mean",), BinaryCrossentropy: ("binary_crossentropy",),
    CategoricalCrossentropy: ("categorical_crossentropy",),
    SparseCategoricalCrossentropy: ("sparse_categorical_crossentropy",),
    KLDivergence: ("kl_divergence", "kld"),
}
METRICS = {}
for _cls, _names in _CLASSES.items():
    METRICS[_cls.__name__.lower()] = _cls
    for _name in _names:
        METRICS[_name] = _cls
_KNOWN = [name for names in _CLASSES.values() for name in names]


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """A metric from a name, a class, an instance or a per-sample function.

    "accuracy"/"acc" become binary, categorical or sparse categorical accuracy when the
    shapes (or the loss) are given, as Keras's compile does; otherwise exact-match accuracy.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc") and \
            y_true_shape is not None and y_pred_shape is not None:
        return resolve_accuracy(tuple(y_true_shape), tuple(y_pred_shape), loss, identifier)
    if isinstance(identifier, str):
        cls = lookup(METRICS, identifier, "metric", _KNOWN)
        return cls(name=identifier)  # Keras names a metric given as a string by that string
    if callable(identifier):
        wrapper = type("FunctionMetric", (MeanMetricWrapper,), {"fn": staticmethod(identifier),
                                                                "shape_rule": "batch"})
        return wrapper(name=getattr(identifier, "__name__", "metric"))
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")


__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalCrossentropy",
    "KLDivergence", "SparseCategoricalCrossentropy", "binary_crossentropy",
    "categorical_crossentropy", "kl_divergence", "sparse_categorical_crossentropy",
    "CategoricalAccuracy", "F1Score", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "MeanMetricWrapper",
    "MeanSquaredError", "Metric", "Precision",
    "R2Score", "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "confusion_matrix", "get", "mean_absolute_error",
    "mean_squared_error", "resolve_accuracy", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]
