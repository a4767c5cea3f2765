import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn

RNG = np.random.default_rng(7)
REDUCTIONS = ["mean", "sum", "none"]


def _per_sample_mean(t, reduction):
    """Keras's convention in torch: mean over the last axis, then the reduction."""
    per = t.mean(-1) if t.ndim >= 2 else t
    return {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (4, 3)])
def test_mse_mae(reduction, shape):
    check_op(lambda p, y: gn.mean_squared_error(y, p, reduction=reduction),
             lambda p, y: _per_sample_mean((p - y) ** 2, reduction), [shape, shape])
    check_op(lambda p, y: gn.mean_absolute_error(y, p, reduction=reduction),
             lambda p, y: _per_sample_mean((p - y).abs(), reduction), [shape, shape], seed=2)
    check_op(lambda p, y: gn.mean_squared_error(y, p), lambda p, y: F.mse_loss(p, y),
             [shape, shape], seed=4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_crossentropy_from_logits_with_soft_targets(reduction):
    shape = (5, 3)
    y = RNG.uniform(0, 1, shape)  # soft targets
    check_op(lambda z, t: gn.binary_crossentropy(t, z, from_logits=True, reduction=reduction),
             lambda z, t: _per_sample_mean(F.binary_cross_entropy_with_logits(
                 z, t, reduction="none"), reduction),
             [shape, shape], arrays=[RNG.uniform(-4, 4, shape), y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_crossentropy_from_probabilities(reduction):
    shape = (6,)
    p, y = RNG.uniform(0.05, 0.95, shape), (RNG.random(shape) > 0.5).astype(float)
    check_op(lambda p, t: gn.binary_crossentropy(t, p, reduction=reduction),
             lambda p, t: _per_sample_mean(F.binary_cross_entropy(p, t, reduction="none"),
                                           reduction),
             [shape, shape], arrays=[p, y])


def test_binary_crossentropy_from_logits_is_stable():
    z = gn.tensor([-1e4, 1e4, 0.0], requires_grad=True)
    y = gn.tensor([1.0, 0.0, 1.0])
    loss = gn.binary_crossentropy(y, z, from_logits=True)
    loss.backward()
    tz = torch.tensor([-1e4, 1e4, 0.0], requires_grad=True)
    ref = F.binary_cross_entropy_with_logits(tz, torch.tensor([1.0, 0.0, 1.0]))
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-6)


def test_binary_crossentropy_clips_probabilities():
    loss = gn.binary_crossentropy(gn.tensor([1.0, 0.0]), gn.tensor([0.0, 1.0]))
    # p = 0 is read as 1e-7, p = 1 as the float32 nearest below 1 - 1e-7.
    lo, hi = np.float32(1e-7), np.float32(1 - 1e-7)
    np.testing.assert_allclose(loss.item(), (-np.log(lo) - np.log1p(-hi)) / 2, rtol=1e-6)
    assert np.isfinite(loss.item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_categorical_crossentropy_from_logits(reduction, shape):
    y = RNG.dirichlet(np.ones(shape[-1]), size=shape[:-1])  # soft labels summing to 1

    def theirs(z, t):
        per = -(t * torch.log_softmax(z, -1)).sum(-1)
        return {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]

    check_op(lambda z, t: gn.categorical_crossentropy(t, z, from_logits=True,
                                                      reduction=reduction),
             theirs, [shape, shape], arrays=[RNG.uniform(-3, 3, shape), y])


def test_fused_softmax_cross_entropy_backward_is_p_minus_y_over_n():
    z = gn.tensor(RNG.standard_normal((8, 5)), requires_grad=True)
    y = np.eye(5)[RNG.integers(0, 5, 8)]
    loss = gn.softmax_cross_entropy(y, z, from_logits=True)
    assert type(loss.grad_fn).__name__ == "SoftmaxCrossEntropy"
    loss.backward()
    np.testing.assert_allclose(z.grad, (gn.softmax(z).numpy() - y) / 8, rtol=1e-5, atol=1e-7)
    ref = F.cross_entropy(torch.tensor(z.numpy()), torch.tensor(y.argmax(1)))
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)


def test_categorical_crossentropy_from_probabilities():
    shape = (4, 3)
    p = RNG.uniform(0.1, 1.0, shape)
    y = np.eye(3)[[0, 2, 1, 2]]

    def theirs(q, t):
        q = torch.clamp(q / q.sum(-1, keepdim=True), 1e-7, 1 - 1e-7)
        return -(t * q.log()).sum(-1).mean()

    check_op(lambda q, t: gn.categorical_crossentropy(t, q), theirs, [shape, shape],
             arrays=[p, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 5)])
def test_sparse_categorical_crossentropy_from_logits(reduction, shape):
    labels = RNG.integers(0, shape[-1], shape[:-1])

    def theirs(z):
        return F.cross_entropy(z.reshape(-1, shape[-1]), torch.tensor(labels).reshape(-1),
                               reduction=reduction).reshape(
            labels.shape if reduction == "none" else ())

    check_op(lambda z: gn.sparse_categorical_crossentropy(labels, z, from_logits=True,
                                                          reduction=reduction),
             theirs, [shape], low=-3, high=3)


def test_sparse_categorical_crossentropy_from_probabilities_and_column_labels():
    labels = np.array([[1], [0], [2]])
    p = RNG.uniform(0.1, 1.0, (3, 3))
    check_op(lambda q: gn.sparse_categorical_crossentropy(labels, q),
             lambda q: -torch.log(q[torch.arange(3), torch.tensor(labels[:, 0])]).mean(),
             [(3, 3)], arrays=[p])


def test_sparse_labels_as_whole_floats_are_accepted():
    z = gn.zeros(2, 3)
    a = gn.sparse_categorical_crossentropy(np.array([2.0, 0.0]), z, from_logits=True)
    b = gn.sparse_categorical_crossentropy(np.array([2, 0]), z, from_logits=True)
    assert a.item() == b.item()


@pytest.mark.parametrize("labels", [[-1.0, 1.0, 1.0, -1.0], [0.0, 1.0, 1.0, 0.0]])
def test_hinge(labels):
    y = np.array(labels)
    signed = torch.tensor(np.where(y == 0, -1.0, y), dtype=torch.float32)
    check_op(lambda p: gn.hinge(y, p), lambda p: torch.clamp(1 - signed * p, min=0).mean(),
             [(4,)], kinks=(-1.0, 1.0))


def test_loss_errors_name_the_shapes_and_suggest_the_fix():
    with pytest.raises(ValueError, match=r"mean_squared_error: y_true and y_pred must have the "
                                         r"same shape; received y_true of shape \(32,\) and "
                                         r"y_pred of shape \(32, 1\)"):
        gn.mean_squared_error(np.zeros(32), gn.zeros(32, 1))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\) for y_pred with 10 "
                                         r"classes; received label 10"):
        gn.sparse_categorical_crossentropy([3, 10], gn.zeros(2, 10), from_logits=True)
    with pytest.raises(ValueError, match=r"received label -1"):
        gn.sparse_categorical_crossentropy([-1, 0], gn.zeros(2, 10))
    with pytest.raises(ValueError, match=r"expected integer labels of shape \(4,\) .* "
                                         r"look like one-hot labels: use categorical_cross"):
        gn.sparse_categorical_crossentropy(np.eye(3)[[0, 1, 2, 0]], gn.zeros(4, 3))
    with pytest.raises(ValueError, match="labels must be whole numbers"):
        gn.sparse_categorical_crossentropy([0.5, 1.0], gn.zeros(2, 3))
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\)"):
        gn.mean_absolute_error(gn.zeros(2), gn.zeros(2), reduction="avg")
