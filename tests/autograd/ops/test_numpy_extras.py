import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn

# (name, glassnet fn, torch fn, input shapes, extra check_op arguments)
CASES = [
    ("cbrt", gn.cbrt, lambda x: torch.sign(x) * x.abs() ** (1 / 3), [(3, 4)],
     {"kinks": (0.0,), "low": 0.2}),
    ("exp2", gn.exp2, torch.exp2, [(3, 4)], {}),
    ("logaddexp2", gn.logaddexp2, torch.logaddexp2, [(3, 1), (4,)], {}),
    ("sinc", gn.sinc, torch.sinc, [(3, 4)], {}),
    ("deg2rad", gn.deg2rad, torch.deg2rad, [(5,)], {}),
    ("rad2deg", gn.rad2deg, torch.rad2deg, [(5,)], {"rtol": 1e-4}),
    ("divide_no_nan", gn.divide_no_nan, lambda a, b: a / b, [(3, 4), (4,)], {"kinks": (0.0,)}),
    ("fmax", gn.fmax, torch.fmax, [(3, 4), (3, 4)], {}),
    ("fmin", gn.fmin, torch.fmin, [(3, 4), (3, 4)], {}),
    ("copy", gn.copy, torch.clone, [(2, 3)], {}),
    ("erfc", gn.erfc, torch.erfc, [(6,)], {}),
    ("hard_tanh", gn.hard_tanh, F.hardtanh, [(3, 5)], {"kinks": (-1.0, 1.0)}),
    ("hard_shrink", gn.hard_shrink, F.hardshrink, [(3, 5)], {"kinks": (-0.5, 0.5)}),
    ("soft_shrink", gn.soft_shrink, F.softshrink, [(3, 5)], {"kinks": (-0.5, 0.5)}),
    ("tanh_shrink", gn.tanh_shrink, F.tanhshrink, [(3, 5)], {}),
    ("squareplus", gn.squareplus, lambda x: (x + torch.sqrt(x * x + 4)) / 2, [(3, 5)], {}),
    ("sparse_plus", gn.sparse_plus,
     lambda x: torch.where(x >= 1, x, torch.where(x <= -1, 0 * x, (x + 1) ** 2 / 4)), [(4, 5)],
     {"kinks": (-1.0, 1.0)}),
    ("sparse_sigmoid", gn.sparse_sigmoid, lambda x: torch.clamp((x + 1) / 2, 0, 1), [(4, 5)],
     {"kinks": (-1.0, 1.0)}),
    ("threshold", lambda x: gn.threshold(x, 0.3, -2.0), lambda x: F.threshold(x, 0.3, -2.0),
     [(4, 5)], {"kinks": (0.3,)}),
    ("layer_normalization", lambda x, g, b: gn.layer_normalization(x, g, b, epsilon=1e-5),
     lambda x, g, b: F.layer_norm(x, (5,), g, b, 1e-5), [(3, 5), (5,), (5,)], {"rtol": 1e-4}),
    ("rms_normalization", lambda x, s: gn.rms_normalization(x, s, epsilon=1e-6),
     lambda x, s: F.rms_norm(x, (5,), s, 1e-6), [(3, 5), (5,)], {"rtol": 1e-4}),
    ("normalize_l2", lambda x: gn.normalize(x, axis=1), lambda x: F.normalize(x, dim=1),
     [(3, 5)], {}),
    ("normalize_l1", lambda x: gn.normalize(x, axis=0, order=1),
     lambda x: F.normalize(x, p=1, dim=0), [(3, 5)], {"kinks": (0.0,)}),
    ("psnr", lambda a, b: gn.psnr(a, b, 2.0),
     lambda a, b: 20 * math.log10(2.0) - 10 * torch.log10(torch.mean((a - b) ** 2)),
     [(2, 3), (2, 3)], {"rtol": 1e-4}),
    ("depth_to_space", lambda x: gn.depth_to_space(x, 2),
     lambda x: F.pixel_shuffle(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1), [(1, 2, 3, 4)],
     {"fd": True, "seed": 1}),
    ("rgb_to_grayscale", gn.rgb_to_grayscale,
     lambda x: (x * torch.tensor([0.2989, 0.5870, 0.1140])).sum(-1, keepdim=True),
     [(2, 3, 3, 3)], {}),
    ("extract_sequences", lambda x: gn.extract_sequences(x, 4, 3),
     lambda x: x.unfold(-1, 4, 3), [(2, 11)], {}),
    ("flip", lambda x: gn.flip(x, (0, 2)), lambda x: torch.flip(x, (0, 2)), [(2, 3, 4)], {}),
    ("rot90_1", lambda x: gn.rot90(x), lambda x: torch.rot90(x, 1, (0, 1)), [(2, 3)], {}),
    ("rot90_3", lambda x: gn.rot90(x, 3, (1, 2)), lambda x: torch.rot90(x, 3, (1, 2)),
     [(2, 3, 4)], {}),
    ("rot90_2", lambda x: gn.rot90(x, 2), lambda x: torch.rot90(x, 2), [(2, 3)], {}),
    ("hstack", lambda a, b: gn.hstack([a, b]), lambda a, b: torch.hstack([a, b]),
     [(2, 3), (2, 1)], {}),
    ("vstack", lambda a, b: gn.vstack([a, b]), lambda a, b: torch.vstack([a, b]),
     [(3,), (2, 3)], {}),
    ("dstack", lambda a, b: gn.dstack([a, b]), lambda a, b: torch.dstack([a, b]),
     [(2, 3), (2, 3, 2)], {}),
    ("append", gn.append, lambda a, b: torch.cat([a.reshape(-1), b.reshape(-1)]),
     [(2, 3), (4,)], {}),
    ("dot_nd", gn.dot, lambda a, b: torch.tensordot(a, b, dims=([-1], [-2])),
     [(2, 3), (4, 3, 5)], {}),
    ("dot_2d", gn.dot, torch.matmul, [(2, 3), (3,)], {}),
    ("cross", gn.cross, lambda a, b: torch.linalg.cross(a, b), [(4, 3), (1, 3)], {}),
    ("vander", lambda x: gn.vander(x, 4),
     lambda x: torch.stack([x ** 3, x ** 2, x, torch.ones_like(x)], 1), [(5,)], {}),
    ("select", lambda a, b: gn.select([a.data > 0.5, a.data < -0.5], [a, b], 0.0),
     lambda a, b: torch.where(a > 0.5, a, torch.where(a < -0.5, b, 0 * a)), [(3, 4), (3, 4)],
     {"kinks": (-0.5, 0.5)}),
    ("bincount_weights", lambda w: gn.bincount(np.array([0, 2, 2, 5]), w, minlength=7),
     lambda w: torch.zeros(7).index_add(0, torch.tensor([0, 2, 2, 5]), w), [(4,)], {}),
    ("average", lambda x, w: gn.average(x, 1, w), None, [(3, 4), (4,)], {"low": 0.5}),
    ("ptp", lambda x: gn.ptp(x, 1), lambda x: x.amax(1) - x.amin(1), [(3, 5)], {}),
    ("trace", lambda x: gn.trace(x, 1, 1, 2),
     lambda x: torch.diagonal(x, 1, 1, 2).sum(-1), [(2, 4, 3)], {}),
    ("diff", lambda x: gn.diff(x, 2, 0), lambda x: torch.diff(x, 2, 0), [(5, 3)], {}),
    ("trapezoid", lambda y, x: gn.trapezoid(y, x), lambda y, x: torch.trapezoid(y, x),
     [(3, 6), (6,)], {}),
    ("trapezoid_dx", lambda y: gn.trapezoid(y, dx=0.5, axis=0),
     lambda y: torch.trapezoid(y, dx=0.5, dim=0), [(4, 2)], {}),
    ("corrcoef", gn.corrcoef, torch.corrcoef, [(3, 6)], {"rtol": 1e-4, "atol": 1e-5}),
]


