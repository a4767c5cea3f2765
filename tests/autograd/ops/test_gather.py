import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet.autograd as ag


@pytest.mark.parametrize("indices,axis", [([0, 1, 1, -1], 0), ([[1, 0], [1, 1]], 1),
                                          ([3, -4, 3], 2), (2, 1), ([5, 0, 5, 23], None)])
def test_take(indices, axis):
    idx = np.asarray(indices)

    def theirs(x):
        if axis is None:
            return torch.take(x, torch.tensor(idx))
        flat = torch.index_select(x, axis, torch.tensor(idx.reshape(-1) % x.shape[axis]))
        return flat.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])

    check_op(lambda x: ag.take(x, indices, axis), theirs, [(2, 3, 4)])


@pytest.mark.parametrize("idx_shape,axis", [((2, 5, 4), 1), ((2, 3, 2), -1), ((1, 3, 4), 0),
                                            ((2, 1, 4), 1)])
def test_take_along_axis(idx_shape, axis):
    idx = np.random.default_rng(1).integers(0, 3 if axis in (0, 1) else 4, idx_shape)
    if axis == 0:
        idx = idx % 2
    check_op(lambda x: ag.take_along_axis(x, idx, axis),
             lambda x: torch.take_along_dim(x, torch.tensor(idx), axis), [(2, 3, 4)])


def test_take_along_axis_broadcasts_and_flattens():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, 3]])  # broadcasts over the rows
    np.testing.assert_array_equal(ag.take_along_axis(x, idx, 1).numpy(),
                                  np.take_along_axis(x, idx, 1))
    check_op(lambda t: ag.take_along_axis(t, idx, 1),
             lambda t: torch.take_along_dim(t, torch.tensor(idx).expand(3, 2), 1), None,
             arrays=[x.copy()])
    x1 = np.arange(3.0).reshape(3, 1)  # x broadcast along axis 1 of the indices
    idx1 = np.zeros((3, 4), dtype=np.int64)
    check_op(lambda t: ag.take_along_axis(t, idx1, 0),
             lambda t: torch.take_along_dim(t.expand(3, 4), torch.tensor(idx1), 0), None,
             arrays=[x1])
    np.testing.assert_array_equal(ag.take_along_axis(x, [11, 0, -1]).numpy(), [11.0, 0.0, 11.0])


def test_scatter():
    idx = np.array([[0, 1], [2, 0], [0, 1], [1, 1]])

    def theirs(v):
        flat = torch.zeros(12).scatter_add(0, torch.tensor(idx[:, 0] * 4 + idx[:, 1]), v)
        return flat.reshape(3, 4)

    check_op(lambda v: ag.scatter(idx, v, (3, 4)), theirs, [(4,)])

    # slices: indices name the first axis only
    idx_rows = np.array([[2], [0], [2]])

    def theirs_rows(v):
        index = torch.tensor(idx_rows[:, 0]).reshape(-1, 1).expand(3, 4)
        return torch.zeros(3, 4).scatter_add(0, index, v)

    check_op(lambda v: ag.scatter(idx_rows, v, (3, 4)), theirs_rows, [(3, 4)])
    out = ag.scatter([[1], [1]], np.array([2, 3]), (3,))
    assert out.dtype == np.int64 and out.tolist() == [0, 5, 0]


def test_scatter_update():
    idx = np.array([[1, 0], [0, 2], [1, 0]])  # (1, 0) twice: the last update is kept

    def ours(x, u):
        return ag.scatter_update(x, idx, u)

    def theirs(x, u):
        flat = x.reshape(-1).clone()
        flat[torch.tensor(idx[:, 0] * 3 + idx[:, 1])] = u  # torch's last-wins, as ours
        return flat.reshape(2, 3)

    out = ours(np.zeros((2, 3)), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out.numpy(), [[0.0, 0.0, 2.0], [3.0, 0.0, 0.0]])
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    u = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (ours(x, u) * ag.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0], [0.0, 4.0, 5.0]])
    np.testing.assert_array_equal(u.grad, [0.0, 2.0, 3.0])  # the overwritten update gets 0
    # without repeats, against torch and finite differences
    check_op(lambda x, u: ag.scatter_update(x, idx[1:], u),
             lambda x, u: x.reshape(-1).index_put((torch.tensor([2, 3]),), u).reshape(2, 3),
             [(2, 3), (2,)])


def test_scatter_update_rows():
    def theirs(x, u):
        return x.index_put((torch.tensor([2, 0]),), u)

    check_op(lambda x, u: ag.scatter_update(x, [[2], [0]], u), theirs, [(4, 3), (2, 3)])


@pytest.mark.parametrize("start,u_shape", [((1, 0), (2, 3)), ((0, 2), (3, 2)), ((2, 4), (1, 0))])
def test_slice_update(start, u_shape):
    def theirs(x, u):
        block = tuple(slice(s, s + n) for s, n in zip(start, u_shape))
        out = x.clone()
        out[block] = u
        return out

    check_op(lambda x, u: ag.slice_update(x, start, u), theirs, [(3, 4), u_shape])
    out = ag.slice_update(np.zeros((3, 4)), ag.tensor(start), 7.0 * np.ones(u_shape))
    assert out.dtype == np.float32


