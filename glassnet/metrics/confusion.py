"""Metrics built on counts of true/false positives: Precision, Recall, F1Score, AUC, and the
confusion_matrix helper."""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.metrics.base import Metric, align, as_array, check_weight, real_number


def confusion_matrix(labels, predictions, num_classes=None, weights=None):
    """Counts (or summed weights) with rows = true class, columns = predicted class.

    >>> confusion_matrix([0, 1, 1], [0, 1, 0]).tolist()
    [[1, 0], [1, 1]]
    """
    t = as_array(labels).astype(np.int64).ravel()
    p = as_array(predictions).astype(np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: labels and predictions must have the same length; "
                         f"received {t.size} and {p.size}")
    if (t < 0).any() or (p < 0).any():
        raise ValueError("confusion_matrix: labels and predictions must be non-negative")
    n = int(num_classes) if num_classes is not None else int(max(t.max(initial=-1),
                                                                 p.max(initial=-1)) + 1)
    if t.size and max(t.max(), p.max()) >= n:
        raise ValueError(f"confusion_matrix: a class index is >= num_classes={n}")
    w = None if weights is None else np.broadcast_to(as_array(weights), t.shape).ravel()
    counts = np.bincount(t * n + p, weights=w, minlength=n * n).reshape(n, n)
    return counts if w is not None else counts.astype(np.int64)


def _flat_weights(sample_weight, y, metric):
    if sample_weight is None:
        return np.ones(y.shape, dtype=np.float64)
    w = check_weight(metric, sample_weight, y.shape).astype(np.float64)
    while w.ndim > y.ndim and w.shape[-1] == 1:
        w = w[..., 0]
    while w.ndim < y.ndim:
        w = w[..., None]
    return np.broadcast_to(w, y.shape)


