"""Hinge metrics: the running mean of the hinge losses (labels in {0, 1} are mapped to
{-1, 1} first, as Keras does).

.. math:: hinge = mean(max(1 - t p, 0)),\\ squared\\_hinge = mean(max(1 - t p, 0)^2),
          categorical\\_hinge = max(max_{k \\ne y} p_k - p_y + 1, 0)

>>> round(Hinge()([[0.0, 1.0]], [[0.6, 0.4]]), 4)
1.1
"""

from __future__ import annotations

import numpy as np

from glassnet.metrics.base import MeanMetricWrapper
from glassnet.metrics.regression import _pair


def _signed(t):
    return 2.0 * t - 1.0 if np.isin(t, (0.0, 1.0)).all() else t


def hinge(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    per = np.maximum(1.0 - _signed(t) * p, 0.0)
    return per.mean(axis=-1) if per.ndim >= 2 else per


def squared_hinge(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    per = np.maximum(1.0 - _signed(t) * p, 0.0) ** 2
    return per.mean(axis=-1) if per.ndim >= 2 else per


def categorical_hinge(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    pos = (t * p).sum(axis=-1)
    neg = ((1.0 - t) * p).max(axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


class Hinge(MeanMetricWrapper):
    fn = staticmethod(hinge)
    shape_rule = "same"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    fn = staticmethod(squared_hinge)
    shape_rule = "same"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    fn = staticmethod(categorical_hinge)
    shape_rule = "same"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