@pytest.mark.parametrize("name,ours,theirs,shapes,kw", CASES, ids=[c[0] for c in CASES])
def test_against_torch_and_finite_differences(name, ours, theirs, shapes, kw):
    check_op(ours, theirs, shapes, **kw)


def test_sparsemax_gradient_and_values():
    # Inputs spread out so the support does not change under finite-difference steps.
    x = np.array([[0.1, 1.3, -0.9, 0.8], [2.0, 0.0, 1.9, -1.0]])
    y = gn.sparsemax(x).numpy()
    np.testing.assert_allclose(y.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y[0], [0, 0.75, 0, 0.25], atol=1e-6)
    check_op(gn.sparsemax, None, None, arrays=[x])
    check_op(lambda t: gn.sparsemax(t, axis=0), None, None, arrays=[x.T.copy()])


def test_segment_reduce_max_min():
    x = np.array([[1.0, 5.0], [3.0, 2.0], [0.5, 4.0], [7.0, -1.0]])
    ids = np.array([0, 0, 2, 2])
    for kind, ref in (("max", np.maximum), ("min", np.minimum)):
        out = gn.segment_reduce(x, ids, 4, kind).numpy()
        np.testing.assert_allclose(out[0], ref(x[0], x[1]))
        assert np.isinf(out[1]).all() and np.isinf(out[3]).all()
        check_op(lambda t, kind=kind: gn.segment_reduce(t, ids, 3, kind)[[0, 2]], None, None,
                 arrays=[x])


