"""Regression metrics: MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
MeanSquaredLogarithmicError, RootMeanSquaredError, R2Score."""

from __future__ import annotations

import math

import numpy as np

from glassnet import checks
from glassnet.metrics.base import Mean, MeanMetricWrapper, Metric, align, as_array, check_weight


def _pair(y_true, y_pred):
    t, p = align(as_array(y_true).astype(np.float64), as_array(y_pred).astype(np.float64))
    if t.shape != p.shape:
        raise ValueError(f"expected y_true and y_pred of one shape; received {t.shape} and "
                         f"{p.shape}")
    return t, p


def mean_squared_error(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    sq = (p - t) ** 2
    return sq.mean(axis=-1) if sq.ndim >= 2 else sq


def mean_absolute_error(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    ab = np.abs(p - t)
    return ab.mean(axis=-1) if ab.ndim >= 2 else ab


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean |(t - p) / t| over the last axis (|t| at least 1e-7, as Keras)."""
    t, p = _pair(y_true, y_pred)
    ape = 100.0 * np.abs((t - p) / np.maximum(np.abs(t), 1e-7))
    return ape.mean(axis=-1) if ape.ndim >= 2 else ape


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean (log(1 + p) - log(1 + t))^2 over the last axis, p and t at least 1e-7 (Keras)."""
    t, p = _pair(y_true, y_pred)
    sq = (np.log1p(np.maximum(p, 1e-7)) - np.log1p(np.maximum(t, 1e-7))) ** 2
    return sq.mean(axis=-1) if sq.ndim >= 2 else sq


class MeanAbsolutePercentageError(MeanMetricWrapper):
    fn = staticmethod(mean_absolute_percentage_error)
    shape_rule = "same"


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    fn = staticmethod(mean_squared_logarithmic_error)
    shape_rule = "same"


class MeanSquaredError(MeanMetricWrapper):
    fn = staticmethod(mean_squared_error)
    shape_rule = "same"


class MeanAbsoluteError(MeanMetricWrapper):
    fn = staticmethod(mean_absolute_error)
    shape_rule = "same"


class RootMeanSquaredError(Mean):
    """sqrt of the mean squared error over everything seen."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = self.check_shapes(y_true, y_pred)
        super().update_state(mean_squared_error(t, p), sample_weight)

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def result(self):
        return math.sqrt(super().result())


class R2Score(Metric):
    """Coefficient of determination 1 - SS_res / SS_tot per output column, averaged
    ("uniform_average") or not (None); ``num_regressors`` gives the adjusted R2."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        allowed = (None, "uniform_average", "variance_weighted_average")
        if not (class_aggregation is None or
                (isinstance(class_aggregation, str) and class_aggregation in allowed)):
            raise ValueError(f"R2Score: invalid value for argument `class_aggregation`. "
                             f"Expected one of {allowed}. Received: "
                             f"class_aggregation={class_aggregation!r}")
        num_regressors = checks.integer(num_regressors, "num_regressors", "R2Score", 0)
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.n = self.sum = self.sum_sq = self.res = None
        self.num_samples = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = self.check_shapes(y_true, y_pred)
        t, p = _pair(t, p)
        if t.ndim == 0:
            raise ValueError(f"R2Score metric '{self.name}': expected y_true and y_pred with a "
                             f"batch axis; received scalars")
        t = t.reshape(len(t), -1)
        p = p.reshape(len(p), -1)
        w = np.ones((len(t), 1)) if sample_weight is None else \
            check_weight(self, sample_weight, (len(t),)).astype(np.float64).reshape(-1, 1)
        stats = [np.broadcast_to(w, t.shape).sum(0), (w * t).sum(0), (w * t * t).sum(0),
                 (w * (t - p) ** 2).sum(0)]
        if self.n is None:
            self.n, self.sum, self.sum_sq, self.res = stats
        else:
            self.n, self.sum, self.sum_sq, self.res = (a + b for a, b in zip(
                (self.n, self.sum, self.sum_sq, self.res), stats))
        self.num_samples += t.size  # Keras's n of the adjusted R2: every entry, unweighted

    def result(self):
        if self.n is None:
            return 0.0
        total = self.sum_sq - self.sum ** 2 / self.n
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = 1 - self.res / total
        # a constant column: 0 where it is mispredicted, NaN where it is exact (as Keras)
        r2 = np.where(np.isinf(r2), 0.0, r2)
        if self.class_aggregation == "uniform_average":
            r2 = r2.mean()
        elif self.class_aggregation == "variance_weighted_average":
            r2 = (r2 * total).sum() / total.sum()
        n, k = float(self.num_samples), self.num_regressors
        if k and k < n - 1:  # otherwise Keras falls back to the plain R2 (with a warning)
            r2 = 1 - (1 - r2) * (n - 1) / (n - k - 1)
        return float(r2) if np.ndim(r2) == 0 else r2

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


def cosine_similarity(y_true, y_pred, axis=-1):
    """sum(t / |t| * p / |p|) over ``axis`` (norms at least 1e-7, as Keras): 1 when the
    vectors point the same way, 0 when orthogonal, -1 when opposite."""
    t, p = _pair(y_true, y_pred)

    def unit(x):
        return x / np.maximum(np.sqrt((x * x).sum(axis=axis, keepdims=True)), 1e-7)

    return (unit(t) * unit(p)).sum(axis=axis)


def log_cosh(y_true, y_pred):
    """mean log(cosh(p - t)) over the last axis, as e + log1p(e^(-2e)) - log 2 (no
    overflow for large errors)."""
    t, p = _pair(y_true, y_pred)
    e = p - t
    per = e + np.logaddexp(0.0, -2.0 * e) - math.log(2.0)
    return per.mean(axis=-1) if per.ndim >= 2 else per


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between y_true and y_pred along ``axis``."""

    fn = staticmethod(cosine_similarity)
    shape_rule = "same"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=checks.integer(axis, "axis",
                                                                     "CosineSimilarity", -64))


class LogCoshError(MeanMetricWrapper):
    """The mean of log(cosh(y_pred - y_true))."""

    fn = staticmethod(log_cosh)
    shape_rule = "same"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)
