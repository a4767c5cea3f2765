"""Metrics read off a curve of confusion counts at many thresholds: AUC (ROC, PR, PR-gain)
and PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity.

The thresholds are Keras's: ``num_thresholds`` evenly spaced in [0, 1] (AUC moves the end
points 1e-7 outside, so that scores of exactly 0 or 1 are counted), or the given list.

>>> m = AUC()
>>> round(m([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
0.75
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.metrics.base import real_number
from glassnet.metrics.thresholds import ThresholdCounts, _ratio, evenly_spaced

EPSILON = 1e-7
CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
SUMMATIONS = ("interpolation", "minoring", "majoring")
# A config may come from a file: refuse a threshold count that would cost gigabytes before
# allocating (Keras's default is 200).
MAX_CONFIG_THRESHOLDS = 1_000_000


def _num_thresholds(value, owner, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: `num_thresholds` must be an integer > {low - 1}. Received: "
                        f"num_thresholds={value!r} (of type {type(value).__name__})")
    if value < low:
        raise ValueError(f"{owner}: `num_thresholds` must be > {low - 1}. Received: "
                         f"num_thresholds={value}")
    return int(value)


def _checked_config(cls, config):
    n = config.get("num_thresholds", 200)
    if type(n) is not int or n > MAX_CONFIG_THRESHOLDS:
        raise ValueError(f"{cls.__name__}: num_thresholds={n!r} in the config; expected an "
                         f"integer up to {MAX_CONFIG_THRESHOLDS}")
    if len(config.get("thresholds") or ()) > MAX_CONFIG_THRESHOLDS:
        raise ValueError(f"{cls.__name__}: more than {MAX_CONFIG_THRESHOLDS} thresholds in "
                         f"the config")
    return cls(**config)


class SensitivitySpecificityBase(ThresholdCounts):
    """Counts at ``num_thresholds`` evenly spaced thresholds in [0, 1] (0.5 alone for 1);
    subclasses return the best of one rate where another meets ``value``."""

    _value_arg = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        self.value = real_number(value, self._value_arg, owner, 0.0, 1.0)
        setattr(self, self._value_arg, self.value)
        self.num_thresholds = _num_thresholds(num_thresholds, owner, 1)
        self.class_id = checks.integer(class_id, "class_id", owner, 0, allow_none=True)
        n = self.num_thresholds
        self.thresholds = [0.5] if n == 1 else \
            [0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0]
        super().__init__(name=name, dtype=dtype)
        self._make_counts((len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        actual, p, w = self._labels_scores(y_true, y_pred, sample_weight,
                                           class_id=self.class_id)
        self._accumulate(actual, p, w, self.thresholds, len(self.thresholds) > 1)

    def _rates(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {"sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
                "precision": _ratio(tp, tp + fp)}

    def _max_where(self, constrained, dependent):
        """max of ``dependent`` over the thresholds where ``constrained >= value`` (0 if
        none)."""
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return float(np.max(np.where(feasible, rates[dependent], 0.0), initial=0.0))

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                self._value_arg: self.value, "class_id": self.class_id}

    @classmethod
    def from_config(cls, config):
        return _checked_config(cls, config)


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity TP / (TP + FN) over thresholds whose specificity
    TN / (TN + FP) is at least ``specificity``."""

    _value_arg = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_where("specificity", "sensitivity")


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity over thresholds whose sensitivity is at least ``sensitivity``."""

    _value_arg = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_where("sensitivity", "specificity")


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision over thresholds whose recall is at least ``recall``."""

    _value_arg = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_where("sensitivity", "precision")


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall over thresholds whose precision is at least ``precision``."""

    _value_arg = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_where("precision", "sensitivity")


def _choice(value, table, arg):
    key = value.lower() if isinstance(value, str) else None
    if key not in table:
        raise ValueError(f"AUC: invalid `{arg}` argument value {value!r}. Expected one of: "
                         f"{list(table.values() if isinstance(table, dict) else table)}")
    return table[key] if isinstance(table, dict) else key


class AUC(ThresholdCounts):
    """Area under the ROC curve (x = FP rate, y = TP rate), the precision-recall curve
    ("PR") or the PR-gain curve, from counts at the thresholds, summed by the trapezoid rule
    ("interpolation"; for PR, Davis & Goadrich's interpolation of precision), or by the
    lower/upper Riemann sum ("minoring"/"majoring").

    ``multi_label=True``: (N, L) inputs give one curve per label, averaged (weighted by
    ``label_weights``); otherwise every entry is one binary decision, weighted by
    ``label_weights`` per column. ``from_logits=True`` applies a sigmoid first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self.curve = _choice(curve, CURVES, "curve")
        self.summation_method = _choice(summation_method, SUMMATIONS, "summation_method")
        for arg, value in (("multi_label", multi_label), ("from_logits", from_logits)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"AUC: `{arg}` must be a boolean. Received: {arg}={value!r}")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(real_number(t, "thresholds", "AUC", 0.0, 1.0)
                           for t in np.ravel(thresholds))
            self.num_thresholds = len(inner) + 2
            self._evenly = evenly_spaced([0.0] + inner + [1.0])
        else:
            self.num_thresholds = _num_thresholds(num_thresholds, "AUC", 2)
            n = self.num_thresholds
            inner = [(i + 1) / (n - 1) for i in range(n - 2)]
            self._evenly = True
        self._thresholds = [-EPSILON] + inner + [1.0 + EPSILON]
        self.multi_label, self.from_logits = bool(multi_label), bool(from_logits)
        self.num_labels = checks.integer(num_labels, "num_labels", "AUC", 1, allow_none=True)
        if num_labels is not None and not multi_label:
            raise ValueError("AUC: `num_labels` is needed only when `multi_label` is True.")
        self.label_weights = None if label_weights is None else \
            np.asarray(label_weights, np.float32)
        super().__init__(name=name, dtype=dtype)
        self._built = False
        if not multi_label:
            self._build(None)
        elif num_labels:
            self._build((None, num_labels))

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"AUC metric '{self.name}': `y_pred` must have rank 2 when "
                                 f"`multi_label=True`. Received: y_pred.shape={shape}")
            self._num_labels = shape[1]
            self._make_counts((self.num_thresholds, shape[1]))
        else:
            self._make_counts((self.num_thresholds,))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        actual, p, w = self._labels_scores(y_true, y_pred, sample_weight)
        if not self._built:
            self._build(p.shape)
        if self.multi_label and p.shape[1:] != (self._num_labels,):
            raise ValueError(f"AUC metric '{self.name}': expected y_pred of shape (batch, "
                             f"{self._num_labels}). Received: y_pred.shape={p.shape}")
        if self.from_logits:  # a stable sigmoid
            p = np.where(p >= 0, 1 / (1 + np.exp(-np.abs(p))),
                         np.exp(-np.abs(p)) / (1 + np.exp(-np.abs(p)))).astype(np.float32)
        if self.label_weights is not None and not self.multi_label:
            try:
                w = w * np.broadcast_to(self.label_weights, p.shape)
            except ValueError:
                raise ValueError(f"AUC metric '{self.name}': label_weights of shape "
                                 f"{self.label_weights.shape} do not fit y_pred of shape "
                                 f"{p.shape}") from None
        self._accumulate(actual, p, w, self._thresholds, self._evenly, self.multi_label)

    def _average(self, by_threshold):
        if not self.multi_label:
            return float(by_threshold.sum())
        by_label = by_threshold.sum(axis=0)
        if self.label_weights is None:
            return float(by_label.mean())
        weights = self.label_weights
        return float(_ratio(np.sum(by_label * weights), np.sum(weights)))

    def _interpolate_pr(self):
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich 2006):
        between two thresholds TP grows linearly in P = TP + FP, so the area of each piece
        is slope * (dTP + intercept * log(P_i / P_i+1)) / (TP + FN)."""
        tp, fp, fn = self.true_positives.data, self.false_positives.data, \
            self.false_negatives.data
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return _ratio(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))

    def result(self):
        if not self._built:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average(self._interpolate_pr())
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        recall = _ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _ratio(tp, tp + fp)
        else:  # PR gain (Flach & Kull 2015)
            scale = _ratio(tp + fn, tn + fp)
            x = np.maximum(np.where(tp == 0, 0.0, 1.0 - scale * _ratio(fn, tp)), 0.0)
            y = np.where(tp == 0, 1.0, 1.0 - scale * _ratio(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None else
                  self.label_weights.tolist(),
                  "from_logits": self.from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config

    @classmethod
    def from_config(cls, config):
        return _checked_config(cls, config)
