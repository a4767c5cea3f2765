"""Focal cross-entropies (Lin et al. 2017): the cross-entropy of each entry scaled by
(1 - p_t)^gamma, so that well-classified entries (p_t near 1) weigh little and training
concentrates on the hard ones.

.. math:: binary: mean_k\\, [w]\\,(1 - p_t)^\\gamma\\, bce(t, p),\\quad
          p_t = t p + (1 - t)(1 - p),\\ w = \\alpha t + (1 - \\alpha)(1 - t)

.. math:: categorical: \\sum_k -\\alpha (1 - p_k)^\\gamma\\, t_k \\log p_k

(probabilities clipped to [eps, 1 - eps], eps = 1e-7, as Keras; gamma = 0 and no class
balancing give the plain cross-entropies).

>>> import numpy as np
>>> loss = binary_focal_crossentropy(np.array([[1.0, 0.0]]), np.array([[0.9, 0.2]]))
>>> round(float(loss.numpy()[0]), 5)
0.00499
"""

from __future__ import annotations

from glassnet.autograd import ops
from glassnet.autograd.ops.loss import EPSILON, _same_shape


def _mean(x, axis):
    return ops.mean(x, axis=axis) if x.ndim else x


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary focal cross-entropy, averaged over ``axis``."""
    y_true, y_pred = _same_shape(y_true, y_pred, "binary_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    p = ops.sigmoid(y_pred) if from_logits else y_pred
    clipped = ops.clip(p, EPSILON, 1.0 - EPSILON)
    bce = -(y_true * ops.log(clipped) + (1.0 - y_true) * ops.log(1.0 - clipped))
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    focal = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return _mean(focal, axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Per-sample categorical focal cross-entropy, summed over the class ``axis``."""
    if isinstance(axis, bool):
        raise ValueError(f"categorical_focal_crossentropy: `axis` must be of type `int`. "
                         f"Received: axis={axis} of type {type(axis).__name__}")
    y_true, y_pred = _same_shape(y_true, y_pred, "categorical_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    p = ops.softmax(y_pred, axis=axis) if from_logits else y_pred
    p = ops.clip(p / ops.sum(p, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON)
    return ops.sum((1.0 - p) ** gamma * alpha * -(y_true * ops.log(p)), axis=axis)
