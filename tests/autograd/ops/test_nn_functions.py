import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's spelling
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.nn_functions import (
    batch_normalization,
    boolean_mask,
    clip_by_global_norm,
    clip_by_norm,
    gather,
    gather_nd,
    l2_normalize,
    moments,
    segment_sum,
    sequence_mask,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
    unsorted_segment_sum,
)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 2)])
def test_sigmoid_cross_entropy_matches_bce_with_logits(shape):
    check_op(lambda z, x: sigmoid_cross_entropy_with_logits(labels=z, logits=x),
             lambda z, x: F.binary_cross_entropy_with_logits(x, z, reduction="none"),
             [shape, shape], low=-3.0, high=3.0)


def test_sigmoid_cross_entropy_is_stable_and_checks_shapes():
    y = sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0, 1.0], logits=[-200.0, 200.0, 200.0])
    np.testing.assert_allclose(y.numpy(), [200.0, 200.0, 0.0], atol=1e-6)
    with pytest.raises(ValueError, match=r"same shape.*\(2,\).*\(3,\)"):
        sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="both labels and logits"):
        sigmoid_cross_entropy_with_logits(logits=[0.0])


def _soft_ce(y, z, dim=-1):
    return -(y * torch.log_softmax(z, dim)).sum(dim)


@pytest.mark.parametrize("shape,axis", [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1)])
def test_softmax_cross_entropy_with_soft_labels(shape, axis):
    check_op(lambda y, z: softmax_cross_entropy_with_logits(y, z, axis=axis),
             lambda y, z: _soft_ce(y, z, axis), [shape, shape], low=0.0, high=1.0)
    check_op(lambda y, z: softmax_cross_entropy_with_logits(y, z, axis=axis),
             lambda y, z: _soft_ce(y, z, axis), [shape, shape], seed=4)


def test_softmax_cross_entropy_with_one_hot_matches_torch_cross_entropy():
    logits = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[[0, 2, 1, 1]]
    ours = softmax_cross_entropy_with_logits(labels, logits).numpy()
    ref = F.cross_entropy(torch.tensor(logits), torch.tensor(labels), reduction="none")
    np.testing.assert_allclose(ours, ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(4,), (5, 3), (2, 3, 4)])
def test_sparse_softmax_cross_entropy(shape):
    labels = np.random.default_rng(1).integers(0, shape[-1], size=shape[:-1])
    check_op(lambda z: sparse_softmax_cross_entropy_with_logits(labels, z),
             lambda z: F.cross_entropy(z.reshape(-1, shape[-1]),
                                       torch.tensor(labels).reshape(-1),
                                       reduction="none").reshape(shape[:-1]), [shape])


def test_sparse_softmax_cross_entropy_checks_labels():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"in \[0, 3\); received 3"):
        sparse_softmax_cross_entropy_with_logits([0, 3], z)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        sparse_softmax_cross_entropy_with_logits([[0], [1]], z)
    with pytest.raises(TypeError, match="labels must be integers"):
        sparse_softmax_cross_entropy_with_logits([0.0, 1.0], z)


@pytest.mark.parametrize("axes,keepdims", [([0], False), ([0, 1], True), (-1, False)])
def test_moments(axes, keepdims):
    dims = axes if isinstance(axes, list) else [axes]
    check_op(lambda x: moments(x, axes, keepdims)[0],
             lambda x: x.mean(dims, keepdim=keepdims), [(4, 3, 2)])
    check_op(lambda x: moments(x, axes, keepdims)[1],
             lambda x: x.var(dims, unbiased=False, keepdim=keepdims), [(4, 3, 2)])


