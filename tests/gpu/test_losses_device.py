"""Every loss class glassnet.losses exports, given GPU y_true/y_pred tensors, gives the CPU's
value and gradient, kept on the GPU (the stand-in for CuPy unless GLASSNET_TEST_DEVICE=gpu)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from helpers import DEVICE_ATOL, DEVICE_RTOL

import glassnet as gn
from glassnet import backend, losses
from glassnet.losses import Loss, LossFunctionWrapper

CLASSES = sorted((c for c in vars(losses).values()
                  if inspect.isclass(c) and issubclass(c, Loss)
                  and c not in (Loss, LossFunctionWrapper)), key=lambda c: c.__name__)

_rng = np.random.default_rng(0)
_PROBS = _rng.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
_ONEHOT = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
_LABELS = np.array([0, 2, 1, 2])
_REAL = _rng.standard_normal((4, 3)).astype(np.float32)
_POS = _rng.uniform(0.5, 2.0, (4, 3)).astype(np.float32)


def _inputs(cls):
    """(y_true, y_pred, kwargs) a loss class takes."""
    name = cls.__name__
    if name == "CTC":
        labels = np.array([[1, 2, 0], [2, 2, 1]])
        return labels, _rng.standard_normal((2, 6, 4)).astype(np.float32), {}
    if name in ("SparseCategoricalCrossentropy", "CategoricalGeneralizedCrossEntropy"):
        return _LABELS, _PROBS / _PROBS.sum(-1, keepdims=True), {}
    if name in ("CategoricalCrossentropy", "KLDivergence", "CategoricalFocalCrossentropy",
                "CategoricalHinge"):
        return _ONEHOT, _PROBS / _PROBS.sum(-1, keepdims=True), {}
    if name in ("BinaryCrossentropy", "BinaryFocalCrossentropy", "Dice", "Tversky", "Hinge",
                "SquaredHinge"):
        return (_PROBS > 0.5).astype(np.float32), _PROBS, {}
    if name in ("Poisson", "MeanSquaredLogarithmicError", "MeanAbsolutePercentageError"):
        return _POS, _POS[::-1].copy(), {}
    return _REAL, _REAL[::-1].copy(), {}


VARIANTS = {
    "BinaryCrossentropy": [{}, {"from_logits": True}, {"label_smoothing": 0.1}],
    "CategoricalCrossentropy": [{}, {"from_logits": True}, {"label_smoothing": 0.1}],
    "SparseCategoricalCrossentropy": [{}, {"from_logits": True}, {"ignore_class": 1}],
    "BinaryFocalCrossentropy": [{}, {"apply_class_balancing": True, "from_logits": True}],
    "CategoricalFocalCrossentropy": [{}, {"from_logits": True}],
}
CASES = [(c, kw) for c in CLASSES for kw in VARIANTS.get(c.__name__, [{}])]
# Still host NumPy inside (the GPU's open list in docs/gpu.md): CTC's dynamic program, the
# generalized cross-entropy's label read and ignore_class's mask.
HOST_ONLY = {"CTC": "CTC's dynamic program is host NumPy",
             "CategoricalGeneralizedCrossEntropy": "reads its labels with np.asarray"}


def _marks(cls, kwargs):
    reason = HOST_ONLY.get(cls.__name__) or \
        ("ignore_class's mask is made on the host" if "ignore_class" in kwargs else None)
    return [pytest.mark.xfail(reason=reason, raises=TypeError, strict=True)] if reason else []


def _run(loss, y_true, y_pred, weight=None):
    p = gn.tensor(y_pred, requires_grad=True)
    t = gn.tensor(y_true)
    out = loss(t, p, sample_weight=weight)
    out.backward(gn.ones_like(out))
    grad = p.grad.data if isinstance(p.grad, gn.Tensor) else p.grad
    return out.data, grad


def _same(a, b):
    np.testing.assert_allclose(backend.to_host(a), backend.to_host(b), rtol=DEVICE_RTOL,
                               atol=DEVICE_ATOL)


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "sample_weight"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
@pytest.mark.parametrize("cls,kwargs", [
    pytest.param(c, kw, id=f"{c.__name__}{'-' + '-'.join(kw) if kw else ''}",
                 marks=_marks(c, kw)) for c, kw in CASES])
def test_loss_on_device_matches_cpu(gpu, cls, kwargs, reduction, weighted):
    y_true, y_pred, _ = _inputs(cls)
    loss = cls(reduction=reduction, **kwargs)
    weight = np.linspace(0.5, 1.5, y_pred.shape[0]).astype(np.float32) if weighted else None
    value, grad = _run(loss, y_true, y_pred, weight)
    with gn.device("gpu"):
        dweight = None if weight is None else backend.to_device(weight)
        y_true_d, y_pred_d = backend.to_device(y_true), backend.to_device(y_pred)
        dvalue, dgrad = _run(loss, y_true_d, y_pred_d, dweight)
    assert backend.on_device(dvalue), f"{cls.__name__}: the loss left the device"
    assert backend.on_device(dgrad), f"{cls.__name__}: the gradient left the device"
    _same(dvalue, value)
    _same(dgrad, grad)
