import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn
from glassnet.autograd import ops


@pytest.mark.parametrize("shape,new", [((2, 3), (3, 2)), ((2, 3, 4), (-1, 4)), ((6,), (1, 6, 1)),
                                       ((), (1,)), ((2, 2), 4)])
def test_reshape(shape, new):
    ref_shape = (new,) if isinstance(new, int) else new
    check_op(lambda x: gn.reshape(x, new), lambda x: x.reshape(ref_shape), [shape])
    check_op(lambda x: x.reshape(*ref_shape), lambda x: x.reshape(ref_shape), [shape])


@pytest.mark.parametrize("shape,axes", [((2, 3), None), ((2, 3, 4), (2, 0, 1)),
                                        ((2, 3, 4), (-1, 0, 1)), ((5,), None)])
def test_transpose_permute(shape, axes):
    ref_axes = tuple(range(len(shape)))[::-1] if axes is None else axes
    check_op(lambda x: gn.transpose(x, axes), lambda x: x.permute(*ref_axes), [shape])
    check_op(lambda x: x.permute(*ref_axes), lambda x: x.permute(*ref_axes), [shape])
    check_op(lambda x: x.T, lambda x: x.permute(*tuple(range(len(shape)))[::-1]), [shape])


@pytest.mark.parametrize("shape,start,end", [((2, 3, 4), 0, -1), ((2, 3, 4), 1, -1),
                                             ((2, 3, 4, 5), 1, 2), ((2, 3), -1, -1)])
def test_flatten(shape, start, end):
    check_op(lambda x: x.flatten(start, end), lambda x: torch.flatten(x, start, end), [shape])


def test_squeeze_unsqueeze():
    check_op(lambda x: gn.squeeze(x), lambda x: torch.squeeze(x), [(1, 3, 1, 2)])
    check_op(lambda x: x.squeeze(-2), lambda x: x.squeeze(-2), [(1, 3, 1, 2)])
    check_op(lambda x: x.squeeze((0, 2)), lambda x: x.squeeze((0, 2)), [(1, 3, 1, 2)])
    for axis in (0, 1, 2, -1, -3):
        check_op(lambda x, a=axis: gn.unsqueeze(x, a), lambda x, a=axis: torch.unsqueeze(x, a),
                 [(3, 2)])


@pytest.mark.parametrize("shape,target", [((3, 1), (3, 4)), ((4,), (2, 3, 4)), ((), (2, 2)),
                                          ((1, 3), (-1, 3))])
def test_broadcast_to_and_expand(shape, target):
    ref_target = tuple(t if t != -1 else 1 for t in target)
    check_op(lambda x: gn.broadcast_to(x, target), lambda x: x.expand(*ref_target), [shape])
    check_op(lambda x: x.expand(*target), lambda x: x.expand(*ref_target), [shape])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(axis):
    shapes = [(2, 3), (2, 3), (2, 3)]
    if axis == 0:
        shapes = [(1, 3), (2, 3), (4, 3)]
    elif axis in (1, -1):
        shapes = [(2, 1), (2, 3), (2, 2)]
    check_op(lambda a, b, c: gn.concatenate([a, b, c], axis), lambda a, b, c: torch.cat(
        [a, b, c], axis), shapes)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(axis):
    check_op(lambda a, b: gn.stack([a, b], axis), lambda a, b: torch.stack([a, b], axis),
             [(2, 3), (2, 3)])


def test_concatenate_a_constant_only_differentiates_the_tensors():
    w = gn.ones(2, 2, requires_grad=True)
    gn.concatenate([w, np.zeros((1, 2))], axis=0).sum().backward()
    np.testing.assert_array_equal(w.grad, np.ones((2, 2)))


@pytest.mark.parametrize("sections,axis", [(2, 0), ([1, 3], 1), (3, -1), ([2], 0)])
def test_split(sections, axis):
    shape = (4, 6)
    np_parts = np.split(np.zeros(shape), sections, axis=axis)
    sizes = [p.shape[axis] for p in np_parts]

    def ours(x):
        parts = ops.split(x, sections, axis)
        assert [p.shape for p in parts] == [p.shape for p in np_parts]
        return gn.concatenate([p * (i + 1) for i, p in enumerate(parts)], axis)

    def theirs(x):
        parts = torch.split(x, sizes, axis)
        return torch.cat([p * (i + 1) for i, p in enumerate(parts)], axis)

    check_op(ours, theirs, [shape])


@pytest.mark.parametrize("pad_width,torch_pad", [(1, (1, 1, 1, 1)),
                                                 (((0, 1), (2, 0)), (2, 0, 0, 1))])
def test_pad(pad_width, torch_pad):
    check_op(lambda x: ops.pad(x, pad_width, value=0.5),
             lambda x: torch.nn.functional.pad(x, torch_pad, value=0.5), [(2, 3)])


@pytest.mark.parametrize("mode,torch_mode", [("constant", "constant"), ("reflect", "reflect"),
                                             ("edge", "replicate"), ("wrap", "circular")])