def test_batch_normalization_matches_formula():
    def ref(x, m, v, b, s):
        return s * (x - m) / torch.sqrt(v + 1e-3) + b
    check_op(lambda x, m, v, b, s: batch_normalization(x, m, v, b, s, 1e-3), ref,
             [(5, 3), (3,), (3,), (3,), (3,)], low=0.2, high=2.0)
    out = batch_normalization([[1.0, 3.0]], [1.0, 1.0], [4.0, 4.0], None, None, 0.0)
    np.testing.assert_allclose(out.numpy(), [[0.0, 1.0]])


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_l2_normalize(axis):
    def ref(x):
        dims = list(range(x.ndim)) if axis is None else axis
        return x * torch.rsqrt(torch.clamp((x * x).sum(dims, keepdim=True), min=1e-12))
    check_op(lambda x: l2_normalize(x, axis), ref, [(3, 4)])
    assert l2_normalize(np.zeros(3)).numpy().tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("shape,indices,axis,batch_dims", [
    ((5,), [4, 0, 0], None, 0),
    ((4, 3), [[1, 1], [3, 0]], 0, 0),
    ((4, 3), [2, 0], 1, 0),
    ((2, 4, 3), [[1, 1], [0, 3]], 1, 1),
    ((2, 3, 4, 5), [[3, 0], [1, 1]], 2, 1),
])
def test_gather(shape, indices, axis, batch_dims):
    x = np.random.default_rng(2).standard_normal(shape)
    ref = _np_gather(x, np.array(indices), axis if axis is not None else batch_dims, batch_dims)
    np.testing.assert_allclose(gather(x, indices, axis, batch_dims).numpy(), ref, rtol=1e-6)
    if batch_dims == 0:
        idx = torch.tensor(indices)
        ax = axis or 0
        check_op(lambda t: gather(t, indices, axis),
                 lambda t: t.index_select(ax, idx.reshape(-1)).reshape(
                     t.shape[:ax] + idx.shape + t.shape[ax + 1:]), [shape])
    else:
        check_op(lambda t: gather(t, indices, axis, batch_dims), None, [shape])


def _np_gather(x, idx, axis, b):
    """tf.gather's definition, one batch element at a time (reference only)."""
    if b == 0:
        return np.take(x, idx, axis=axis)
    return np.stack([_np_gather(x[i], idx[i], axis - 1, b - 1) for i in range(x.shape[0])])


@pytest.mark.parametrize("shape,indices,batch_dims", [
    ((3, 4), [[0, 1], [2, 3], [0, 1]], 0),
    ((3, 4, 2), [[1], [2]], 0),
    ((3, 4, 2), [[[0, 1]], [[2, 0]]], 0),
    ((3, 4, 2), [[[1]], [[3]], [[0]]], 1),
])
def test_gather_nd(shape, indices, batch_dims):
    idx = np.array(indices)

    def ref(t):
        if batch_dims == 0:
            return t[tuple(torch.tensor(idx[..., k]) for k in range(idx.shape[-1]))]
        rows = torch.arange(shape[0]).reshape(-1, *([1] * (idx.ndim - 2)))
        return t[(rows,) + tuple(torch.tensor(idx[..., k]) for k in range(idx.shape[-1]))]
    check_op(lambda t: gather_nd(t, indices, batch_dims), ref, [shape])


def test_gather_checks_indices():
    with pytest.raises(ValueError, match=r"in \[0, 3\); received 3"):
        gather(np.zeros(3), [3])
    with pytest.raises(ValueError, match=r"in \[0, 2\); received -1"):
        gather_nd(np.zeros((2, 2)), [[0, -1]])
    with pytest.raises(ValueError, match="too long"):
        gather_nd(np.zeros((2, 2)), [[0, 0, 0]])
    with pytest.raises(TypeError, match="integers"):
        gather(np.zeros(3), [0.5])
    with pytest.raises(ValueError, match="batch_dims=1"):
        gather(np.zeros((2, 3)), np.zeros((3, 1), int), batch_dims=1)


@pytest.mark.parametrize("shape,mask_shape,axis", [((5,), (5,), None), ((4, 3), (4,), None),
                                                  ((4, 3), (4, 3), None), ((2, 4, 3), (4,), 1)])
def test_boolean_mask(shape, mask_shape, axis):
    mask = np.random.default_rng(3).random(mask_shape) > 0.4
    lead = (slice(None),) * (axis or 0)
    check_op(lambda t: boolean_mask(t, mask, axis), lambda t: t[lead + (torch.tensor(mask),)],
             [shape])


def test_boolean_mask_checks_mask():
    with pytest.raises(ValueError, match=r"mask of shape \(3,\)"):
        boolean_mask(np.zeros((4, 2)), [True, False, True])
    with pytest.raises(TypeError, match="boolean"):
        boolean_mask(np.zeros(2), [1, 0])


