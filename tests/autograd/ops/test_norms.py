import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn

INF = np.inf
VECTOR_ORDS = [None, 2, 1, INF, -INF, 0, 3, 0.5, -1.5]
VECTOR_AXES = [((7,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1)]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("shape,axis", VECTOR_AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norms_against_torch_and_numpy(ord, shape, axis, keepdims):
    torch_ord = 2 if ord is None else ord
    # away from 0, where p < 1 norms have no derivative
    check_op(lambda x: gn.norm(x, ord, axis, keepdims),
             lambda x: torch.linalg.vector_norm(x, torch_ord, axis, keepdims), [shape],
             kinks=(0.0,), rtol=1e-4)
    x = np.random.default_rng(1).standard_normal(shape)
    np.testing.assert_allclose(gn.norm(gn.tensor(x, dtype=np.float64), ord, axis, keepdims).numpy(),
                               np.linalg.norm(x, ord, axis, keepdims), rtol=1e-12)


MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, INF, -INF]
MATRIX_AXES = [((3, 4), (0, 1)), ((4, 3), (1, 0)), ((2, 3, 4), (1, 2)), ((3, 2, 4), (2, 0)),
               ((2, 4, 3), (-1, -2))]


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("shape,axis", MATRIX_AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norms_against_torch_and_numpy(ord, shape, axis, keepdims):
    torch_ord = "fro" if ord is None else ord
    check_op(lambda x: gn.norm(x, ord, axis, keepdims),
             lambda x: torch.linalg.matrix_norm(x, torch_ord, axis, keepdims), [shape],
             rtol=1e-4, atol=1e-5)
    x = np.random.default_rng(2).standard_normal(shape)
    np.testing.assert_allclose(gn.norm(gn.tensor(x, dtype=np.float64), ord, axis, keepdims).numpy(),
                               np.linalg.norm(x, ord, axis, keepdims), rtol=1e-10)


@pytest.mark.parametrize("shape,ord", [((5,), 1), ((5,), -INF), ((5,), 3), ((3, 4), "nuc"),
                                       ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), None), ((), None),
                                       ((3, 4), None)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_axis_none_like_numpy(shape, ord, keepdims):
    x = np.random.default_rng(3).standard_normal(shape)
    y = gn.norm(gn.tensor(x, dtype=np.float64), ord, keepdims=keepdims)
    np.testing.assert_allclose(y.numpy(), np.linalg.norm(x, ord, keepdims=keepdims), rtol=1e-12)
    assert y.shape == np.shape(np.linalg.norm(x, ord, keepdims=keepdims))
    check_op(lambda t: gn.norm(t, ord, keepdims=keepdims), None, [shape], kinks=(0.0,))


def test_two_norm_gradient_at_zero_is_zero_like_torch():
    for ord, axis in [(None, None), (2, 1), ("fro", (0, 1)), (3, 1), (0.5, 1), (-1.5, 1)]:
        x = gn.tensor(np.zeros((2, 3)), requires_grad=True)
        y = gn.norm(x, ord, axis)
        assert np.all(y.numpy() == 0)
        y.sum().backward()
        t = torch.zeros((2, 3), requires_grad=True)
        torch_ord = {None: 2, "fro": 2}.get(ord, ord)
        torch.linalg.vector_norm(t, torch_ord, axis).sum().backward()
        np.testing.assert_array_equal(x.grad, t.grad.numpy())
        assert np.all(x.grad == 0)


def test_ties_share_the_gradient_like_torch():
    x = np.array([[1.0, -3.0, 3.0], [2.0, 2.0, -1.0]])
    for ord, axis, torch_norm in [(INF, 1, torch.linalg.vector_norm),
                                  (-INF, 0, torch.linalg.vector_norm),
                                  (1, (0, 1), torch.linalg.matrix_norm),
                                  (INF, (1, 0), torch.linalg.matrix_norm)]:
        check_op(lambda t, o=ord, a=axis: gn.norm(t, o, a),
                 lambda t, o=ord, a=axis, f=torch_norm: f(t, o, a), None, arrays=[x], fd=False)


def test_stable_for_large_and_small_entries():
    assert gn.norm(np.array([3e30, 4e30], np.float32)).item() == pytest.approx(5e30, rel=1e-6)
    assert gn.norm(np.array([3e-30, 4e-30], np.float32)).item() == pytest.approx(5e-30, rel=1e-6)
    assert gn.norm(np.array([3e30, 4e30], np.float32), 3).item() == pytest.approx(
        np.linalg.norm([3e30, 4e30], 3), rel=1e-6)
    assert gn.norm([1.0, np.inf]).item() == np.inf
    assert np.isnan(gn.norm([1.0, np.nan]).item())


def test_integers_empty_and_0d():
    y = gn.norm(np.array([3, 4]))
    assert y.dtype == np.float32 and y.item() == 5.0
    assert gn.norm(np.zeros((0, 3)), axis=1).shape == (0,)
    assert gn.norm(np.zeros((0, 3))).item() == 0.0
    assert gn.norm(np.float32(-3.0)).item() == 3.0
    assert gn.norm(np.zeros(4), 0).item() == 0.0


def test_bad_arguments():
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="norm: ord='fro' is a matrix norm"):
        gn.norm(x, "fro", axis=1)
    with pytest.raises(ValueError, match="norm: invalid ord for a matrix norm.*received ord=3"):
        gn.norm(x, 3, axis=(0, 1))
    with pytest.raises(ValueError, match="received ord='max'"):
        gn.norm(x, "max", axis=(0, 1))
    with pytest.raises(TypeError, match="norm: ord must be None, a number"):
        gn.norm(x, [2], axis=1)
    with pytest.raises(TypeError, match="norm: ord must be None, a number"):
        gn.norm(x, True, axis=1)
    with pytest.raises(ValueError, match=r"norm: ord=1 with axis=None needs a 1-D or 2-D input; "
                                         r"received shape \(2, 3, 4\)"):
        gn.norm(x, 1)
    with pytest.raises(ValueError, match="norm: axis must be an int or a tuple of 1 or 2 ints"):
        gn.norm(x, axis=(0, 1, 2))
    with pytest.raises(ValueError, match="norm: axis 3 is out of range"):
        gn.norm(x, axis=3)
    with pytest.raises(ValueError, match="norm: axis .* repeats an axis"):
        gn.norm(x, axis=(1, -2))
    with pytest.raises(ValueError, match="norm: ord='nuc' needs non-empty matrices"):
        gn.norm(np.zeros((0, 3)), "nuc")
    with pytest.raises(ValueError, match="max: cannot take the max of an empty tensor"):
        gn.norm(np.zeros((0,)), INF)
