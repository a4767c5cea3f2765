"""Overlap losses for segmentation: Dice and Tversky, one minus a soft overlap ratio of
y_true and y_pred (reduced over ``axis``; None: the whole batch gives one number, as Keras).

.. math:: dice = 1 - \\frac{2 \\sum t p}{\\sum t + \\sum p + \\epsilon},\\qquad
          tversky = 1 - \\frac{\\sum t p}{\\sum t p + \\alpha \\sum t (1 - p)
          + \\beta \\sum (1 - t) p + \\epsilon}

(eps = 1e-7; Tversky with alpha = beta = 0.5 is the Dice loss.)

>>> import numpy as np
>>> round(float(dice(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])).numpy()), 4)
0.5
"""

from __future__ import annotations

from glassnet.autograd import ops
from glassnet.autograd.ops.loss import EPSILON, _same_shape


def _sum(x, axis):
    return ops.sum(x) if axis is None else ops.sum(x, axis=axis)


def dice(y_true, y_pred, axis=None):
    """1 - 2 sum(t p) / (sum t + sum p + eps) over ``axis`` (None: everything)."""
    y_true, y_pred = _same_shape(y_true, y_pred, "dice")
    intersection = _sum(y_true * y_pred, axis)
    return 1.0 - intersection * 2.0 / (_sum(y_true, axis) + _sum(y_pred, axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - TP / (TP + alpha FN + beta FP + eps), TP = sum(t p), FN = sum(t (1 - p)),
    FP = sum((1 - t) p): alpha weighs the missed positives, beta the false alarms."""
    y_true, y_pred = _same_shape(y_true, y_pred, "tversky")
    intersection = _sum(y_true * y_pred, axis)
    missed = _sum((1.0 - y_pred) * y_true, axis)
    false_alarms = _sum(y_pred * (1.0 - y_true), axis)
    return 1.0 - intersection / (intersection + missed * alpha + false_alarms * beta + EPSILON)