def test_sequence_mask():
    mask = sequence_mask([[1, 3], [0, 2]], maxlen=3)
    assert mask.dtype == bool and mask.shape == (2, 2, 3)
    assert mask.numpy().astype(int).tolist() == [[[1, 0, 0], [1, 1, 1]], [[0, 0, 0], [1, 1, 0]]]
    assert sequence_mask([2, 1]).shape == (2, 2)
    assert sequence_mask([2], dtype="float32").numpy().tolist() == [[1.0, 1.0]]


@pytest.mark.parametrize("axes,clip", [(None, 1.0), (None, 100.0), ([1], 1.5), (0, 0.5)])
def test_clip_by_norm(axes, clip):
    def ref(t):
        dims = list(range(t.ndim)) if axes is None else axes
        norm = torch.sqrt((t * t).sum(dims, keepdim=True))
        return t * clip / torch.maximum(norm, torch.tensor(clip))
    check_op(lambda t: clip_by_norm(t, clip, axes), ref, [(3, 4)])


def test_clip_by_norm_of_zeros_has_a_finite_gradient():
    x = gn.tensor(np.zeros((2, 2)), requires_grad=True)
    clip_by_norm(x, 1.0).sum().backward()
    assert np.isfinite(x.grad).all()


@pytest.mark.parametrize("clip", [0.5, 50.0])
def test_clip_by_global_norm(clip):
    def ref(a, b):
        norm = torch.sqrt((a * a).sum() + (b * b).sum())
        s = clip / torch.maximum(norm, torch.tensor(clip))
        return torch.cat([(a * s).reshape(-1), (b * s).reshape(-1), norm.reshape(1)])

    def ours(a, b):
        (ca, cb), norm = clip_by_global_norm([a, b], clip)
        return gn.concat([ca.reshape(-1), cb.reshape(-1), norm.reshape(1)])
    check_op(ours, ref, [(2, 3), (4,)])


def test_clip_by_global_norm_none_entries_and_nan():
    clipped, norm = clip_by_global_norm([np.array([3.0]), None, np.array([4.0])], 1.0)
    assert clipped[1] is None and norm.item() == pytest.approx(5.0)
    np.testing.assert_allclose(clipped[2].numpy(), [0.8])
    clipped, _ = clip_by_global_norm([np.array([np.inf, 1.0])], 1.0)
    assert np.isnan(clipped[0].numpy()).all()
    with pytest.raises(TypeError, match="list or tuple"):
        clip_by_global_norm(np.ones(3), 1.0)


@pytest.mark.parametrize("data_shape,ids", [((5,), [0, 0, 1, 3, 3]), ((4, 3), [0, 1, 1, 2])])
def test_segment_sum(data_shape, ids):
    n = max(ids) + 1
    check_op(lambda d: segment_sum(d, ids),
             lambda d: torch.zeros((n,) + d.shape[1:]).index_add(0, torch.tensor(ids), d),
             [data_shape])


@pytest.mark.parametrize("data_shape,ids,num", [((5,), [2, 0, 2, -1, 1], 4),
                                                ((4, 3), [3, 1, 3, 0], 5),
                                                ((2, 3, 2), [[0, 2, 0], [1, -1, 1]], 3)])
def test_unsorted_segment_sum(data_shape, ids, num):
    idx = np.array(ids)
    rest = data_shape[idx.ndim:]

    def ref(d):
        keep = torch.tensor(idx.reshape(-1) >= 0)
        rows = d.reshape((-1,) + rest)[keep]
        return torch.zeros((num,) + rest).index_add(0, torch.tensor(idx.reshape(-1))[keep], rows)
    check_op(lambda d: unsorted_segment_sum(d, ids, num), ref, [data_shape])


def test_segment_sums_check_ids():
    with pytest.raises(ValueError, match="sorted"):
        segment_sum(np.ones(3), [1, 0, 2])
    with pytest.raises(ValueError, match="num_segments=2"):
        unsorted_segment_sum(np.ones(3), [0, 2, 1], 2)
    with pytest.raises(ValueError, match=r"segment_ids of shape \(2,\)"):
        unsorted_segment_sum(np.ones(3), [0, 1], 2)