class _Counts(Metric):
    """True/false positives and false negatives of (y_pred > threshold) against labels."""

    def __init__(self, thresholds=None, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        if isinstance(thresholds, (list, tuple, np.ndarray)):
            raise TypeError(f"{owner}: `thresholds` must be a single number in [0, 1] (lists "
                            f"of thresholds are not supported). Received: "
                            f"thresholds={thresholds!r}")
        self.threshold = 0.5 if thresholds is None else \
            real_number(thresholds, "thresholds", owner, 0.0, 1.0)
        self.class_id = checks.integer(class_id, "class_id", owner, 0, allow_none=True)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.tp = self.fp = self.fn = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = align(*self.check_shapes(y_true, y_pred))
        w = _flat_weights(sample_weight, p, self)
        if self.class_id is not None:
            if p.ndim == 0 or self.class_id >= p.shape[-1]:
                raise ValueError(f"{type(self).__name__} metric '{self.name}': class_id="
                                 f"{self.class_id} is out of range for y_pred of shape "
                                 f"{p.shape} ({p.shape[-1] if p.ndim else 0} classes)")
            t, p, w = t[..., self.class_id], p[..., self.class_id], w[..., self.class_id]
        actual, predicted = t > 0.5, p > self.threshold
        self.tp += float((w * (actual & predicted)).sum())
        self.fp += float((w * (~actual & predicted)).sum())
        self.fn += float((w * (actual & ~predicted)).sum())

    def get_config(self):
        return {**super().get_config(), "thresholds": self.threshold, "class_id": self.class_id}


class Precision(_Counts):
    """TP / (TP + FP): of the predicted positives, how many are right."""

    def result(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0


class Recall(_Counts):
    """TP / (TP + FN): of the actual positives, how many are found."""

    def result(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


class F1Score(Metric):
    """Per-class F1 = 2 TP / (2 TP + FP + FN) on (N, C) one-hot or multi-label data.

    ``threshold=None``: the highest score of each sample is the prediction; otherwise
    scores above ``threshold`` are positives (a single column (N, 1) makes it binary F1).
    ``average``: None (one value per class), "micro", "macro" or "weighted" (by support).
    """

    AVERAGES = (None, "micro", "macro", "weighted")

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        if not (average is None or (isinstance(average, str) and average in self.AVERAGES)):
            raise ValueError(f"F1Score: average must be one of {self.AVERAGES}. Received: "
                             f"average={average!r}")
        if threshold is not None:
            threshold = real_number(threshold, "threshold", "F1Score", 0.0, 1.0, low_open=True)
        self.average, self.threshold = average, threshold
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.tp = self.fp = self.fn = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = as_array(y_true), as_array(y_pred).astype(np.float64)
        if p.ndim != 2 or t.shape != p.shape:
            raise ValueError(f"F1Score metric '{self.name}': expected y_true and y_pred of one "
                             f"shape (batch, classes). Received: y_true.shape={t.shape}, "
                             f"y_pred.shape={p.shape}")
        if self.threshold is None:
            predicted = p == p.max(axis=-1, keepdims=True)
        else:
            predicted = p > self.threshold
        actual = t > 0.5
        w = _flat_weights(sample_weight, p, self)
        counts = [(w * (actual & predicted)).sum(0), (w * (~actual & predicted)).sum(0),
                  (w * (actual & ~predicted)).sum(0)]
        if self.tp is None:
            self.tp, self.fp, self.fn = counts
        else:
            self.tp, self.fp, self.fn = (a + b for a, b in zip((self.tp, self.fp, self.fn),
                                                                counts))

    def result(self):
        if self.tp is None:
            return 0.0
        tp, fp, fn = self.tp, self.fp, self.fn
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        denom = 2 * tp + fp + fn
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(np.asarray(denom, float)),
                       where=np.asarray(denom) > 0)
        if self.average == "macro":
            return float(f1.mean())
        if self.average == "weighted":
            support = self.tp + self.fn
            return float((f1 * support).sum() / support.sum()) if support.sum() else 0.0
        return float(f1) if np.ndim(f1) == 0 else f1

    def get_config(self):
        return {**super().get_config(), "average": self.average, "threshold": self.threshold}


class AUC(Metric):
    """Area under the ROC curve, from counts at ``num_thresholds`` thresholds evenly spaced
    in [0, 1] (Keras's method), summed with the trapezoid rule.

    Binary labels; for (N, C) inputs every entry counts as one binary decision (Keras's
    ``multi_label=False``). ``from_logits=True`` applies a sigmoid first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, from_logits=False):
        if isinstance(num_thresholds, (bool, np.bool_)) or \
                not isinstance(num_thresholds, (int, np.integer)):
            raise TypeError(f"AUC: `num_thresholds` must be an integer > 1. Received: "
                            f"num_thresholds={num_thresholds!r} (of type "
                            f"{type(num_thresholds).__name__})")
        if num_thresholds <= 1:
            raise ValueError(f"AUC: `num_thresholds` must be > 1. Received: "
                             f"num_thresholds={num_thresholds}")
        num_thresholds = int(num_thresholds)
        if not isinstance(curve, str) or curve.upper() != "ROC":
            raise ValueError(f"AUC: only curve='ROC' is supported. Received: curve={curve!r}")
        if summation_method != "interpolation":
            raise ValueError(f"AUC: only summation_method='interpolation' is supported. "
                             f"Received: summation_method={summation_method!r}")
        if not isinstance(from_logits, (bool, np.bool_)):
            raise TypeError(f"AUC: `from_logits` must be a boolean. Received: "
                            f"from_logits={from_logits!r}")
        self.num_thresholds, self.curve, self.from_logits = num_thresholds, "ROC", from_logits
        self.summation_method = summation_method
        eps = 1e-7
        inner = [i / (num_thresholds - 1) for i in range(1, num_thresholds - 1)]
        self.thresholds = np.array([-eps, *inner, 1 + eps])
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        n = self.num_thresholds
        self.tp, self.fp, self.tn, self.fn = (np.zeros(n) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = self.check_shapes(y_true, y_pred)
        t, p = align(t, p.astype(np.float64))
        if self.from_logits:
            p = 1 / (1 + np.exp(-p))
        w = _flat_weights(sample_weight, p, self).ravel()
        actual, p = t.ravel() > 0.5, p.ravel()
        # bucket b = number of thresholds below the score: the score counts as positive at
        # thresholds 0..b-1, so the positives at threshold j are the scores in buckets > j.
        bucket = np.searchsorted(self.thresholds, p, side="left")
        n = self.num_thresholds
        pos = np.bincount(bucket[actual], weights=w[actual], minlength=n + 1)
        neg = np.bincount(bucket[~actual], weights=w[~actual], minlength=n + 1)
        above_pos = pos[::-1].cumsum()[::-1][1:]
        above_neg = neg[::-1].cumsum()[::-1][1:]
        self.tp += above_pos
        self.fn += pos.sum() - above_pos
        self.fp += above_neg
        self.tn += neg.sum() - above_neg

    def result(self):
        tpr = np.divide(self.tp, self.tp + self.fn, out=np.zeros(self.num_thresholds),
                        where=(self.tp + self.fn) > 0)
        fpr = np.divide(self.fp, self.fp + self.tn, out=np.zeros(self.num_thresholds),
                        where=(self.fp + self.tn) > 0)
        return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "from_logits": self.from_logits}

    # A config may come from a file: refuse a threshold count that would cost gigabytes
    # before allocating (Keras's default is 200).
    MAX_CONFIG_THRESHOLDS = 1_000_000

    @classmethod
    def from_config(cls, config):
        n = config.get("num_thresholds", 200)
        if type(n) is not int or n > cls.MAX_CONFIG_THRESHOLDS:
            raise ValueError(f"AUC: num_thresholds={n!r} in the config; expected an integer "
                             f"up to {cls.MAX_CONFIG_THRESHOLDS}")
        return cls(**config)
