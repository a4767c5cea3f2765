"""``Loss``: a per-sample loss function, weighted by sample and reduced over the batch."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.autograd.tensor import Tensor
from glassnet.naming import snake_case

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` returns the reduced loss.

    Reductions (Keras's): "sum_over_batch_size" (default; also "mean" and Keras 2's "auto")
    divides the weighted sum by the number of per-sample losses; "sum"; "none" returns the
    weighted per-sample losses; "mean_with_sample_weight" divides by the sum of the weights.
    Subclasses implement ``call(y_true, y_pred)`` returning per-sample losses.
    """

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        # ``dtype`` is taken for Keras's signature: losses follow their inputs' dtype
        self.dtype = dtype
        if reduction == "auto":
            reduction = "sum_over_batch_size"
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}. "
                             f"Received: reduction={reduction!r}")
        self.reduction = reduction
        self.name = name or snake_case(type(self).__name__)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        if mask is not None:  # predictions of padded timesteps weigh nothing (Keras)
            sample_weight = masked_sample_weight(sample_weight, mask, self.reduction)
        y_true, y_pred = _match_rank(y_true, y_pred, self._sparse)
        if sample_weight is None and self.reduction in ("sum_over_batch_size", "mean"):
            fused = self.call_mean(y_true, y_pred)
            if fused is not None:
                return fused
        losses = self.call(y_true, y_pred)
        if sample_weight is not None:
            losses = losses * _sample_weight(sample_weight, losses, self.name)
        return reduce_losses(losses, self.reduction, sample_weight)

    def call_mean(self, y_true, y_pred):
        """The mean loss in one fused op, or None where the loss has no fused form."""
        return None

    # Sparse losses take labels with one axis fewer than the predictions.
    _sparse = False

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


def masked_sample_weight(sample_weight, mask, reduction):
    """``sample_weight`` times ``mask`` (True: a real timestep). For the mean reductions the
    kept entries weigh total / kept, so the mean over all entries is the mean over the kept
    ones (Keras's ``apply_mask``)."""
    mask = _array(mask).astype(bool, copy=False)
    weight = mask.astype(np.float32)
    if reduction in ("sum_over_batch_size", "mean"):
        kept = weight.sum()
        weight *= mask.size / kept if kept else 0.0
    if sample_weight is None:
        return weight
    sw = _array(sample_weight).astype(np.float32, copy=False)
    while sw.ndim > weight.ndim and sw.shape[-1] == 1:
        sw = sw[..., 0]
    while sw.ndim < weight.ndim:
        sw = sw[..., None]
    return sw * weight


def reduce_losses(losses, reduction, sample_weight=None):
    """Reduce per-sample ``losses`` (a tensor) as ``Loss`` does."""
    if reduction == "none":
        return losses
    total = ops.sum(losses)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        weight_sum = float(np.broadcast_to(_array(sample_weight), losses.shape).sum())
        return total / max(weight_sum, 1e-12)
    return total / max(losses.size, 1)


def _array(x):
    return backend.asarray(x.data if isinstance(x, Tensor) else x)


def _match_rank(y_true, y_pred, sparse):
    """Keras's squeeze-or-expand: labels of shape (N,) meet predictions of shape (N, 1)."""
    t_shape, p_shape = np.shape(_array(y_true)), np.shape(_array(y_pred))
    if sparse:
        return y_true, y_pred
    if len(t_shape) == len(p_shape) - 1 and p_shape[-1:] == (1,):
        y_true = ops.unsqueeze(ops.cast(y_true, _array(y_true).dtype), -1) \
            if isinstance(y_true, Tensor) else _array(y_true)[..., None]
    elif len(t_shape) == len(p_shape) + 1 and t_shape[-1:] == (1,):
        y_true = _array(y_true)[..., 0] if not isinstance(y_true, Tensor) else \
            ops.squeeze(y_true, -1)
    return y_true, y_pred


def _sample_weight(sample_weight, losses, name):
    w = _array(sample_weight).astype(losses.dtype, copy=False)
    # (N,) losses with (N, 1) weights, or (N, T) losses with (N,) weights.
    while w.ndim > losses.ndim and w.shape[-1] == 1:
        w = w[..., 0]
    while w.ndim < losses.ndim:
        w = w[..., None]
    try:
        np.broadcast_shapes(w.shape, losses.shape)
    except ValueError:
        raise ValueError(
            f"{name}: sample_weight of shape {_array(sample_weight).shape} does not match the "
            f"per-sample losses of shape {tuple(losses.shape)}") from None
    return w


@functools.cache
def _takes_reduction(fn):
    return "reduction" in inspect.signature(fn).parameters


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.kwargs = kwargs

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self.kwargs)

    def call_mean(self, y_true, y_pred):
        if not _takes_reduction(type(self).fn):
            return None
        return type(self).fn(y_true, y_pred, reduction="mean", **self.kwargs)

    def get_config(self):
        return {**super().get_config(), **self.kwargs}