@pytest.mark.parametrize("shape,pad_width,torch_pad", [
    ((2, 4, 5), ((0, 0), (1, 2), (3, 1)), (3, 1, 1, 2)),
    ((2, 3, 4), ((0, 0), (0, 0), (2, 0)), (2, 0)),
    ((1, 2, 3, 4), ((0, 0), (0, 0), (1, 2), (3, 2)), (3, 2, 1, 2)),
])
def test_pad_modes_against_torch(mode, torch_mode, shape, pad_width, torch_pad):
    check_op(lambda x: ops.pad(x, pad_width, mode=mode),
             lambda x: torch.nn.functional.pad(x, torch_pad, mode=torch_mode), [shape])


@pytest.mark.parametrize("mode", ["symmetric", "reflect", "edge", "wrap"])
@pytest.mark.parametrize("shape,pad_width", [((4,), (2, 3)), ((3,), 7), ((1, 3), ((2, 1), (5, 4))),
                                             ((2, 3), ((0, 1), (3, 0)))])
def test_pad_modes_against_numpy(mode, shape, pad_width):
    # widths beyond the axis size (torch refuses them) bounce as np.pad does
    x = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_allclose(ops.pad(x, pad_width, mode=mode).numpy(),
                               np.pad(x, pad_width, mode=mode).astype(np.float32))
    check_op(lambda t: ops.pad(t, pad_width, mode=mode), None, [shape])


def test_pad_symmetric_gradient_folds_onto_the_edges():
    x = gn.autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ops.pad(x, (2, 1), mode="symmetric").backward(np.array([1.0, 10.0, 100.0, 1e3, 1e4, 1e5]))
    # y = [2, 1 | 1, 2, 3 | 3]: x0 feeds y1, y2; x1 feeds y0, y3; x2 feeds y4, y5
    np.testing.assert_allclose(x.grad, [110.0, 1001.0, 110000.0])


def test_pad_constant_values_and_value_alias():
    x = np.ones((2, 2))
    np.testing.assert_array_equal(ops.pad(x, 1, constant_values=3.0).numpy(),
                                  np.pad(x, 1, constant_values=3.0))
    np.testing.assert_array_equal(ops.pad(x, 1, value=-2.0).numpy(),
                                  np.pad(x, 1, constant_values=-2.0))
    np.testing.assert_array_equal(ops.pad(x, 1, 4.0).numpy(),  # the old positional value
                                  np.pad(x, 1, constant_values=4.0))
    np.testing.assert_array_equal(ops.pad(x, [[1, 0]], "edge").numpy(),
                                  np.pad(x, [[1, 0]], "edge"))
    assert ops.pad(np.arange(3), 1, "reflect").tolist() == [1, 0, 1, 2, 1]


def test_pad_bad_arguments():
    with pytest.raises(ValueError, match=r"pad: mode must be one of constant, reflect, "
                                         r"symmetric, edge, wrap; received 'mirror'"):
        ops.pad(gn.autograd.ones(2), 1, mode="mirror")
    with pytest.raises(ValueError, match=r"pad: constant_values can only be set with "
                                         r"mode='constant'"):
        ops.pad(gn.autograd.ones(2), 1, mode="edge", constant_values=1.0)
    with pytest.raises(ValueError, match=r"pad: mode 'reflect' copies elements of x, but axis "
                                         r"1 of shape \(2, 0\) is empty"):
        ops.pad(gn.autograd.ones(2, 0), 1, mode="reflect")
    with pytest.raises(ValueError, match=r"pad: pad_width must be an integer, a \(before, "
                                         r"after\) pair or one pair per axis; received 1.5"):
        ops.pad(gn.autograd.ones(2), 1.5)
    with pytest.raises(ValueError, match=r"pad: pad_width must give a non-negative"):
        ops.pad(gn.autograd.ones(2), -1)


def test_shape_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into shape \(4,\)"):
        gn.ones(2, 3).reshape(4)
    with pytest.raises(ValueError, match=r"squeeze: cannot remove axis 1 of a tensor of shape "
                                         r"\(2, 3\): its size is 3"):
        gn.ones(2, 3).squeeze(1)
    with pytest.raises(ValueError, match=r"concatenate: .* except along axis 0; received shapes "
                                         r"\(2, 3\), \(2, 4\)"):
        gn.concatenate([gn.ones(2, 3), gn.ones(2, 4)])
    with pytest.raises(ValueError, match=r"stack: tensors must all have the same shape"):
        gn.stack([gn.ones(2), gn.ones(3)])
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(3,\) to \(2,\)"):
        gn.broadcast_to(gn.ones(3), (2,))
    with pytest.raises(ValueError, match=r"transpose: axes \(0,\) must name each of the 2 axes"):
        gn.ones(2, 3).transpose(0)
    with pytest.raises(ValueError, match=r"split: axis 0 of size 5 cannot be split into 2"):
        ops.split(gn.ones(5), 2)
    with pytest.raises(ValueError, match=r"pad: pad_width must give"):
        ops.pad(gn.autograd.ones(2, 3), ((1, 1), (1, 1), (1, 1)))
