import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.scans import cummax, cummin, cumprod, cumsum, logcumsumexp

SHAPES_AXES = [((7,), 0), ((7,), -1), ((3, 5), 0), ((3, 5), 1), ((2, 3, 4), 1), ((2, 3, 4), -1)]


@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
def test_cumsum(shape, axis):
    check_op(lambda x: cumsum(x, axis), lambda x: torch.cumsum(x, axis), [shape])


@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
def test_cumprod(shape, axis):
    # away from 0 (the general formula divides by x; zeros are tested below)
    check_op(lambda x: cumprod(x, axis), lambda x: torch.cumprod(x, axis), [shape],
             low=0.5, high=1.5, seed=2)
    check_op(lambda x: cumprod(x, axis), lambda x: torch.cumprod(x, axis), [shape],
             kinks=(0.0,), low=-1.5, high=1.5, seed=3, rtol=1e-4)


@pytest.mark.parametrize("zeros", [[0], [2], [6], [1, 4], [3, 4], [0, 6]])
def test_cumprod_with_zeros(zeros):
    x = np.random.default_rng(4).uniform(0.5, 1.5, size=(2, 7))
    x[0, zeros] = 0.0  # row 1 has no zeros: both cases in one array
    check_op(lambda t: cumprod(t, 1), lambda t: torch.cumprod(t, 1), None, arrays=[x])
    check_op(lambda t: cumprod(t, 0), lambda t: torch.cumprod(t, 0), None, arrays=[x.T.copy()])


@pytest.mark.parametrize("ours,theirs", [(cummax, torch.cummax), (cummin, torch.cummin)])
@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
def test_cummax_cummin(ours, theirs, shape, axis):
    check_op(lambda x: ours(x, axis)[0], lambda x: theirs(x, axis)[0], [shape])
    x = np.random.default_rng(5).standard_normal(shape)
    np.testing.assert_array_equal(ours(x, axis)[1].numpy(),
                                  theirs(torch.tensor(x), axis)[1].numpy())


@pytest.mark.parametrize("ours,theirs", [(cummax, torch.cummax), (cummin, torch.cummin)])
def test_cummax_cummin_ties(ours, theirs):
    x = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, 5.0, 5.0, -1.0],
                  [2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 0.0, 0.0]])
    values, indices = ours(x, 1)
    t_values, t_indices = theirs(torch.tensor(x), 1)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    assert indices.numpy().dtype == np.int64 and indices.grad is None
    # gradient routed to the index torch picks (ties: finite differences undefined)
    check_op(lambda t: ours(t, 1)[0], lambda t: theirs(t, 1)[0], None, arrays=[x], fd=False)


def test_cummax_nan_like_torch():
    x = np.array([1.0, np.nan, 3.0, np.nan, 0.0])
    for ours, theirs in [(cummax, torch.cummax), (cummin, torch.cummin)]:
        v, i = ours(x, 0)
        tv, ti = theirs(torch.tensor(x), 0)
        np.testing.assert_array_equal(v.numpy(), tv.numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())


@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
def test_logcumsumexp(shape, axis):
    check_op(lambda x: logcumsumexp(x, axis), lambda x: torch.logcumsumexp(x, axis), [shape],
             low=-5.0, high=5.0)


def test_logcumsumexp_extreme_is_stable():
    data = np.array([[1e4, -1e4, 0.0, 5e3, 1e4], [-1e4, -1e4, -1e4, -1e4, -1e4],
                     [-np.inf, 0.0, -np.inf, 2.0, 1.0]], np.float32)
    upstream = np.array([[1.0, -2.0, 0.5, 0.0, 3.0], [1.0, 2.0, -3.0, 4.0, 5.0],
                         [1.0, -1.0, 2.0, 0.5, -0.5]], np.float32)
    x = gn.tensor(data, requires_grad=True)
    y = logcumsumexp(x, 1)
    y.backward(upstream)
    t = torch.tensor(data, requires_grad=True)
    ty = torch.logcumsumexp(t, 1)
    ty.backward(torch.tensor(upstream))
    assert np.isfinite(x.grad).all()  # y starts at -inf in row 2, correctly
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6)
    # x = -inf gets gradient 0; torch gives NaN where the whole prefix is -inf (0 / 0)
    ref = t.grad.numpy()
    assert np.isnan(ref[2, 0]) and x.grad[2, 0] == 0
    ref[2, 0] = 0
    np.testing.assert_allclose(x.grad, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ours,ref", [(cumsum, np.cumsum), (cumprod, np.cumprod),
                                      (lambda x, axis=None: cummax(x, axis)[0],
                                       lambda x, axis=None: np.maximum.accumulate(
                                           np.ravel(x) if axis is None else x, axis=axis or 0)),
                                      (logcumsumexp, lambda x, axis=None: np.logaddexp.accumulate(
                                          np.ravel(x)))])
def test_axis_none_flattens_like_numpy(ours, ref):
    x = np.random.default_rng(6).uniform(0.5, 1.5, size=(3, 4))
    y = ours(x)
    assert y.shape == (12,)
    np.testing.assert_allclose(y.numpy(), ref(x), rtol=1e-6)  # float32 by default
    # gradient: the same as scanning the flattened input explicitly
    check_op(lambda t: ours(t), None, [(3, 4)], low=0.5, high=1.5)


def test_axis_none_cummax_indices_are_flat():
    x = np.array([[1.0, 5.0], [2.0, 7.0]])
    assert cummax(x)[1].numpy().tolist() == [0, 1, 1, 3]
    assert cummin(x)[1].numpy().tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("fn,tfn", [(cumsum, torch.cumsum), (cumprod, torch.cumprod),
                                    (logcumsumexp, torch.logcumsumexp),
                                    (lambda x, a: cummax(x, a)[0],
                                     lambda x, a: torch.cummax(x, a)[0])])
def test_zero_d_like_torch(fn, tfn):
    for axis in (0, -1):
        check_op(lambda x, a=axis: fn(x, a), lambda x, a=axis: tfn(x, a), [()], low=0.5, high=1.5)
    with pytest.raises(ValueError):
        fn(np.float64(2.0), 1)


def test_accepts_numbers_lists_tensors_and_checks_axis():
    assert cumsum([1.0, 2.0, 3.0]).numpy().tolist() == [1.0, 3.0, 6.0]
    assert cumprod(gn.tensor([2.0, 3.0])).numpy().tolist() == [2.0, 6.0]
    assert cumsum(5.0).numpy().tolist() == [5.0]
    v, i = cummin(np.array([3.0, 1.0, 2.0]), 0)
    assert v.numpy().tolist() == [3.0, 1.0, 1.0] and i.numpy().tolist() == [0, 1, 1]
    with pytest.raises(ValueError):
        cumsum(np.zeros((2, 3)), 2)
    with pytest.raises(TypeError):
        cumsum(np.zeros((2, 3)), (0, 1))


def test_empty():
    x = gn.tensor(np.zeros((0, 3)), requires_grad=True)
    for fn in (cumsum, cumprod, logcumsumexp, lambda t, a: cummax(t, a)[0]):
        for axis in (0, 1):
            y = fn(x, axis)
            assert y.shape == (0, 3)
            x.grad = None
            y.sum().backward()
            assert x.grad.shape == (0, 3)
