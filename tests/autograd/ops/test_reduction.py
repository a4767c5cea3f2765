import numpy as np
import pytest
import torch
from helpers import check_op
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn

AXES = [((3, 4), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, -2)),
        ((5,), 0), ((2, 1, 3), 1), ((), None)]


def _torch_axes(shape, axis):
    return tuple(range(len(shape))) if axis is None else axis


@pytest.mark.parametrize("shape,axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_mean(shape, axis, keepdims):
    dim = _torch_axes(shape, axis)
    check_op(lambda x: gn.sum(x, axis, keepdims), lambda x: torch.sum(x, dim, keepdims), [shape])
    check_op(lambda x: x.mean(axis, keepdims), lambda x: torch.mean(x, dim, keepdims), [shape])


@pytest.mark.parametrize("shape,axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_min(shape, axis, keepdims):
    dim = _torch_axes(shape, axis)
    check_op(lambda x: gn.max(x, axis, keepdims), lambda x: torch.amax(x, dim, keepdims), [shape])
    check_op(lambda x: x.min(axis, keepdims), lambda x: torch.amin(x, dim, keepdims), [shape])


def test_max_ties_share_the_gradient_like_torch_amax():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
    for axis in (None, 1, 0):
        x = gn.tensor(data, requires_grad=True)
        gn.max(x, axis).sum().backward()
        t = torch.tensor(data, requires_grad=True)
        torch.amax(t, dim=() if axis is None else axis).sum().backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy())


# A variance over one element is 0 and std's gradient there is infinite: not drawn here.
@pytest.mark.parametrize("shape,axis", [a for a in AXES if a[0] not in ((), (2, 1, 3))])
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std(shape, axis, ddof):
    dim = _torch_axes(shape, axis)
    check_op(lambda x: gn.var(x, axis, ddof=ddof), lambda x: torch.var(x, dim, correction=ddof),
             [shape])
    check_op(lambda x: x.std(axis, keepdims=True, ddof=ddof),
             lambda x: torch.std(x, dim, correction=ddof, keepdim=True), [shape])


@pytest.mark.parametrize("shape,axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp(shape, axis, keepdims):
    dim = _torch_axes(shape, axis)
    check_op(lambda x: gn.logsumexp(x, axis, keepdims),
             lambda x: torch.logsumexp(x, dim, keepdims), [shape], low=-5, high=5)


def test_logsumexp_is_stable_for_huge_inputs():
    data = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4]], np.float32)
    x = gn.tensor(data, requires_grad=True)
    y = gn.logsumexp(x, axis=1)
    y.sum().backward()
    t = torch.tensor(data, requires_grad=True)
    torch.logsumexp(t, 1).sum().backward()
    np.testing.assert_allclose(y.numpy(), torch.logsumexp(torch.tensor(data), 1).numpy())
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6)


def test_argmax_argmin_have_no_gradient():
    x = gn.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]], requires_grad=True)
    assert gn.argmax(x, axis=1).tolist() == [1, 0]
    assert x.argmin(axis=-1).tolist() == [0, 1]
    assert x.argmax().item() == 3
    assert x.argmax(axis=0, keepdims=True).shape == (1, 3)
    assert not gn.argmax(x).requires_grad and gn.argmax(x).dtype == np.int64


@st.composite
def shape_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    return shape, draw(hnp.valid_tuple_axes(len(shape), min_size=1))  # negatives included


@settings(max_examples=25, deadline=None)
@given(shape_and_axes(), st.booleans())
def test_reductions_drawn(shape_axes, keepdims):
    shape, axes = shape_axes
    check_op(lambda x: gn.sum(x, axes, keepdims), lambda x: torch.sum(x, axes, keepdims), [shape])
    check_op(lambda x: gn.mean(x, axes, keepdims), lambda x: torch.mean(x, axes, keepdims),
             [shape])
    check_op(lambda x: gn.max(x, axes, keepdims), lambda x: torch.amax(x, axes, keepdims),
             [shape])
    check_op(lambda x: gn.logsumexp(x, axes, keepdims),
             lambda x: torch.logsumexp(x, axes, keepdims), [shape])


def test_axis_errors_name_the_op_and_the_range():
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range for a tensor with 2 dim"):
        gn.ones(2, 3).sum(axis=2)
    with pytest.raises(ValueError, match=r"mean: axis \(1, -1\) repeats an axis"):
        gn.ones(2, 3).mean(axis=(1, -1))


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")
@pytest.mark.parametrize("shape,axis,ddof", [((1,), None, 1), ((1, 3), 0, 1), ((2,), None, 2),
                                             ((2, 2), (0, 1), 4)])
def test_var_std_with_count_equal_to_ddof_are_nan_like_torch(shape, axis, ddof):
    dim = _torch_axes(shape, axis)
    check_op(lambda x: gn.var(x, axis, ddof=ddof),
             lambda x: torch.var(x, dim, correction=ddof), [shape], fd=False)
    check_op(lambda x: gn.std(x, axis, ddof=ddof),
             lambda x: torch.std(x, dim, correction=ddof), [shape], fd=False)


ZERO_DIM_OPS = {
    "sum": (gn.sum, torch.sum),
    "mean": (gn.mean, torch.mean),
    "max": (gn.max, torch.amax),
    "logsumexp": (gn.logsumexp, torch.logsumexp),
    "softmax": (gn.softmax, torch.softmax),
    "log_softmax": (gn.log_softmax, torch.log_softmax),
    "squeeze": (gn.squeeze, torch.squeeze),
}


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", ZERO_DIM_OPS)
def test_zero_dim_tensor_accepts_axis_0_and_minus_1_like_torch(name, axis):
    ours, theirs = ZERO_DIM_OPS[name]
    check_op(lambda x: ours(x, axis), lambda x: theirs(x, axis), [()])


@pytest.mark.parametrize("axis", [1, -2])
@pytest.mark.parametrize("name", ZERO_DIM_OPS)
def test_zero_dim_tensor_rejects_other_axes_naming_axis_and_ndim(name, axis):
    ours, _ = ZERO_DIM_OPS[name]
    with pytest.raises(ValueError, match=rf"{name}: axis {axis} is out of range for a 0-d tensor "
                                         r"\(ndim 0 accepts only axis 0 or -1\)"):
        ours(gn.tensor(2.0), axis)


def test_zero_dim_argmax_and_methods():
    x = gn.tensor(3.0)
    assert x.argmax(axis=0).item() == 0 and gn.argmin(x, -1).item() == 0
    assert x.sum(axis=-1).item() == 3.0 and x.softmax(0).item() == 1.0
    with pytest.raises(ValueError, match="concatenate: 0-d tensors"):
        gn.concatenate([x, x])
    with pytest.raises(TypeError, match=r"sum: an axis must be an integer; received 0.5"):
        gn.ones(2).sum(axis=0.5)
