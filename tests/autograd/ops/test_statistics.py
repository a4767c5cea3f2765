import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn

AXES = [((3, 4), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, -2)),
        ((5,), 0), ((2, 1, 3), 1), ((), None)]


def _torch_prod(x, axis, keepdims):
    """torch.prod takes one dim: reduce the axes one at a time."""
    dims = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    for d in sorted((d % x.ndim for d in dims), reverse=True):
        x = torch.prod(x, d, keepdim=True)
    if not keepdims:
        x = x.reshape([n for i, n in enumerate(x.shape)
                       if i not in {d % x.ndim for d in dims}])
    return x


@pytest.mark.parametrize("shape,axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod(shape, axis, keepdims):
    check_op(lambda x: gn.prod(x, axis, keepdims), lambda x: _torch_prod(x, axis, keepdims),
             [shape], low=0.5, high=1.5)
    check_op(lambda x: gn.prod(x, axis, keepdims), lambda x: _torch_prod(x, axis, keepdims),
             [shape], kinks=(0.0,), seed=1, rtol=1e-4)


@pytest.mark.parametrize("zeros", [[], [1], [0, 3], [1, 2, 4]])
def test_prod_gradient_with_zeros_like_torch(zeros):
    x = np.random.default_rng(2).uniform(0.5, 1.5, size=(3, 5))
    x[0, zeros] = 0.0  # rows 1 and 2 have no zeros: both cases in one array
    x[2, 2] = 0.0  # and one row with a single zero
    for axis in (1, None):
        check_op(lambda t, a=axis: gn.prod(t, a), lambda t, a=axis: _torch_prod(t, a, False),
                 None, arrays=[x])
        check_op(lambda t, a=axis: gn.prod(t, a), lambda t, a=axis: _torch_prod(t, a, False),
                 None, arrays=[x.T.copy()])


def test_prod_integers_and_empty():
    y = gn.prod(np.array([[1, 2], [3, 4]], np.int32), axis=0)
    assert y.dtype == np.int64 and y.tolist() == [3, 8] and not y.requires_grad
    assert gn.prod(np.array([True, False])).dtype == np.int64
    x = gn.tensor(np.zeros((0, 3)), requires_grad=True)
    y = gn.prod(x, axis=0)
    assert y.tolist() == [1.0, 1.0, 1.0]
    y.sum().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("shape,axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_any_all_count_nonzero_like_numpy(shape, axis, keepdims):
    x = np.random.default_rng(3).integers(-1, 2, size=shape).astype(np.float32)
    t = gn.tensor(x, requires_grad=True)
    for ours, ref, dtype in [(gn.any, np.any, np.bool_), (gn.all, np.all, np.bool_),
                             (gn.count_nonzero, np.count_nonzero, np.int64)]:
        y = ours(t, axis, keepdims)
        expected = np.asarray(ref(x, axis=axis, keepdims=keepdims))
        assert y.dtype == dtype and not y.requires_grad
        assert y.shape == expected.shape
        np.testing.assert_array_equal(y.numpy(), expected)


def test_logical_reductions_on_other_inputs():
    assert gn.any([[False, True]], axis=1).tolist() == [True]
    assert gn.all(np.zeros((0, 2)), axis=0).tolist() == [True, True]
    assert gn.any([np.nan, 0.0]).item() is True
    assert gn.count_nonzero(np.array([[0, 5], [7, 0]], np.int8), axis=(0, 1)).item() == 2
    with pytest.raises(ValueError, match="any: axis 2 is out of range"):
        gn.any(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="count_nonzero: an axis must be an integer"):
        gn.count_nonzero(np.zeros((2, 3)), axis=1.0)


def _torch_quantile(x, q, axis, keepdims, method="linear"):
    if axis is None:
        y = torch.quantile(x.reshape(-1), q, 0, interpolation=method)
        return y.reshape(*y.shape, *[1] * x.ndim) if keepdims else y
    return torch.quantile(x, q, axis, keepdim=keepdims, interpolation=method)


MEDIAN_AXES = [((7,), 0), ((6,), None), ((3, 4), 0), ((3, 4), -1), ((3, 5), None),
               ((2, 3, 5), 1), ((2, 4, 3), -1)]


@pytest.mark.parametrize("shape,axis", MEDIAN_AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_median_against_torch_quantile_and_numpy(shape, axis, keepdims):
    check_op(lambda x: gn.median(x, axis, keepdims),
             lambda x: _torch_quantile(x, 0.5, axis, keepdims), [shape])
    x = np.random.default_rng(4).standard_normal(shape)
    np.testing.assert_allclose(gn.median(gn.tensor(x, dtype=np.float64), axis, keepdims).numpy(),
                               np.median(x, axis=axis, keepdims=keepdims), rtol=1e-12)


def test_median_tuple_axes_and_0d_like_numpy():
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    for axis in [(0, 2), (-1, 0), (0, 1, 2)]:
        for keepdims in (False, True):
            y = gn.median(x, axis, keepdims)
            np.testing.assert_allclose(y.numpy(), np.median(x, axis=axis, keepdims=keepdims),
                                       rtol=1e-6)
        check_op(lambda t, a=axis: gn.median(t, a), None, [(2, 3, 4)])
    assert gn.median(np.float32(3.0)).item() == 3.0
    check_op(lambda t: gn.median(t), lambda t: torch.quantile(t, 0.5), [()])


def test_median_gradient_splits_between_the_two_middles():
    x = gn.tensor([4.0, 1.0, 3.0, 2.0], requires_grad=True)
    gn.median(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.5, 0.5]
    x = gn.tensor([[5.0, 2.0, 2.0, 2.0, 9.0]], requires_grad=True)  # tied middles
    y = gn.median(x, axis=1)
    y.backward(np.array([2.0], np.float32))
    assert y.tolist() == [2.0] and x.grad.sum() == 2.0 and x.grad[0, [0, 4]].tolist() == [0, 0]


def test_median_nan_empty_and_integers_like_numpy():
    x = np.array([[1.0, np.nan, 3.0], [3.0, 1.0, 2.0]])
    np.testing.assert_array_equal(gn.median(x, axis=1).numpy(), np.median(x, axis=1))
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        expected = np.median(np.zeros((0, 3)), axis=0)
    np.testing.assert_array_equal(gn.median(np.zeros((0, 3)), axis=0).numpy(), expected)
    y = gn.median(np.array([1, 2, 3, 4]))
    assert y.dtype == np.float32 and y.item() == 2.5


METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape,axis", [((9,), 0), ((4, 6), 1), ((5, 3), 0), ((2, 3, 4), None),
                                        ((3, 4, 2), -2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_quantile_against_torch_and_numpy(method, shape, axis, keepdims):
    qs = [0.0, 0.1, 0.25, 0.5, 0.7, 1.0]
    for q in (0.3, qs):
        check_op(lambda x, q=q: gn.quantile(x, q, axis, keepdims, method),
                 lambda x, q=q: _torch_quantile(x, torch.tensor(q, dtype=x.dtype), axis,
                                                keepdims, method), [shape])
        x = np.random.default_rng(6).standard_normal(shape)
        np.testing.assert_allclose(
            gn.quantile(gn.tensor(x, dtype=np.float64), q, axis, keepdims, method).numpy(),
            np.quantile(x, q, axis=axis, keepdims=keepdims, method=method), rtol=1e-12)


def test_quantile_nd_q_tuple_axis_and_tensor_q():
    x = np.random.default_rng(7).standard_normal((3, 4, 5))
    q = np.array([[0.1, 0.9], [0.5, 0.33]])
    y = gn.quantile(x, q, axis=(0, 2))
    np.testing.assert_allclose(y.numpy(), np.quantile(x, q, axis=(0, 2)), rtol=1e-6)
    assert y.shape == (2, 2, 4)
    check_op(lambda t: gn.quantile(t, q, axis=(2, 0), keepdims=True), None, [(3, 4, 5)])
    assert gn.quantile([1.0, 2.0, 3.0], gn.tensor(0.5)).item() == 2.0


def test_quantile_infinite_elements():
    # lo == hi reads one element only, so an infinite neighbour does not make NaN
    assert gn.quantile([1.0, 2.0, np.inf], 0.5).item() == 2.0
    assert gn.quantile([1.0, np.inf], 1.0).item() == np.inf


@pytest.mark.parametrize("q", [-0.1, 1.5, [0.2, 2.0], np.nan])
def test_quantile_rejects_q_out_of_range(q):
    with pytest.raises(ValueError, match=r"quantile: q must be in \[0, 1\]; received q="):
        gn.quantile([1.0, 2.0], q)


def test_quantile_bad_arguments():
    with pytest.raises(TypeError, match="quantile: q must be a number"):
        gn.quantile([1.0, 2.0], "half")
    with pytest.raises(ValueError, match="method must be one of .*received method='cubic'"):
        gn.quantile([1.0, 2.0], 0.5, method="cubic")
    with pytest.raises(ValueError, match="quantile: cannot take a quantile of an empty slice"):
        gn.quantile(np.zeros((0, 3)), 0.5, axis=0)
    with pytest.raises(ValueError, match="quantile: axis 2 is out of range"):
        gn.quantile(np.zeros((2, 3)), 0.5, axis=2)
    with pytest.raises(ValueError, match="median: axis -3 is out of range"):
        gn.median(np.zeros((2, 3)), axis=-3)
    with pytest.raises(ValueError, match="median: axis .* repeats an axis"):
        gn.median(np.zeros((2, 3)), axis=(1, -1))
