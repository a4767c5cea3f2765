import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet.autograd as ag


@pytest.mark.parametrize("shape,reps", [((3,), 2), ((2, 3), (2, 1)), ((2, 3), (1, 2, 3)),
                                        ((2, 1, 3), (2,)), ((2, 3), (0, 1))])
def test_tile(shape, reps):
    torch_reps = (reps,) if isinstance(reps, int) else reps
    check_op(lambda x: ag.tile(x, reps), lambda x: torch.tile(x, torch_reps), [shape])


@pytest.mark.parametrize("shape,repeats,axis", [((5,), 3, None), ((2, 3), 2, None),
                                                ((2, 3), [1, 0, 3], 1), ((2, 3), 2, 0),
                                                ((3, 2, 2), [2, 1, 0], -3), ((2, 3), [2], 1)])
def test_repeat(shape, repeats, axis):
    def theirs(x):
        reps = torch.tensor(repeats) if isinstance(repeats, list) else repeats
        if axis is None:
            return torch.repeat_interleave(x.reshape(-1), reps)
        return torch.repeat_interleave(x, reps, dim=axis)

    check_op(lambda x: ag.repeat(x, repeats, axis), theirs, [shape])


@pytest.mark.parametrize("shift,axis", [(1, None), (-7, None), (2, 1), ((1, -2), (0, 2)),
                                        (3, (1, 2))])
def test_roll(shift, axis):
    if isinstance(shift, int) and isinstance(axis, tuple):
        torch_shift = (shift,) * len(axis)
    else:
        torch_shift = shift
    check_op(lambda x: ag.roll(x, shift, axis),
             lambda x: torch.roll(x, torch_shift, axis), [(2, 3, 4)])


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 5, 3)])
@pytest.mark.parametrize("k", [0, 1, -2])
def test_tril_triu(shape, k):
    check_op(lambda x: ag.tril(x, k), lambda x: torch.tril(x, k), [shape])
    check_op(lambda x: ag.triu(x, k), lambda x: torch.triu(x, k), [shape])


@pytest.mark.parametrize("shape,k", [((4,), 0), ((3,), 2), ((3,), -1), ((3, 3), 0),
                                     ((3, 5), 1), ((4, 2), -1), ((3, 3), 5)])
def test_diag(shape, k):
    check_op(lambda x: ag.diag(x, k), lambda x: torch.diag(x, k), [shape])


@pytest.mark.parametrize("shape,offset,a1,a2", [((3, 4), 0, 0, 1), ((3, 4), 1, 0, 1),
                                                ((2, 3, 4), -1, 1, 2), ((2, 3, 4), 1, 2, 0),
                                                ((2, 3, 4), 0, -1, 0)])
def test_diagonal(shape, offset, a1, a2):
    check_op(lambda x: ag.diagonal(x, offset, a1, a2),
             lambda x: torch.diagonal(x, offset, a1, a2), [shape])


def test_swapaxes_moveaxis():
    check_op(lambda x: ag.swapaxes(x, 0, 2), lambda x: torch.swapaxes(x, 0, 2), [(2, 3, 4)])
    check_op(lambda x: ag.swapaxes(x, -1, 1), lambda x: torch.swapaxes(x, -1, 1), [(2, 3, 4)])
    check_op(lambda x: ag.moveaxis(x, 0, -1), lambda x: torch.movedim(x, 0, -1), [(2, 3, 4)])
    check_op(lambda x: ag.moveaxis(x, (0, 1), (-1, 0)),
             lambda x: torch.movedim(x, (0, 1), (-1, 0)), [(2, 3, 4, 5)])
    x = np.zeros((2, 3, 4, 5))
    for src, dst in [(3, 0), ((2, 0), (0, 3)), ((0, 1, 2), (2, 1, 0))]:
        assert ag.moveaxis(x, src, dst).shape == np.moveaxis(x, src, dst).shape


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unstack(axis):
    def ours(x):
        parts = ag.unstack(x, axis=axis)
        return ag.stack([p * (i + 1) for i, p in enumerate(parts)], axis=0)

    def theirs(x):
        parts = torch.unbind(x, axis)
        return torch.stack([p * (i + 1) for i, p in enumerate(parts)], 0)

    check_op(ours, theirs, [(2, 3, 4)])
    assert len(ag.unstack(ag.zeros(2, 3, 4), num=3, axis=1)) == 3


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(indexing):
    def ours(a, b, c):
        grids = ag.meshgrid(a, b, c, indexing=indexing)
        return grids[0] * 1.0 + grids[1] * 2.0 + grids[2] * grids[0]

    def theirs(a, b, c):
        grids = torch.meshgrid(a, b, c, indexing=indexing)
        return grids[0] * 1.0 + grids[1] * 2.0 + grids[2] * grids[0]

    check_op(ours, theirs, [(2,), (3,), (4,)])
    for ours_grid, np_grid in zip(ag.meshgrid([1.0, 2.0], [3.0, 4.0, 5.0], indexing=indexing),
                                  np.meshgrid([1.0, 2.0], [3.0, 4.0, 5.0], indexing=indexing)):
        np.testing.assert_array_equal(ours_grid.numpy(), np_grid)
    assert [g.shape for g in ag.meshgrid([1.0, 2.0], indexing=indexing)] == [(2,)]


