"""Intersection-over-union metrics for segmentation and classification: IoU, MeanIoU,
BinaryIoU, OneHotIoU, OneHotMeanIoU, all read off one accumulated confusion matrix.

.. math:: IoU_c = \\frac{TP_c}{TP_c + FP_c + FN_c}

averaged over the target classes that occur (in y_true or y_pred) at all.

>>> m = MeanIoU(num_classes=2)
>>> round(m([0, 0, 1, 1], [0, 1, 0, 1]), 4)
0.3333
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.metrics.base import Metric, as_array, check_weight, real_number
from glassnet.metrics.confusion import confusion_matrix

EPSILON = 1e-7
# A config may come from a file: num_classes**2 entries are allocated.
MAX_CLASSES = 65536


class IoU(Metric):
    """The mean IoU over ``target_class_ids``.

    y_true and y_pred are class indices (any shape, flattened), or scores / one-hot vectors
    along ``axis`` when ``sparse_y_true`` / ``sparse_y_pred`` is False (argmax taken).
    Entries whose label is ``ignore_class`` or whose indices fall outside
    [0, num_classes) are left out.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        owner = type(self).__name__
        self.num_classes = checks.integer(num_classes, "num_classes", owner, 1)
        if self.num_classes > MAX_CLASSES:
            raise ValueError(f"{owner}: `num_classes` must be at most {MAX_CLASSES}. "
                             f"Received: num_classes={num_classes}")
        ids = list(np.ravel(target_class_ids)) if isinstance(
            target_class_ids, (list, tuple, np.ndarray)) else [target_class_ids]
        if not ids:
            raise ValueError(f"{owner}: `target_class_ids` must not be empty")
        ids = [checks.integer(i, "target_class_ids", owner, 0) for i in ids]
        if max(ids) >= self.num_classes:
            raise ValueError(f"{owner}: target class id {max(ids)} is out of range, which is "
                             f"[0, {self.num_classes}). Received: target_class_ids={ids}")
        self.target_class_ids = ids
        self.ignore_class = None if ignore_class is None else \
            checks.integer(ignore_class, "ignore_class", owner, -(2 ** 31))
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        self.axis = checks.integer(axis, "axis", owner, -64)
        super().__init__(name=name, dtype=dtype or "int32")
        self.total_cm = self.add_variable(shape=(self.num_classes, self.num_classes),
                                          initializer="zeros", dtype="float64",
                                          name="total_confusion_matrix")

    def _indices(self, y, sparse, arg):
        y = as_array(y)
        if not sparse:
            if y.ndim == 0:
                raise ValueError(f"{type(self).__name__} metric '{self.name}': {arg} must "
                                 f"hold one-hot or score vectors along axis {self.axis} "
                                 f"when sparse_{arg}=False. Received: {arg}.shape={y.shape}")
            y = y.argmax(axis=self.axis)
        return y.astype(np.int64).ravel()  # float class ids truncate, as Keras's int cast

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = self._indices(y_true, self.sparse_y_true, "y_true")
        p = self._indices(y_pred, self.sparse_y_pred, "y_pred")
        if t.size != p.size:
            raise ValueError(f"{type(self).__name__} metric '{self.name}': y_true and y_pred "
                             f"hold different numbers of class ids ({t.size} and {p.size}). "
                             f"Received: y_true.shape={as_array(y_true).shape}, "
                             f"y_pred.shape={as_array(y_pred).shape}")
        if sample_weight is None:
            w = np.ones(t.shape)
        else:
            w = as_array(sample_weight).astype(np.float64)
            w = w.ravel() if w.ndim > 1 else w
            if w.size not in (1, t.size):
                check_weight(self, sample_weight, (t.size,))
            w = np.broadcast_to(w, t.shape)
        keep = (t >= 0) & (t < self.num_classes) & (p >= 0) & (p < self.num_classes)
        if self.ignore_class is not None:
            keep &= t != self.ignore_class
        cm = confusion_matrix(t[keep], p[keep], self.num_classes, weights=w[keep])
        self.total_cm.assign(self.total_cm.data + cm)

    def result(self):
        cm = self.total_cm.data
        tp = np.diag(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - tp)[self.target_class_ids]
        tp = tp[self.target_class_ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary labels against ``y_pred >= threshold``, over ``target_class_ids``
    (0: the negatives, 1: the positives)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = real_number(threshold, "threshold", "BinaryIoU")

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = (as_array(y_pred).astype(np.float32) >= self.threshold).astype(np.int64)
        super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        n = checks.integer(num_classes, "num_classes", type(self).__name__, 1)
        super().__init__(num_classes=n, target_class_ids=list(range(n)), name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """IoU with one-hot y_true (and scores as y_pred unless ``sparse_y_pred``)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids,
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot y_true (and scores as y_pred unless ``sparse_y_pred``)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
