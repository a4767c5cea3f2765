"""``Metric``: a quantity accumulated over batches (``update_state``), read with ``result``
and cleared with ``reset_state``. Metrics watch training; they are computed with NumPy
outside the autograd graph."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.naming import snake_case


def as_array(x):
    return np.asarray(x.data if isinstance(x, Tensor) else x)


class Metric:
    """Base class of stateful metrics."""

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight)``."""

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        if isinstance(values, float) and (sample_weight is None or
                                          isinstance(sample_weight, (int, float))):
            # one number per batch (the loss tracker): no arrays needed
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total += values * weight
            self.count += weight
            return
        values = as_array(values).astype(np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        w = np.broadcast_to(_weights_for(sample_weight, values), values.shape)
        self.total += float((values * w).sum())
        self.count += float(w.sum())

    def __call__(self, values, sample_weight=None):
        self.update_state(values, sample_weight)
        return self.result()

    def result(self):
        return self.total / self.count if self.count else 0.0


def _weights_for(sample_weight, values):
    w = as_array(sample_weight).astype(np.float64)
    while w.ndim > values.ndim and w.shape[-1] == 1:
        w = w[..., 0]
    while w.ndim < values.ndim:
        w = w[..., None]
    return w


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, a per-sample metric function."""

    fn = None

    def __init__(self, name=None, dtype=None, **kwargs):
        self.kwargs = kwargs
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(type(self).fn(y_true, y_pred, **self.kwargs), sample_weight)

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {**super().get_config(), **self.kwargs}