def test_layout_ops_keep_integer_data():
    x = np.arange(6).reshape(2, 3)
    assert ag.tile(x, 2).dtype == np.int64 and ag.tile(x, 2).shape == (2, 6)
    np.testing.assert_array_equal(ag.repeat(x, 2, axis=0).numpy(), np.repeat(x, 2, axis=0))
    np.testing.assert_array_equal(ag.roll(x, 1).numpy(), np.roll(x, 1))
    np.testing.assert_array_equal(ag.tril(x).numpy(), np.tril(x))
    np.testing.assert_array_equal(ag.diagonal(x).numpy(), np.diagonal(x))
    np.testing.assert_array_equal(ag.roll(ag.tensor(3.0), 2).numpy(), 3.0)


def test_layout_bad_arguments():
    x = ag.zeros(2, 3)
    with pytest.raises(ValueError, match=r"tile: repeats must be non-negative; received \[-1\]"):
        ag.tile(x, -1)
    with pytest.raises(TypeError, match=r"tile: repeats must hold integers; received dtype "
                                        r"float64"):
        ag.tile(x, 1.5)
    with pytest.raises(ValueError, match=r"repeat: repeats must be an integer or a 1-D "
                                         r"sequence of length 1 or 3 \(the size of axis 1"):
        ag.repeat(x, [1, 2], axis=1)
    with pytest.raises(ValueError, match=r"repeat: axis 2 is out of range"):
        ag.repeat(x, 2, axis=2)
    with pytest.raises(ValueError, match=r"roll: shift \[1, 2\] and axis 0 must have the same"):
        ag.roll(x, (1, 2), 0)
    with pytest.raises(ValueError, match=r"tril: expected a tensor with at least 2 dimensions"
                                         r".*received shape \(3,\)"):
        ag.tril(ag.zeros(3))
    with pytest.raises(TypeError, match=r"triu: k must be an integer; received 0.5"):
        ag.triu(x, 0.5)
    with pytest.raises(ValueError, match=r"diag: expected a 1-D or 2-D tensor; received shape "
                                         r"\(2, 2, 2\)"):
        ag.diag(ag.zeros(2, 2, 2))
    with pytest.raises(ValueError, match=r"diagonal: axis \(1, -1\) repeats an axis"):
        ag.diagonal(x, 0, 1, -1)
    with pytest.raises(ValueError, match=r"swapaxes: axis 2 is out of range"):
        ag.swapaxes(x, 0, 2)
    with pytest.raises(ValueError, match=r"moveaxis: source \(0, 1\) and destination 0 must"):
        ag.moveaxis(x, (0, 1), 0)
    with pytest.raises(ValueError, match=r"unstack: num=3 does not match the size 2 of axis 0"):
        ag.unstack(x, num=3)
    with pytest.raises(ValueError, match=r"unstack: a 0-d tensor"):
        ag.unstack(ag.tensor(1.0))
    with pytest.raises(ValueError, match=r"meshgrid: indexing must be 'xy' or 'ij'; received "
                                         r"'yx'"):
        ag.meshgrid(x, indexing="yx")