def test_nonzero_and_where_with_only_a_condition():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for ours in (ag.nonzero(x), ag.where(x)):
        assert isinstance(ours, tuple) and len(ours) == 2
        for a, b in zip(ours, np.nonzero(x)):
            assert a.dtype == np.int64 and not a.requires_grad
            np.testing.assert_array_equal(a.numpy(), b)
    assert ag.where(ag.tensor([False, True]))[0].tolist() == [1]


@pytest.mark.parametrize("shape,axis", [((5,), -1), ((2, 3), -1), ((2, 3), 0), ((2, 3), 1)])
def test_one_hot(shape, axis):
    idx = np.random.default_rng(0).integers(0, 4, shape)
    ours = ag.one_hot(idx, 4, axis=axis)
    ref = np.moveaxis(torch.nn.functional.one_hot(torch.tensor(idx), 4).numpy(), -1, axis)
    assert ours.dtype == np.float32 and ours.shape == ref.shape
    np.testing.assert_array_equal(ours.numpy(), ref)


def test_one_hot_out_of_range_gives_zeros():
    out = ag.one_hot([1, -1, 3, 2], 3, dtype="int32")
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1]])


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(side):
    seq = np.array([1.0, 2.0, 2.0, 3.5, 7.0])
    values = np.array([[0.0, 2.0, 7.0], [8.0, 3.5, 2.5]])
    ours = ag.searchsorted(seq, values, side=side)
    ref = torch.searchsorted(torch.tensor(seq), torch.tensor(values), side=side)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_unique():
    x = np.array([[3, 1, 3], [2, 1, 7]])
    values, inverse, counts = ag.unique(x, return_inverse=True, return_counts=True)
    t_values, t_inverse, t_counts = torch.unique(torch.tensor(x), sorted=True,
                                                 return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(inverse.numpy(), t_inverse.numpy())
    np.testing.assert_array_equal(counts.numpy(), t_counts.numpy())
    assert inverse.dtype == np.int64 and counts.dtype == np.int64
    assert ag.unique([2.5, 1.0, 2.5]).tolist() == [1.0, 2.5]
    values, counts = ag.unique([2, 2, 0], return_counts=True)
    assert values.tolist() == [0, 2] and counts.tolist() == [1, 2]
    rows = np.array([[1, 2], [0, 5], [1, 2]])
    values, inverse = ag.unique(rows, return_inverse=True, axis=0)
    t_values, t_inverse = torch.unique(torch.tensor(rows), return_inverse=True, dim=0)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(inverse.numpy(), t_inverse.numpy())


def test_gather_bad_arguments():
    x = ag.zeros(2, 3)
    with pytest.raises(IndexError, match=r"take: index 3 is out of range for axis 1 of size 3 "
                                         r"\(expected -3 <= index < 3\)"):
        ag.take(x, [0, 3], axis=1)
    with pytest.raises(IndexError, match=r"take: index -7 is out of range for axis 0 of size 6"):
        ag.take(x, [-7])
    with pytest.raises(TypeError, match=r"take: indices must hold integers; received dtype "
                                        r"float64"):
        ag.take(x, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"take_along_axis: indices must have as many "
                                         r"dimensions as x; received indices of shape \(2,\)"):
        ag.take_along_axis(x, [0, 1], axis=1)
    with pytest.raises(ValueError, match=r"take_along_axis: x of shape \(2, 3\) and indices of "
                                         r"shape \(3, 1\) do not broadcast: sizes 2 vs 3"):
        ag.take_along_axis(x, np.zeros((3, 1), int), axis=1)
    with pytest.raises(IndexError, match=r"take_along_axis: index 3 is out of range for axis 1"):
        ag.take_along_axis(x, [[3]], axis=1)
    with pytest.raises(ValueError, match=r"scatter: indices must have shape \(N, k\) with k <= "
                                         r"2"):
        ag.scatter([[0, 0, 0]], [1.0], (2, 3))
    with pytest.raises(ValueError, match=r"scatter: values must have shape \(2, 3\)"):
        ag.scatter([[0], [1]], [1.0, 2.0], (2, 3))
    with pytest.raises(IndexError, match=r"scatter: index 2 is out of range for axis 0 of size"):
        ag.scatter([[2]], [1.0], (2,))
    with pytest.raises(ValueError, match=r"scatter_update: updates must have shape \(1,\)"):
        ag.scatter_update(x, [[0, 0]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"slice_update: a block of shape \(2, 2\) starting at "
                                         r"\[1, 0\] does not fit inputs of shape \(2, 3\)"):
        ag.slice_update(x, [1, 0], np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"slice_update: start_indices and updates must have"):
        ag.slice_update(x, [1], np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"one_hot: num_classes must be a positive integer; "
                                         r"received 0"):
        ag.one_hot([1], 0)
    with pytest.raises(TypeError, match=r"one_hot: indices must hold integers"):
        ag.one_hot([1.0], 3)
    with pytest.raises(ValueError, match=r"searchsorted: sorted_sequence must be 1-D; "
                                         r"received shape \(2, 3\)"):
        ag.searchsorted(x, [1.0])
    with pytest.raises(ValueError, match=r"searchsorted: side must be 'left' or 'right'"):
        ag.searchsorted([1.0], [1.0], side="middle")
    with pytest.raises(ValueError, match=r"nonzero: expected a tensor with at least 1 "):
        ag.nonzero(1.0)
    with pytest.raises(ValueError, match=r"where: give both a and b, or neither"):
        ag.where([True], 1.0)
