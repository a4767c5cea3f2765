import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn

SHAPES_AXES = [((7,), 0), ((7,), -1), ((3, 5), 0), ((3, 5), 1), ((2, 3, 4), 1), ((2, 3, 4), -1)]


@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_against_torch(shape, axis, descending):
    check_op(lambda x: gn.sort(x, axis, descending),
             lambda x: torch.sort(x, stable=True, dim=axis, descending=descending).values, [shape])


def _ties(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 3, size=shape).astype(np.float64)


@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
@pytest.mark.parametrize("descending", [False, True])
def test_stable_with_ties_like_torch(shape, axis, descending):
    x = _ties(shape)
    ref = torch.sort(torch.tensor(x), stable=True, dim=axis, descending=descending)
    indices = gn.argsort(x, axis, descending)
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), ref.indices.numpy())
    np.testing.assert_array_equal(gn.sort(x, axis, descending).numpy(), ref.values.numpy())
    # the gradient follows the same permutation (finite differences undefined at ties)
    check_op(lambda t: gn.sort(t, axis, descending),
             lambda t: torch.sort(t, stable=True, dim=axis, descending=descending).values, None,
             arrays=[x], fd=False)


def test_nan_sorts_as_largest_like_torch():
    x = np.array([2.0, np.nan, -1.0, np.nan, 5.0])
    for descending in (False, True):
        ref = torch.sort(torch.tensor(x), descending=descending, stable=True)
        np.testing.assert_array_equal(gn.argsort(x, descending=descending).numpy(),
                                      ref.indices.numpy())


def test_axis_none_0d_integers_and_empty():
    x = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_array_equal(gn.sort(x, axis=None).numpy(),
                                  np.sort(x.astype(np.float32), axis=None))
    np.testing.assert_array_equal(gn.argsort(x, axis=None).numpy(),
                                  np.argsort(x.astype(np.float32), axis=None, kind="stable"))
    check_op(lambda t: gn.sort(t, axis=None, descending=True), None, [(3, 4)])
    assert gn.sort(np.float32(2.0)).shape == () and gn.argsort(np.float32(2.0)).item() == 0
    check_op(lambda t: gn.sort(t, 0), lambda t: torch.sort(t, 0).values, [()])
    y = gn.sort(np.array([3, 1, 2], np.int32), descending=True)
    assert y.dtype == np.int32 and y.tolist() == [3, 2, 1]
    assert gn.sort(np.array([True, False])).tolist() == [False, True]
    assert gn.sort(np.zeros((0, 3)), axis=0).shape == (0, 3)
    assert gn.argsort(np.zeros((2, 0)), axis=1).shape == (2, 0)


def test_sort_bad_arguments():
    with pytest.raises(ValueError, match="sort: axis 2 is out of range"):
        gn.sort(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="argsort: axis must be an integer or None"):
        gn.argsort(np.zeros((2, 3)), axis=(0, 1))
    with pytest.raises(TypeError, match="sort: descending must be a bool; received 'yes'"):
        gn.sort([1.0], descending="yes")


@pytest.mark.parametrize("shape,axis", SHAPES_AXES + [((40,), 0), ((3, 50), 1)])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_against_torch(shape, axis, largest, k):
    check_op(lambda x: gn.top_k(x, k, axis, largest)[0],
             lambda x: torch.topk(x, k, axis, largest).values, [shape])
    x = np.random.default_rng(2).standard_normal(shape)
    _, indices = gn.top_k(x, k, axis, largest)
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(),
                                  torch.topk(torch.tensor(x), k, axis, largest).indices.numpy())


def _reference_top_k(x, k, axis, largest):
    """Stable full sort: ties go to the lower index (tf.math.top_k)."""
    order = torch.sort(torch.tensor(x), stable=True, dim=axis, descending=largest).indices.numpy()
    indices = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, indices, axis), indices


@pytest.mark.parametrize("k", [1, 2, 5, 12, 40])  # partition for small k, sort for large
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("axis", [0, 1])
def test_top_k_ties_go_to_the_lower_index(k, largest, axis):
    x = _ties((40, 40), seed=3)
    values, indices = gn.top_k(x, k, axis, largest)
    ref_values, ref_indices = _reference_top_k(x, k, axis, largest)
    np.testing.assert_array_equal(indices.numpy(), ref_indices)
    np.testing.assert_array_equal(values.numpy(), ref_values)
    unsorted_values, unsorted = gn.top_k(x, k, axis, largest, sorted=False)
    np.testing.assert_array_equal(unsorted.numpy(), np.sort(ref_indices, axis=axis))
    np.testing.assert_array_equal(unsorted_values.numpy(),
                                  np.take_along_axis(x, unsorted.numpy(), axis))


def test_top_k_gradient_goes_to_the_chosen_elements():
    x = gn.tensor([[1.0, 5.0, 3.0, 5.0, 0.0]], requires_grad=True)
    values, indices = gn.top_k(x, 2)
    assert values.tolist() == [[5.0, 5.0]] and indices.tolist() == [[1, 3]]
    values.backward(np.array([[1.0, 2.0]], np.float32))
    assert x.grad.tolist() == [[0.0, 1.0, 0.0, 2.0, 0.0]]
    check_op(lambda t: gn.top_k(t, 3, largest=False, sorted=False)[0], None, [(4, 30)])


def test_top_k_nan_0d_and_integers():
    x = np.array([1.0, np.nan, 3.0, 2.0] * 5)
    ref = torch.topk(torch.tensor(x), 3)
    values, indices = gn.top_k(x, 3)
    np.testing.assert_array_equal(values.numpy(), ref.values.numpy())
    assert np.isnan(values.numpy()[0]) and indices.tolist()[0] == 1
    values, indices = gn.top_k(np.float32(4.0), 1)
    assert values.shape == () and values.item() == 4.0 and indices.item() == 0
    values, indices = gn.top_k(np.arange(10, dtype=np.int32), 2)
    assert values.dtype == np.int32 and values.tolist() == [9, 8] and indices.tolist() == [9, 8]


def test_top_k_bad_arguments():
    x = np.zeros((2, 5))
    for k in (0, 6, -1):
        with pytest.raises(ValueError, match=f"top_k: k must be between 1 and the size of "
                                             f"axis -1 \\(5\\); received k={k}"):
            gn.top_k(x, k)
    assert gn.top_k(x, gn.tensor(np.int64(2)))[0].shape == (2, 2)
    for k in (2.0, True, "2", np.array([2]), gn.tensor(2.0)):
        with pytest.raises(TypeError, match="top_k: k must be an integer"):
            gn.top_k(x, k)
    with pytest.raises(ValueError, match="top_k: axis 2 is out of range"):
        gn.top_k(x, 1, axis=2)
    with pytest.raises(TypeError, match="top_k: axis must be an integer"):
        gn.top_k(x, 1, axis=None)
    with pytest.raises(ValueError, match=r"size of axis 1 \(0\)"):
        gn.top_k(np.zeros((2, 0)), 1, axis=1)
