"""Generalized cross-entropy (Zhang & Sabuncu 2018), a cross-entropy robust to noisy labels:

.. math:: GCE = \\frac{1 - p_y^q}{q},\\quad 0 < q < 1

(q -> 0 gives the cross-entropy -log p_y; q = 1 the mean absolute error 1 - p_y), with
integer labels y and probabilities p.

>>> import numpy as np
>>> loss = categorical_generalized_cross_entropy(np.array([1]), np.array([[0.36, 0.64]]), 0.5)
>>> round(float(loss.numpy()[0]), 4)
0.4
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops._operands import constant


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """(1 - p[label]^q) / q per sample, labels of shape y_pred.shape[:-1]."""
    y_pred = constant(y_pred)
    labels = np.asarray(getattr(y_true, "data", y_true))
    if labels.ndim == y_pred.ndim and labels.shape[-1:] == (1,):
        labels = labels[..., 0]
    if y_pred.ndim == 0 or labels.shape != y_pred.shape[:-1]:
        raise ValueError(f"categorical_generalized_cross_entropy: expected integer labels of "
                         f"shape {y_pred.shape[:-1]} for y_pred of shape {y_pred.shape}. "
                         f"Received: y_true.shape={labels.shape}")
    labels = labels.astype(np.int64)
    classes = y_pred.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"categorical_generalized_cross_entropy: labels must be in [0, "
                         f"{classes}). Received values from {labels.min()} to {labels.max()}")
    onehot = np.eye(classes, dtype=y_pred.data.dtype)[labels]
    picked = ops.sum(y_pred * onehot, axis=-1)
    return (1.0 - picked ** q) / q
