"""Per-sample loss functions with Keras's names: ``fn(y_true, y_pred) -> losses of shape
(batch,)`` (the last axis reduced). The ``Loss`` classes reduce them over the batch.

The fused ones also take ``reduction="mean"``, which ``Loss`` uses when no sample weights
are given, so that the common case records one graph node instead of three.

The four with hand-written gradients (squared and absolute error, the cross-entropies) are
the fused ops of ``glassnet.autograd.ops.loss``; the rest are composed from primitives.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops.loss import EPSILON, _same_shape

LOG2 = math.log(2.0)


def _mean_last(x):
    return ops.mean(x, axis=-1) if x.ndim >= 2 else x


def mean_squared_error(y_true, y_pred, reduction="none"):
    """mean((y_pred - y_true)**2, axis=-1)."""
    return ops.mean_squared_error(y_true, y_pred, reduction=reduction)


def mean_absolute_error(y_true, y_pred, reduction="none"):
    """mean(|y_pred - y_true|, axis=-1)."""
    return ops.mean_absolute_error(y_true, y_pred, reduction=reduction)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)."""
    y_true, y_pred = _same_shape(y_true, y_pred, "mean_absolute_percentage_error")
    scale = 100.0 / np.maximum(np.abs(y_true.data), EPSILON)
    return _mean_last(ops.abs(y_true - y_pred) * scale)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)."""
    y_true, y_pred = _same_shape(y_true, y_pred, "mean_squared_logarithmic_error")
    diff = ops.log(ops.maximum(y_pred, EPSILON) + 1.0) - \
        ops.log(ops.maximum(y_true, EPSILON) + 1.0)
    return _mean_last(diff * diff)


def _axis_last(y_true, y_pred, axis):
    """Both moved so that ``axis`` is the last (the fused ops reduce the last axis)."""
    ndim = np.ndim(getattr(y_pred, "data", y_pred))
    if axis in (-1, ndim - 1):
        return y_true, y_pred
    return ops.moveaxis(ops.cast(y_true, np.float32) if not hasattr(y_true, "data") else
                        y_true, axis, -1), ops.moveaxis(y_pred, axis, -1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                        reduction="none", axis=-1):
    """-(y log p + (1 - y) log(1 - p)) averaged over ``axis`` (the last); label smoothing
    moves the targets towards 0.5: y * (1 - s) + s / 2."""
    y_true, y_pred = _axis_last(y_true, y_pred, axis)
    if label_smoothing:
        y_true = ops.cast(y_true, np.float32) * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits, reduction=reduction)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                             reduction="none", axis=-1):
    """-sum(y * log p) over the class ``axis`` for one-hot (or soft) targets; label
    smoothing: y * (1 - s) + s / num_classes."""
    y_true, y_pred = _axis_last(y_true, y_pred, axis)
    if label_smoothing:
        n_classes = np.shape(y_pred)[-1]
        y_true = ops.cast(y_true, np.float32) * (1.0 - label_smoothing) + \
            label_smoothing / n_classes
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                        reduction=reduction)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, reduction="none"):
    """-log p[label] with integer labels."""
    return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                               reduction=reduction)


def hinge(y_true, y_pred, reduction="none"):
    """mean(max(1 - y_true * y_pred, 0), axis=-1); 0/1 labels are mapped to -1/1."""
    return ops.hinge(y_true, y_pred, reduction=reduction)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)**2, axis=-1); 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _same_shape(y_true, y_pred, "squared_hinge")
    t = y_true.data
    signed = 2 * t - 1 if np.isin(t, (0, 1)).all() else t
    margin = ops.relu(1.0 - y_pred * signed)
    return _mean_last(margin * margin)


def categorical_hinge(y_true, y_pred):
    """max(neg - pos + 1, 0) with pos = sum(y_true * y_pred), neg = max((1 - y_true) * y_pred)."""
    y_true, y_pred = _same_shape(y_true, y_pred, "categorical_hinge")
    pos = ops.sum(y_pred * y_true, axis=-1)
    neg = ops.max(y_pred * (1.0 - y_true), axis=-1)
    return ops.relu(neg - pos + 1.0)


def huber(y_true, y_pred, delta=1.0):
    """mean over the last axis of 0.5 * e**2 where |e| <= delta, else
    delta * |e| - 0.5 * delta**2 (e = y_pred - y_true): squared near 0, linear beyond."""
    y_true, y_pred = _same_shape(y_true, y_pred, "huber")
    error = y_pred - y_true
    small = np.abs(error.data) <= delta
    return _mean_last(ops.where(small, error * error * 0.5,
                                ops.abs(error) * delta - 0.5 * delta * delta))


def log_cosh(y_true, y_pred):
    """mean(log(cosh(e)), axis=-1), computed as e + softplus(-2e) - log 2 (no overflow)."""
    y_true, y_pred = _same_shape(y_true, y_pred, "log_cosh")
    error = y_pred - y_true
    return _mean_last(error + ops.softplus(error * -2.0) - LOG2)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [eps, 1]."""
    y_true, y_pred = _same_shape(y_true, y_pred, "kl_divergence")
    t = np.clip(y_true.data, EPSILON, 1.0)
    p = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum((np.log(t) - ops.log(p)) * t, axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + eps), axis=-1)."""
    y_true, y_pred = _same_shape(y_true, y_pred, "poisson")
    return _mean_last(y_pred - y_true * ops.log(y_pred + EPSILON))


def l2_normalize(x, axis=-1):
    """x / max(|x|, 1e-7) along ``axis`` (Keras's floor on the norm)."""
    return x / ops.sqrt(ops.maximum(ops.sum(x * x, axis=axis, keepdims=True), 1e-14))


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 when the vectors point the
    same way (a loss to minimize), 0 when orthogonal."""
    y_true, y_pred = _same_shape(y_true, y_pred, "cosine_similarity")
    return -ops.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)
