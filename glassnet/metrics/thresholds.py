"""Confusion counts at thresholds: the core shared by TruePositives ... FalseNegatives,
Precision, Recall, AUC and the "X at Y" metrics.

A score counts as a positive prediction at threshold ``t`` when ``score > t`` (strictly, as
Keras); a label counts as positive when it is non-zero. All thresholds are counted in one
pass: each score falls in the bucket of thresholds below it (``searchsorted``), and the
positives at threshold j are the scores in buckets above j (a reversed cumulative sum).

>>> m = TruePositives(thresholds=[0.3, 0.7])
>>> m([0, 1, 1, 1], [0.2, 0.5, 0.8, 0.9]).tolist()
[3.0, 2.0]
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.metrics.base import Metric, align, check_weight, real_number

NEG_INF = -1e10  # Keras's stand-in score for classes filtered out by top_k


def parse_thresholds(thresholds, owner, default=0.5):
    """A list of floats in [0, 1] from a number, a list/tuple/array or None (``default``)."""
    if thresholds is None:
        return [default]
    values = list(np.ravel(thresholds)) if isinstance(thresholds, (list, tuple, np.ndarray)) \
        else [thresholds]
    if not values:
        raise ValueError(f"{owner}: `thresholds` must not be empty. Received: "
                         f"thresholds={thresholds!r}")
    return [real_number(v, "thresholds", owner, 0.0, 1.0) for v in values]


def evenly_spaced(thresholds):
    """Whether ``thresholds`` are i / (n - 1) for i = 0..n-1, n >= 3 (Keras then clips
    scores to [0, 1] before counting)."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n) / (n - 1), atol=1e-7)


def filter_top_k(p, k):
    """``p`` with every score outside the k largest of its last axis set to NEG_INF."""
    keep = np.argsort(-p, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(mask, keep, True, axis=-1)
    return np.where(mask, p, NEG_INF)


def sample_weights(metric, sample_weight, shape):
    """Weights broadcast to ``shape`` (ones when None), checked first."""
    if sample_weight is None:
        return np.ones(shape, dtype=np.float32)
    w = check_weight(metric, sample_weight, shape).astype(np.float32)
    while w.ndim > len(shape) and w.shape[-1] == 1:
        w = w[..., 0]
    while w.ndim < len(shape):
        w = w[..., None]
    return np.broadcast_to(w, shape)


def counts_at(actual, scores, weights, thresholds, multi_label=False):
    """Weighted (tp, fp, tn, fn) at each threshold: arrays of shape (T,), or (T, L) with
    ``multi_label`` (scores of shape (N, L), one column per label)."""
    order = np.argsort(thresholds, kind="stable")
    sorted_t = np.asarray(thresholds, np.float32)[order]
    n = len(sorted_t)
    if multi_label:
        labels = scores.shape[-1]
        column = np.broadcast_to(np.arange(labels), scores.shape).ravel()
    else:
        labels, column = 1, np.zeros(scores.size, np.int64)
    scores, actual, weights = scores.ravel(), actual.ravel(), weights.ravel()
    # side="left": the number of thresholds strictly below the score
    bucket = np.searchsorted(sorted_t, scores.astype(np.float32), side="left")
    index = column * (n + 1) + bucket
    size = labels * (n + 1)
    pos = np.bincount(index[actual], weights=weights[actual], minlength=size)
    neg = np.bincount(index[~actual], weights=weights[~actual], minlength=size)
    pos, neg = pos.reshape(labels, n + 1), neg.reshape(labels, n + 1)
    tp = pos[:, ::-1].cumsum(1)[:, ::-1][:, 1:]
    fp = neg[:, ::-1].cumsum(1)[:, ::-1][:, 1:]
    fn = pos.sum(1, keepdims=True) - tp
    tn = neg.sum(1, keepdims=True) - fp
    inverse = np.argsort(order)
    out = [c[:, inverse].T.astype(np.float32) for c in (tp, fp, tn, fn)]
    return out if multi_label else [c[:, 0] for c in out]


class ThresholdCounts(Metric):
    """Base of the metrics that keep confusion counts at thresholds in Variables."""

    _counted = ("tp", "fp", "tn", "fn")
    _variable_names = {"tp": "true_positives", "fp": "false_positives",
                       "tn": "true_negatives", "fn": "false_negatives"}

    def _make_counts(self, shape):
        for key in self._counted:
            setattr(self, self._variable_names[key],
                    self.add_variable(shape=shape, initializer="zeros",
                                      name=self._variable_names[key]))

    def _labels_scores(self, y_true, y_pred, sample_weight, top_k=None, class_id=None):
        t, p = align(*self.check_shapes(y_true, y_pred))
        t = t.astype(np.float32)
        p = p.astype(np.float32)
        w = sample_weights(self, sample_weight, p.shape)
        if top_k is not None:
            p = filter_top_k(p, top_k)
        if class_id is not None:
            if p.ndim < 2 or class_id >= p.shape[-1]:
                raise ValueError(f"{type(self).__name__} metric '{self.name}': class_id="
                                 f"{class_id} needs y_pred of shape (num_samples, "
                                 f"num_classes > {class_id}). Received: y_pred.shape="
                                 f"{p.shape}")
            t, p, w = t[..., class_id], p[..., class_id], w[..., class_id]
        return t != 0, p, w

    def _accumulate(self, actual, scores, weights, thresholds, clip, multi_label=False):
        if clip:  # evenly spaced thresholds: Keras counts clipped scores
            scores = np.clip(scores, 0.0, 1.0)
        counts = dict(zip(("tp", "fp", "tn", "fn"),
                          counts_at(actual, scores, weights, thresholds, multi_label)))
        for key in self._counted:
            variable = getattr(self, self._variable_names[key])
            variable.assign(variable.data + counts[key])


def _ratio(a, b):
    """a / b, 0 where b is 0 (Keras's divide_no_nan)."""
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float32), where=b != 0)


