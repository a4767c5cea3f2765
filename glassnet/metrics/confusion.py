"""``confusion_matrix``: counts of (true class, predicted class) pairs. The metrics built on
confusion counts live in thresholds.py (counts at thresholds, Precision, Recall), curves.py
(AUC and the "X at Y" metrics), fscore.py and iou.py."""

from __future__ import annotations

import numpy as np

from glassnet.metrics.base import as_array


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
