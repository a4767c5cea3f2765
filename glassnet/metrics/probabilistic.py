"""Probabilistic metrics: the running mean of a cross-entropy or a divergence per sample.

The formulas are the losses' (``glassnet.losses``), evaluated in float64 on arrays: a metric
needs no gradient, and the metrics package sits beside the losses, not above them.
Probabilities are clipped to [eps, 1 - eps] with Keras's eps = 1e-7.

>>> m = BinaryCrossentropy()
>>> round(m([[0.0], [1.0]], [[0.1], [0.8]]), 4)
0.1643
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.metrics.base import Mean, MeanMetricWrapper, _weights_for, as_array, check_weight

EPSILON = 1e-7


def _log_softmax(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """mean over the last axis of -(t log p + (1 - t) log(1 - p))."""
    t = as_array(y_true).astype(np.float64)
    z = as_array(y_pred).astype(np.float64)
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:  # stable: max(z, 0) - z t + log(1 + e^-|z|)
        per = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    else:
        p = np.clip(z, EPSILON, 1 - EPSILON)
        per = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return per.mean(axis=-1) if per.ndim >= 1 else per


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum_k t_k log p_k over ``axis`` (p normalized to sum 1 first, as Keras)."""
    t = as_array(y_true).astype(np.float64)
    z = as_array(y_pred).astype(np.float64)
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        log_p = _log_softmax(z, axis)
    else:
        p = z / z.sum(axis=axis, keepdims=True)
        log_p = np.log(np.clip(p, EPSILON, 1 - EPSILON))
    return -(t * log_p).sum(axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """-log p_label: the categorical cross-entropy of integer labels."""
    z = np.moveaxis(as_array(y_pred).astype(np.float64), axis, -1)
    labels = as_array(y_true)
    if labels.ndim == z.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    labels = labels.astype(np.int64)
    if labels.shape != z.shape[:-1]:
        raise ValueError(f"sparse_categorical_crossentropy: expected y_true of shape "
                         f"{z.shape[:-1]} (or with a trailing 1) for y_pred of shape "
                         f"{z.shape}; received {as_array(y_true).shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= z.shape[-1]):
        raise ValueError(f"sparse_categorical_crossentropy: labels must be in [0, "
                         f"{z.shape[-1]}); received values from {labels.min()} to "
                         f"{labels.max()}")
    if from_logits:
        log_p = _log_softmax(z, -1)
    else:
        p = z / z.sum(axis=-1, keepdims=True)
        log_p = np.log(np.clip(p, EPSILON, 1 - EPSILON))
    return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]


def kl_divergence(y_true, y_pred):
    """sum_k t_k log(t_k / p_k) over the last axis, both clipped to [eps, 1]."""
    t = np.clip(as_array(y_true).astype(np.float64), EPSILON, 1)
    p = np.clip(as_array(y_pred).astype(np.float64), EPSILON, 1)
    return (t * np.log(t / p)).sum(axis=-1)


class BinaryCrossentropy(MeanMetricWrapper):
    fn = staticmethod(binary_crossentropy)
    shape_rule = "same"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    fn = staticmethod(categorical_crossentropy)
    shape_rule = "same"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean cross-entropy of integer labels. Samples labelled ``ignore_class`` count 0;
    as in Keras, they still count in the number of samples when no sample weights are
    given, and weigh nothing when they are."""

    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, axis=axis)
        self.ignore_class = None if ignore_class is None else \
            checks.integer(ignore_class, "ignore_class", type(self).__name__, -(2 ** 31))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().update_state(y_true, y_pred, sample_weight)
        labels = as_array(y_true)
        if labels.ndim == as_array(y_pred).ndim and labels.shape[-1] == 1:
            labels = labels[..., 0]
        keep = labels != self.ignore_class
        safe = np.where(keep, labels, 0)  # any valid class; its value is weighted 0
        values = sparse_categorical_crossentropy(safe, y_pred, **self.kwargs)
        if sample_weight is not None:  # Keras masks the weights only when there are any
            check_weight(self, sample_weight, values.shape)
            sample_weight = keep * np.broadcast_to(_weights_for(sample_weight, values),
                                                   values.shape)
        Mean.update_state(self, values * keep, sample_weight)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}


class KLDivergence(MeanMetricWrapper):
    fn = staticmethod(kl_divergence)
    shape_rule = "same"

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


def poisson(y_true, y_pred):
    """mean(p - t log(p + eps)) over the last axis: the Poisson negative log-likelihood
    up to a term in t alone."""
    t = as_array(y_true).astype(np.float64)
    p = as_array(y_pred).astype(np.float64)
    per = p - t * np.log(p + EPSILON)
    return per.mean(axis=-1) if per.ndim >= 2 else per


class Poisson(MeanMetricWrapper):
    fn = staticmethod(poisson)
    shape_rule = "same"

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)
