import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn

sdpa = gn.scaled_dot_product_attention

SHAPES = [
    [(4, 3), (5, 3), (5, 2)],                   # 2-D, L != S
    [(2, 4, 3), (2, 6, 3), (2, 6, 5)],          # 3-D
    [(2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 2)],  # 4-D (batch, heads, L, E)
    [(2, 3, 5, 4), (1, 3, 7, 4), (2, 1, 7, 2)],  # broadcast batch axes
]


@pytest.mark.parametrize("shapes", SHAPES)
def test_matches_torch(shapes):
    check_op(sdpa, F.scaled_dot_product_attention, shapes)


@pytest.mark.parametrize("shapes", SHAPES[1:3])
@pytest.mark.parametrize("scale", [0.3, 2.0])
def test_scale(shapes, scale):
    check_op(lambda q, k, v: sdpa(q, k, v, scale=scale),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=scale), shapes)


@pytest.mark.parametrize("lengths", [(5, 5), (3, 6), (6, 3)])
def test_causal_aligned_top_left(lengths):
    length, source = lengths
    shapes = [(2, length, 4), (2, source, 4), (2, source, 3)]
    check_op(lambda q, k, v: sdpa(q, k, v, is_causal=True),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), shapes)


@pytest.mark.parametrize("mask_shape", [(4, 6), (2, 1, 4, 6), (1, 6)])
def test_bool_mask(mask_shape):
    mask = np.random.default_rng(7).random(mask_shape) > 0.4
    mask[..., 0] = True  # no fully masked rows here (see the test below)
    tmask = torch.tensor(mask)
    shapes = [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2)]
    check_op(lambda q, k, v: sdpa(q, k, v, attn_mask=mask),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=tmask), shapes)


@pytest.mark.parametrize("mask_shape", [(4, 6), (3, 1, 6)])
def test_float_mask_is_added_and_gets_a_gradient(mask_shape):
    shapes = [(3, 4, 5), (3, 6, 5), (3, 6, 2), mask_shape]
    check_op(lambda q, k, v, m: sdpa(q, k, v, attn_mask=m),
             lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), shapes)


def test_constant_float_mask():
    mask = np.random.default_rng(2).standard_normal((4, 6)).astype(np.float32)
    check_op(lambda q, k, v: sdpa(q, k, v, attn_mask=mask),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v,
                                                            attn_mask=torch.tensor(mask)),
             [(4, 5), (6, 5), (6, 3)])


@pytest.mark.parametrize("as_float", [False, True])
def test_fully_masked_rows_give_zero_like_torch(as_float):
    mask = np.ones((3, 5), bool)
    mask[1] = False
    if as_float:
        mask = np.where(mask, 0.0, -np.inf).astype(np.float32)
    tmask = torch.tensor(mask)
    check_op(lambda q, k, v: sdpa(q, k, v, attn_mask=mask),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=tmask),
             [(2, 3, 4), (2, 5, 4), (2, 5, 2)])
    q = gn.randn(2, 3, 4, requires_grad=True)
    out = sdpa(q, gn.randn(2, 5, 4), gn.randn(2, 5, 2), attn_mask=mask)
    assert np.isfinite(out.numpy()).all() and (out.numpy()[:, 1] == 0).all()


def _reference_with_dropout(q, k, v, keep, rate):
    p = torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5, dim=-1)
    return (p * keep / (1 - rate)) @ v


def test_dropout_mask_comes_from_the_seeded_generator():
    # gn.seed(n) makes the generator np.random.default_rng(n); the op draws one uniform per
    # attention weight and keeps those >= rate, so the mask can be recomputed here.
    rate, shapes = 0.3, [(2, 4, 3), (2, 5, 3), (2, 5, 2)]
    keep = torch.tensor(np.random.default_rng(11).random((2, 4, 5), dtype=np.float32) >= rate)

    def ours(q, k, v):
        gn.seed(11)
        return sdpa(q, k, v, dropout_p=rate)

    # device=False: a GPU draws other masks (tests/gpu/test_dropout_device.py checks them)
    check_op(ours, lambda q, k, v: _reference_with_dropout(q, k, v, keep, rate), shapes,
             device=False)


def test_dropout_keeps_the_expectation_and_is_off_outside_training():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in [(64, 6, 4), (64, 7, 4),
                                                                     (64, 7, 3)])
    gn.seed(1)
    draws = np.stack([sdpa(q, k, v, dropout_p=0.5).numpy() for _ in range(200)])
    exact = sdpa(q, k, v).numpy()
    assert not np.allclose(draws[0], exact)
    # the mean of 200 draws is within a few standard errors of the exact output
    err = np.abs(draws.mean(0) - exact).mean()
    assert err < 0.1 * np.abs(exact).mean() + 0.02, err
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=0.5, training=False).numpy(), exact)
    gn.seed(4)
    a = sdpa(q, k, v, dropout_p=0.5).numpy()
    gn.seed(4)
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=0.5).numpy(), a)


def test_float32_by_default_and_float64_kept():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((3, 4))
    assert sdpa(q.tolist(), q.tolist(), q.tolist()).dtype == np.float32
    assert sdpa(gn.tensor(q, dtype=np.float64), q, q).dtype == np.float64


@pytest.mark.parametrize("kwargs,match", [
    (dict(query=np.ones(3)), r"query must have at least 2 dimensions.*\(3,\)"),
    (dict(key=np.ones((5, 4))), r"same last dimension E.*\(4, 3\).*\(5, 4\)"),
    (dict(value=np.ones((4, 2))), r"same source length S.*\(5, 3\).*\(4, 2\)"),
    (dict(attn_mask=np.ones((3, 5), bool)), r"attn_mask of shape \(3, 5\).*\(4, 5\)"),
    (dict(attn_mask=np.ones((4, 5), bool), is_causal=True), r"either attn_mask or is_causal"),
    (dict(dropout_p=1.5), r"0 <= dropout_p <= 1. Received: dropout_p=1.5"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = dict(query=np.ones((4, 3)), key=np.ones((5, 3)), value=np.ones((5, 2)))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sdpa(**args)


def test_bad_types_are_named():
    with pytest.raises(TypeError, match=r"attn_mask must be bool .* received dtype int64"):
        sdpa(np.ones((4, 3)), np.ones((5, 3)), np.ones((5, 2)),
             attn_mask=np.ones((4, 5), np.int64))
    with pytest.raises(TypeError, match=r"scale must be a number or None; received 'x'"):
        sdpa(np.ones((4, 3)), np.ones((5, 3)), np.ones((5, 2)), scale="x")


def test_gradient_only_to_inputs_that_require_it():
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in [(2, 4, 3), (2, 5, 3), (2, 5, 2)])
    tq, tv = gn.tensor(q, requires_grad=True), gn.tensor(v, requires_grad=True)
    sdpa(tq, k, tv, is_causal=True).sum().backward()
    rq, rv = torch.tensor(q, requires_grad=True), torch.tensor(v, requires_grad=True)
    F.scaled_dot_product_attention(rq, torch.tensor(k), rv, is_causal=True).sum().backward()
    np.testing.assert_allclose(tq.grad, rq.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tv.grad, rv.grad.numpy(), rtol=1e-5, atol=1e-6)
