"""F-scores: FBetaScore and F1Score, per class or averaged, as Keras computes them.

.. math:: F_\\beta = (1 + \\beta^2) \\frac{P R}{\\beta^2 P + R},\\quad
          P = \\frac{TP}{TP + FP + \\epsilon},\\ R = \\frac{TP}{TP + FN + \\epsilon}

(Keras's eps = 1e-7 also in the outer denominator, so a class never predicted scores 0).

>>> m = F1Score(threshold=0.5)
>>> [round(float(v), 4) for v in m([[1, 1], [0, 1]], [[0.9, 0.2], [0.6, 0.7]])]
[0.6667, 0.6667]
"""

from __future__ import annotations

import numpy as np

from glassnet.metrics.base import Metric, as_array, check_weight

EPSILON = 1e-7
AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """F-beta per class on (batch, classes) one-hot or multi-label data.

    ``threshold=None``: each sample's highest score is its prediction (ties all count, a
    score of 0 never does); otherwise scores above ``threshold`` are positives.
    ``average``: None (one value per class), "micro" (pooled counts), "macro" (mean over
    classes) or "weighted" (mean weighted by each class's support).
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score",
                 dtype=None):
        owner = type(self).__name__
        if not (average is None or (isinstance(average, str) and average in AVERAGES)):
            raise ValueError(f"{owner}: invalid `average` argument value. Expected one of: "
                             f"{{None, 'micro', 'macro', 'weighted'}}. Received: "
                             f"average={average!r}")
        if not isinstance(beta, float):
            raise ValueError(f"{owner}: invalid `beta` argument value. It should be a Python "
                             f"float. Received: beta={beta!r} of type {type(beta).__name__}")
        if not beta > 0.0:
            raise ValueError(f"{owner}: invalid `beta` argument value. It should be > 0. "
                             f"Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"{owner}: invalid `threshold` argument value. It should be "
                                 f"a Python float. Received: threshold={threshold!r} of "
                                 f"type {type(threshold).__name__}")
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"{owner}: invalid `threshold` argument value. It should "
                                 f"verify 0 < threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        super().__init__(name=name, dtype=dtype)
        self._built = False

    def _build(self, num_classes):
        shape = () if self.average == "micro" else (num_classes,)
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape=shape, initializer="zeros", name=name))
        self._num_classes = num_classes
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = as_array(y_true).astype(np.float32)
        p = as_array(y_pred).astype(np.float32)
        if p.ndim != 2 or t.ndim != 2 or t.shape != p.shape:
            raise ValueError(f"{type(self).__name__} metric '{self.name}' expects 2D inputs "
                             f"of one shape (batch_size, output_dim). Received: "
                             f"y_true.shape={t.shape}, y_pred.shape={p.shape}")
        if not self._built:
            self._build(p.shape[1])
        elif p.shape[1] != self._num_classes:
            raise ValueError(f"{type(self).__name__} metric '{self.name}': built for "
                             f"{self._num_classes} classes; received y_pred.shape={p.shape}")
        if self.threshold is None:
            predicted = (p >= p.max(axis=-1, keepdims=True)) & (np.abs(p) > 1e-9)
        else:
            predicted = p > self.threshold
        predicted = predicted.astype(np.float32)
        w = np.ones((len(p), 1), np.float32) if sample_weight is None else \
            check_weight(self, sample_weight, (len(p),)).astype(np.float32).reshape(-1, 1)
        for name, value in (("true_positives", predicted * t),
                            ("false_positives", predicted * (1 - t)),
                            ("false_negatives", (1 - predicted) * t),
                            ("intermediate_weights", t)):
            variable = getattr(self, name)
            variable.assign(variable.data + (value * w).sum(axis=self.axis))

    def result(self):
        if not self._built:
            return 0.0
        tp, fp = self.true_positives.data, self.false_positives.data
        fn = self.false_negatives.data
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        beta2 = self.beta ** 2
        score = precision * recall / (beta2 * precision + recall + EPSILON) * (1 + beta2)
        if self.average == "weighted":
            support = self.intermediate_weights.data
            return float(np.sum(score * support / (support.sum() + EPSILON)))
        if self.average is not None:
            return float(np.mean(score))
        return score.astype(np.float32)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """FBetaScore with beta = 1: 2 P R / (P + R), the harmonic mean of precision and
    recall."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
