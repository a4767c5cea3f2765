"""Every Keras loss against PyTorch (or the published Keras formula where PyTorch has none),
with from_logits, sample weights, soft labels, label smoothing and each reduction."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet import losses

RNG = np.random.default_rng(11)
N, C = 6, 4


def _per_sample_mean(t):
    return t.mean(-1)


def _keras_reduce(per_sample, weights=None, reduction="sum_over_batch_size"):
    if weights is not None:
        per_sample = per_sample * torch.tensor(weights, dtype=per_sample.dtype)
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    return per_sample.sum() / per_sample.numel()


def _soft(shape):
    return RNG.dirichlet(np.ones(shape[-1]), size=shape[:-1])


# name: (loss class, torch per-sample function(y_pred, y_true), y_true, y_pred domain)
EPS = 1e-7
CASES = {
    "mse": (losses.MeanSquaredError, lambda p, t: ((p - t) ** 2).mean(-1), "real", (-2, 2)),
    "mae": (losses.MeanAbsoluteError, lambda p, t: (p - t).abs().mean(-1), "real", (-2, 2)),
    "mape": (losses.MeanAbsolutePercentageError,
             lambda p, t: 100 * ((t - p).abs() / t.abs().clamp(min=EPS)).mean(-1), "real",
             (-2, 2)),
    "msle": (losses.MeanSquaredLogarithmicError,
             lambda p, t: ((torch.log1p(p.clamp(min=EPS)) - torch.log1p(t.clamp(min=EPS))) ** 2)
             .mean(-1), "positive", (0.1, 3)),
    "bce_logits": (lambda **k: losses.BinaryCrossentropy(from_logits=True, **k),
                   lambda p, t: F.binary_cross_entropy_with_logits(p, t, reduction="none")
                   .mean(-1), "soft01", (-3, 3)),
    "bce_probs": (losses.BinaryCrossentropy,
                  lambda p, t: F.binary_cross_entropy(p, t, reduction="none").mean(-1),
                  "soft01", (0.05, 0.95)),
    "cce_logits": (lambda **k: losses.CategoricalCrossentropy(from_logits=True, **k),
                   lambda p, t: F.cross_entropy(p, t, reduction="none"), "dist", (-3, 3)),
    "cce_probs": (losses.CategoricalCrossentropy,
                  lambda p, t: -(t * torch.log(p / p.sum(-1, keepdim=True))).sum(-1), "dist",
                  (0.1, 1.0)),
    "hinge": (losses.Hinge, lambda p, t: torch.clamp(1 - (2 * t - 1) * p, min=0).mean(-1),
              "binary", (-2, 2)),
    "squared_hinge": (losses.SquaredHinge,
                      lambda p, t: torch.clamp(1 - (2 * t - 1) * p, min=0).pow(2).mean(-1),
                      "binary", (-2, 2)),
    "categorical_hinge": (losses.CategoricalHinge,
                          lambda p, t: torch.clamp(((1 - t) * p).amax(-1) - (t * p).sum(-1) + 1,
                                                   min=0), "onehot", (-2, 2)),
    "huber": (losses.Huber, lambda p, t: F.huber_loss(p, t, reduction="none", delta=1.0)
              .mean(-1), "real", (-3, 3)),
    "log_cosh": (losses.LogCosh, lambda p, t: torch.log(torch.cosh(p - t)).mean(-1), "real",
                 (-2, 2)),
    "kld": (losses.KLDivergence,
            lambda p, t: F.kl_div(torch.log(p), t, reduction="none").sum(-1), "dist",
            (0.05, 1.0)),
    "poisson": (losses.Poisson, lambda p, t: F.poisson_nll_loss(
        p, t, log_input=False, eps=EPS, reduction="none").mean(-1), "positive", (0.1, 3)),
    "cosine_similarity": (losses.CosineSimilarity, lambda p, t: -F.cosine_similarity(p, t, -1),
                          "real", (-2, 2)),
}


def _targets(kind, shape):
    if kind == "real":
        return RNG.uniform(-2, 2, shape)
    if kind == "positive":
        return RNG.uniform(0.1, 3, shape)
    if kind == "soft01":
        return RNG.uniform(0, 1, shape)
    if kind == "binary":
        return (RNG.random(shape) > 0.5).astype(float)
    if kind == "onehot":
        return np.eye(shape[-1])[RNG.integers(0, shape[-1], shape[:-1])]
    return _soft(shape)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_matches_torch(name, reduction, weighted):
    make, theirs, kind, (low, high) = CASES[name]
    y_true = _targets(kind, (N, C))
    y_pred = RNG.uniform(low, high, (N, C))
    w = RNG.uniform(0.2, 2.0, N) if weighted else None
    loss = make(reduction=reduction)
    check_op(lambda p: loss(y_true, p, sample_weight=w),
             lambda p: _keras_reduce(theirs(p, torch.tensor(y_true, dtype=p.dtype)), w,
                                     reduction),
             [(N, C)], arrays=[y_pred], kinks=(-1.0, 0.0, 1.0), fd_rtol=1e-4)


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_categorical_crossentropy(from_logits, weighted):
    labels = RNG.integers(0, C, N)
    y_pred = RNG.uniform(-3, 3, (N, C)) if from_logits else _soft((N, C))
    w = RNG.uniform(0.2, 2.0, N) if weighted else None
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)

    def theirs(p):
        logp = torch.log_softmax(p, -1) if from_logits else torch.log(p)
        per = -logp[torch.arange(N), torch.tensor(labels)]
        return _keras_reduce(per, w)

    check_op(lambda p: loss(labels, p, sample_weight=w), theirs, [(N, C)], arrays=[y_pred])


def test_label_smoothing_matches_torch():
    labels = RNG.integers(0, C, N)
    onehot = np.eye(C)[labels]
    cce = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    check_op(lambda z: cce(onehot, z),
             lambda z: F.cross_entropy(z, torch.tensor(labels), label_smoothing=0.2),
             [(N, C)])
    y = (RNG.random((N, 1)) > 0.5).astype(float)
    bce = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    smoothed = torch.tensor(y * 0.9 + 0.05, dtype=torch.float32)
    check_op(lambda z: bce(y, z),
             lambda z: F.binary_cross_entropy_with_logits(z, smoothed), [(N, 1)])


def test_binary_labels_of_shape_n_meet_predictions_of_shape_n_1():
    y = np.array([0.0, 1.0, 1.0])
    p = gn.tensor([[0.2], [0.7], [0.9]])
    ref = F.binary_cross_entropy(torch.tensor([[0.2], [0.7], [0.9]]),
                                 torch.tensor([[0.0], [1.0], [1.0]]))
    np.testing.assert_allclose(losses.BinaryCrossentropy()(y, p).item(), ref.item(), rtol=1e-6)


def test_mean_with_sample_weight_divides_by_the_weights():
    w = np.array([1.0, 3.0])
    out = losses.MeanAbsoluteError(reduction="mean_with_sample_weight")(
        np.zeros((2, 1)), np.array([[1.0], [2.0]]), sample_weight=w)
    assert out.item() == pytest.approx((1 * 1 + 3 * 2) / 4)


def test_fused_mean_is_one_node():
    z = gn.randn(4, 3, requires_grad=True)
    out = losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 1, 2, 0]), z)
    assert type(out.grad_fn).__name__ == "SparseSoftmaxCrossEntropy"


def test_functions_are_per_sample():
    y, p = np.zeros((5, 3)), np.ones((5, 3))
    for fn in (losses.mean_squared_error, losses.mae, losses.huber, losses.log_cosh,
               losses.poisson, losses.squared_hinge):
        assert fn(y, p).shape == (5,)


def test_names_aliases_and_errors():
    assert isinstance(losses.get("mse"), losses.MeanSquaredError)
    assert losses.get("mse").name == "mean_squared_error"
    assert isinstance(losses.get("kld"), losses.KLDivergence)
    assert isinstance(losses.get("SparseCategoricalCrossentropy"),
                      losses.SparseCategoricalCrossentropy)
    assert isinstance(losses.get(losses.categorical_crossentropy),
                      losses.CategoricalCrossentropy)
    cfg = losses.serialize(losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1))
    restored = losses.get(cfg)
    assert restored.get_config() == cfg["config"]
    custom = losses.get(lambda t, p: gn.mean((p - t) ** 2, axis=-1))
    assert custom(np.zeros((2, 2)), np.ones((2, 2))).item() == 1.0
    with pytest.raises(ValueError, match=r"Unknown loss: 'mean_sqared_error'. Did you mean "
                                         r"'mean_squared_error'\? Known losses: "):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not match"):
        losses.MeanSquaredError()(np.zeros((2, 1)), np.zeros((2, 1)), sample_weight=np.ones(3))