def test_nan_reductions_ignore_nan_and_pass_no_gradient_to_it():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]])
    for ours, ref in [(gn.nansum, np.nansum), (gn.nanmean, np.nanmean),
                      (gn.nanmax, np.nanmax), (gn.nanmin, np.nanmin),
                      (gn.nanvar, np.nanvar), (gn.nanstd, np.nanstd),
                      (gn.nanargmax, np.nanargmax), (gn.nanargmin, np.nanargmin)]:
        np.testing.assert_allclose(ours(x, 1).numpy(), ref(x, axis=1), rtol=1e-6)
    np.testing.assert_allclose(gn.nancumsum(x, 1).numpy(), np.nancumsum(x, 1))
    np.testing.assert_allclose(gn.nancumprod(x, 1).numpy(), np.nancumprod(x, 1))
    t = gn.tensor(x, requires_grad=True)
    gn.nanmean(t).backward()
    np.testing.assert_allclose(t.grad, np.where(np.isnan(x), 0, 1 / 3))
    finite = np.random.default_rng(0).uniform(0.5, 2, (3, 4))
    check_op(lambda v: gn.nanvar(v, 1), lambda v: v.var(1, unbiased=False), None,
             arrays=[finite])


def test_nan_to_num_and_heaviside_and_ldexp():
    x = gn.tensor([np.nan, np.inf, -np.inf, 2.0], requires_grad=True)
    y = gn.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0)
    assert y.tolist() == [0.5, 9.0, -9.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    h = gn.tensor([0.25, 0.75], requires_grad=True)
    out = gn.heaviside(np.array([-1.0, 0.0]), h)
    assert out.tolist() == [0.0, 0.75]
    out.sum().backward()
    assert h.grad.tolist() == [0.0, 1.0]
    assert gn.ldexp(gn.tensor([1.5, 1.0]), np.array([2, -1])).tolist() == [6.0, 0.5]
    with pytest.raises(TypeError, match="ldexp: x2 must hold integers"):
        gn.ldexp(gn.tensor([1.0]), np.array([0.5]))


def test_no_gradient_helpers_match_numpy():
    a, b = np.array([12, 18, 7]), np.array([8, 12, 3])
    assert gn.gcd(a, b).tolist() == np.gcd(a, b).tolist()
    assert gn.lcm(a, b).tolist() == np.lcm(a, b).tolist()
    assert gn.isin(a, [7, 18]).tolist() == [False, True, True]
    assert gn.isclose([1.0, 2.0], [1.0 + 1e-9, 2.1]).tolist() == [True, False]
    assert gn.signbit(gn.tensor([-0.0, 1.0])).tolist() == [True, False]
    assert gn.digitize([0.5, 1.5], [0.0, 1.0, 2.0]).tolist() == [1, 2]
    assert gn.bincount(np.array([[0, 1, 1], [2, 2, 0]])).tolist() == [[1, 2, 0], [1, 0, 2]]
    counts, edges = gn.histogram(np.array([0.0, 1, 2, 3]), bins=2)
    assert counts.tolist() == [2, 2] and edges.tolist() == [0.0, 1.5, 3.0]
    rows, cols = gn.unravel_index(np.array([5, 7]), (3, 4))
    assert rows.tolist() == [1, 1] and cols.tolist() == [1, 3]
    np.testing.assert_allclose(gn.logspace(0, 2, 3).numpy(), [1, 10, 100], rtol=1e-6)
    np.testing.assert_allclose(gn.hamming(5).numpy(), np.hamming(5), rtol=1e-6)
    assert gn.tri(2, 3, 1).tolist() == np.tri(2, 3, 1).tolist()
    assert gn.saturate_cast(gn.tensor([300.0, -5.0, 7.6]), "uint8").tolist() == [255, 0, 7]
    assert gn.multi_hot(np.array([[0, 2], [1, 1]]), 4).tolist() == [[1, 0, 1, 0],
                                                                  [0, 1, 0, 0]]
    preds = np.array([[0.1, 0.9, 0.5], [0.3, 0.3, 0.4]])
    assert gn.in_top_k(np.array([1, 0]), preds, 1).tolist() == [True, False]
    split = gn.array_split(gn.arange(7.0), 3)
    assert [s.tolist() for s in split] == [[0.0, 1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def test_space_to_depth_inverts_depth_to_space():
    x = np.random.default_rng(0).standard_normal((2, 4, 6, 3))
    np.testing.assert_array_equal(gn.depth_to_space(gn.space_to_depth(x, 2), 2).numpy(),
                                  x.astype(np.float32))


def test_linalg_extras():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3))
    np.testing.assert_allclose(gn.pinv(a).numpy(), np.linalg.pinv(a), atol=1e-5)
    b = rng.standard_normal((4, 2))
    np.testing.assert_allclose(gn.lstsq(a, b).numpy(), np.linalg.lstsq(a, b, rcond=None)[0],
                               atol=1e-5)
    check_op(gn.pinv, torch.linalg.pinv, None, arrays=[a], rtol=1e-4, fd_rtol=1e-4)
    lower = np.tril(rng.uniform(1, 2, (3, 3)))
    rhs = rng.standard_normal((3, 2))
    check_op(lambda m, r: gn.solve_triangular(m, r, lower=True),
             lambda m, r: torch.linalg.solve_triangular(torch.tril(m), r, upper=False),
             None, arrays=[lower, rhs], rtol=1e-4)
    spd = lower @ lower.T
    np.testing.assert_allclose(gn.cholesky_inverse(np.linalg.cholesky(spd)).numpy(),
                               np.linalg.inv(spd), rtol=1e-4, atol=1e-5)
    assert gn.matrix_rank(np.ones((3, 3))).item() == 1


@pytest.mark.parametrize("call,message", [
    (lambda: gn.cross(np.ones((2, 2)), np.ones((2, 2))), "cross: the vector axes must"),
    (lambda: gn.dot(np.ones((2, 3)), np.ones((4, 2, 5))), "dot: shapes"),
    (lambda: gn.sparsemax(np.array([1, 2])), "sparsemax: expected a floating"),
    (lambda: gn.multi_hot(np.array([0, 4]), 4), r"multi_hot: indices must lie in \[0, 4\)"),
    (lambda: gn.normalize(np.ones(3), order=0), "normalize: order must be an integer"),
    (lambda: gn.depth_to_space(np.ones((1, 2, 2, 3)), 2), "depth_to_space: channels 3"),
    (lambda: gn.extract_sequences(np.ones(3), 5, 1), "extract_sequences: need"),
    (lambda: gn.bincount(np.array([-1, 2])), "bincount: x must be"),
    (lambda: gn.psnr(np.ones(2), np.ones(3), 1.0), "psnr: x1 and x2 must have"),
    (lambda: gn.segment_reduce(np.ones((2, 1)), np.array([0, 3]), 2), "segment ids must"),
])
def test_bad_input_names_the_op(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (2, 3, 4)])
def test_pinv_gradient_matches_torch(shape):
    check_op(lambda a: gn.pinv(a), lambda a: torch.linalg.pinv(a), [shape], seed=1)


