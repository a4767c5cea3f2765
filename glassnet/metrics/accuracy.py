"""Accuracy metrics: per-sample functions and their running-mean classes."""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.metrics.base import MeanMetricWrapper, align, as_array, real_number


def _labels(y_true, y_pred):
    """Integer labels from sparse y_true of shape (N,) or (N, 1) for y_pred of shape (N, C)."""
    t = as_array(y_true)
    if t.ndim == as_array(y_pred).ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return t.astype(np.int64)


def accuracy(y_true, y_pred):
    """1 where y_true == y_pred exactly, averaged over the last axis (Keras's ``Accuracy``)."""
    t, p = align(as_array(y_true), as_array(y_pred))
    eq = (t == p).astype(np.float64)
    return eq.mean(axis=-1) if eq.ndim >= 2 else eq


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where (y_pred > threshold) equals y_true, averaged over the last axis."""
    t, p = align(as_array(y_true), as_array(y_pred))
    eq = ((p > threshold) == (t > 0.5)).astype(np.float64)
    return eq.sum(axis=-1) / eq.shape[-1] if eq.ndim >= 2 else eq


def categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) equals argmax(y_true) (one-hot labels)."""
    return (as_array(y_true).argmax(-1) == as_array(y_pred).argmax(-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) equals the integer label."""
    return (_labels(y_true, y_pred) == as_array(y_pred).argmax(-1)).astype(np.float64)


def _in_top_k(labels, y_pred, k):
    # A class is in the top k when fewer than k classes score strictly higher (ties count in).
    p = as_array(y_pred)
    try:
        true_score = np.take_along_axis(p, labels[..., None], axis=-1)
    except IndexError:
        raise ValueError(f"sparse_top_k_categorical_accuracy: labels must be class indices "
                         f"in [0, {p.shape[-1]}) for y_pred of shape {p.shape}; received "
                         f"labels from "
                         f"{labels.min()} to {labels.max()}") from None
    return ((p > true_score).sum(axis=-1) < k).astype(np.float64)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the true class (argmax of one-hot y_true) is among the k highest scores."""
    return _in_top_k(as_array(y_true).argmax(-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the k highest scores."""
    return _in_top_k(_labels(y_true, y_pred), y_pred, k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    fn = staticmethod(accuracy)
    shape_rule = "same"


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) matches binary labels."""

    fn = staticmethod(binary_accuracy)
    shape_rule = "same"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        threshold = real_number(threshold, "threshold", "BinaryAccuracy")
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches one-hot labels."""

    fn = staticmethod(categorical_accuracy)
    shape_rule = "same"


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches integer labels."""

    fn = staticmethod(sparse_categorical_accuracy)
    shape_rule = "sparse"


class TopKCategoricalAccuracy(MeanMetricWrapper):
    fn = staticmethod(top_k_categorical_accuracy)
    shape_rule = "same"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        k = checks.integer(k, "k", "TopKCategoricalAccuracy")
        super().__init__(name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    fn = staticmethod(sparse_top_k_categorical_accuracy)
    shape_rule = "sparse"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        k = checks.integer(k, "k", "SparseTopKCategoricalAccuracy")
        super().__init__(name=name, dtype=dtype, k=k)


def resolve_accuracy(y_true_shape, y_pred_shape, loss=None, name="accuracy"):
    """The accuracy Keras means by "accuracy": binary for one output unit (or a binary
    loss), sparse categorical for integer labels, categorical for one-hot labels."""
    loss_name = getattr(loss, "name", loss if isinstance(loss, str) else "") or ""
    if "binary" in loss_name or (y_pred_shape and y_pred_shape[-1] == 1):
        return BinaryAccuracy(name=name)
    sparse = len(y_true_shape) == len(y_pred_shape) - 1 or \
        (len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1:] == (1,))
    if "sparse" in loss_name or sparse:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)
