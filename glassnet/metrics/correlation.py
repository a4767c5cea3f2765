"""Correlation metrics: the running mean, over samples, of the Pearson or the concordance
correlation between y_true and y_pred along ``axis`` (the last: each sample's outputs).

.. math:: pearson = mean(\\hat t \\hat p),\\ \\hat x = (x - mean x) / std x;\\qquad
          concordance = \\frac{2\\, cov(t, p)}{var t + var p + (mean t - mean p)^2 + \\epsilon}

(population variances; eps = 1e-7).

>>> round(PearsonCorrelation()([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]), 4)
0.9934
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.metrics.base import MeanMetricWrapper
from glassnet.metrics.regression import _pair


def pearson_correlation(y_true, y_pred, axis=-1):
    t, p = _pair(y_true, y_pred)
    t = t - t.mean(axis=axis, keepdims=True)
    p = p - p.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant row: NaN, as Keras
        t = t / t.std(axis=axis, keepdims=True)
        p = p / p.std(axis=axis, keepdims=True)
    return (t * p).mean(axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    t, p = _pair(y_true, y_pred)
    t_mean, p_mean = t.mean(axis=axis, keepdims=True), p.mean(axis=axis, keepdims=True)
    norm = t.var(axis=axis, keepdims=True) + p.var(axis=axis, keepdims=True) + \
        (t_mean - p_mean) ** 2
    return (2 * (t - t_mean) * (p - p_mean) / (norm + 1e-7)).mean(axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    fn = staticmethod(pearson_correlation)
    shape_rule = "same"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype,
                         axis=checks.integer(axis, "axis", type(self).__name__, -64))


class ConcordanceCorrelation(MeanMetricWrapper):
    fn = staticmethod(concordance_correlation)
    shape_rule = "same"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype,
                         axis=checks.integer(axis, "axis", type(self).__name__, -64))