def test_pinv_and_lstsq_gradients_are_finite_with_repeated_singular_values():
    check_op(lambda a: gn.pinv(a), lambda a: torch.linalg.pinv(a), None,
             arrays=[2.0 * np.eye(3)])
    check_op(lambda a, b: gn.lstsq(a, b), lambda a, b: torch.linalg.pinv(a) @ b,
             [(4, 3, 2), (4, 3, 1)])  # batched: b's rows are its second-to-last axis


def test_normalize_has_a_finite_gradient_at_an_all_zero_slice():
    x = gn.tensor(np.zeros((2, 3)), requires_grad=True)
    gn.normalize(x).sum().backward()
    assert np.isfinite(x.grad).all()
    check_op(lambda t: gn.normalize(t), lambda t: torch.nn.functional.normalize(t, dim=-1),
             [(3, 4)])


def test_in_top_k_checks_targets_and_never_counts_a_non_finite_prediction():
    p = np.array([[0.1, 0.9, 0.0], [np.nan, 0.2, 0.1]])
    assert gn.in_top_k(np.array([1, 0]), p, 1).tolist() == [True, False]
    with pytest.raises(ValueError, match=r"targets must be in \[0, 3\)"):
        gn.in_top_k(np.array([5, 0]), p, 1)
    with pytest.raises(TypeError, match="targets must be integer class indices"):
        gn.in_top_k(np.array([1.0, 0.0]), p, 1)
