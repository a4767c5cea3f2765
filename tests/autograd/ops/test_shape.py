import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn


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
        parts = gn.split(x, sections, axis)
        assert [p.shape for p in parts] == [p.shape for p in np_parts]
        return gn.concatenate([p * (i + 1) for i, p in enumerate(parts)], axis)

    def theirs(x):
        parts = torch.split(x, sizes, axis)
        return torch.cat([p * (i + 1) for i, p in enumerate(parts)], axis)

    check_op(ours, theirs, [shape])


@pytest.mark.parametrize("pad_width,torch_pad", [(1, (1, 1, 1, 1)),
                                                 (((0, 1), (2, 0)), (2, 0, 0, 1))])
def test_pad(pad_width, torch_pad):
    check_op(lambda x: gn.pad(x, pad_width, value=0.5),
             lambda x: torch.nn.functional.pad(x, torch_pad, value=0.5), [(2, 3)])


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
        gn.split(gn.ones(5), 2)
    with pytest.raises(ValueError, match=r"pad: pad_width must give"):
        gn.pad(gn.ones(2, 3), ((1, 1), (1, 1), (1, 1)))