def _scalar_or_list(values, thresholds):
    return float(values[0]) if len(thresholds) == 1 else values.astype(np.float32)


class _ConditionCount(ThresholdCounts):
    """One count (the subclass's ``_condition``) at each threshold; a number for one
    threshold, an array for several."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, owner)
        self._counted = (self._condition,)
        super().__init__(name=name, dtype=dtype)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),),
                                             initializer="zeros", name="accumulator")
        self._variable_names = {self._condition: "accumulator"}

    def update_state(self, y_true, y_pred, sample_weight=None):
        actual, p, w = self._labels_scores(y_true, y_pred, sample_weight)
        self._accumulate(actual, p, w, self.thresholds, evenly_spaced(self.thresholds))

    def result(self):
        return _scalar_or_list(self.accumulator.data, self.thresholds)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """The (weighted) number of samples with label != 0 and score > threshold."""

    _condition = "tp"


class FalsePositives(_ConditionCount):
    """The (weighted) number of samples with label 0 and score > threshold."""

    _condition = "fp"


class TrueNegatives(_ConditionCount):
    """The (weighted) number of samples with label 0 and score <= threshold."""

    _condition = "tn"


class FalseNegatives(_ConditionCount):
    """The (weighted) number of samples with label != 0 and score <= threshold."""

    _condition = "fn"


class _PrecisionRecall(ThresholdCounts):
    """Counts at ``thresholds`` after keeping the ``top_k`` scores and/or one ``class_id``."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = checks.integer(top_k, "top_k", owner, 1, allow_none=True)
        self.class_id = checks.integer(class_id, "class_id", owner, 0, allow_none=True)
        # with top_k and no thresholds, every kept score is a positive prediction
        self.thresholds = [NEG_INF] if thresholds is None and top_k is not None else \
            parse_thresholds(thresholds, owner)
        super().__init__(name=name, dtype=dtype)
        self._make_counts((len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        actual, p, w = self._labels_scores(y_true, y_pred, sample_weight, self.top_k,
                                           self.class_id)
        self._accumulate(actual, p, w, self.thresholds, evenly_spaced(self.thresholds))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """TP / (TP + FP) at each threshold: of the predicted positives, how many are right."""

    _counted = ("tp", "fp")

    def result(self):
        return _scalar_or_list(_ratio(self.true_positives.data,
                                      self.true_positives.data + self.false_positives.data),
                               self.thresholds)


class Recall(_PrecisionRecall):
    """TP / (TP + FN) at each threshold: of the actual positives, how many are found."""

    _counted = ("tp", "fn")

    def result(self):
        return _scalar_or_list(_ratio(self.true_positives.data,
                                      self.true_positives.data + self.false_negatives.data),
                               self.thresholds)
