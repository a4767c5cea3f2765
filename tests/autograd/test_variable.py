import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd.tape import GradientTape
from glassnet.autograd.variable import Variable
from glassnet.nn import Parameter
from glassnet.nn.initializers import GlorotUniform
from glassnet.nn.layers import Dense


@pytest.mark.parametrize("value,dtype", [
    (3.0, np.float32), (3, np.int32), ([1, 2], np.int32), (True, np.bool_),
    (np.ones(2), np.float32), (np.arange(3), np.int64), (np.arange(3, dtype=np.int8), np.int8),
])
def test_default_dtypes_follow_tensorflow_with_floats_as_floatx(value, dtype):
    v = Variable(value)
    assert v.dtype == dtype
    assert v.requires_grad == (np.dtype(dtype).kind == "f")
    assert v.trainable and v.name == "Variable" and v.is_leaf


def test_explicit_dtype_shape_and_name():
    v = Variable([1, 2], dtype="float64", name="w")
    assert v.dtype == np.float64 and v.shape == (2,) and v.name == "w" and v.requires_grad
    with pytest.raises(ValueError, match=r"`shape` is \(3,\) but the initial value has shape "
                                         r"\(2,\)"):
        Variable([1.0, 2.0], shape=(3,))


def test_initial_value_is_copied():
    source = np.zeros(3, np.float32)
    v = Variable(source)
    v.assign_add(np.ones(3))
    np.testing.assert_array_equal(source, 0)
    t = gn.tensor([1.0, 2.0])
    Variable(t).assign([5.0, 5.0])
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_callable_initial_values_tensorflow_and_keras_style():
    v = Variable(lambda: np.full(2, 7.0))
    np.testing.assert_array_equal(v.numpy(), [7.0, 7.0])
    gn.seed(0)
    k = Variable(initializer=GlorotUniform(), shape=(4, 3), name="kernel")
    assert k.shape == (4, 3) and k.dtype == np.float32 and np.abs(k.numpy()).max() > 0
    z = Variable(lambda shape: np.zeros(shape), shape=[2])
    np.testing.assert_array_equal(z.numpy(), [0.0, 0.0])


def test_assign_methods_write_in_place_and_return_the_variable():
    v = Variable([1.0, 2.0], name="w")
    view = v.data[:]  # a view, as an optimizer's flat buffer would hold
    assert v.assign([3.0, 4.0]) is v
    assert v.assign_add([1.0, 1.0]) is v
    assert v.assign_sub(gn.tensor([0.5, 0.5])) is v
    assert v.assign_add(1.0) is v  # a scalar broadcasts (Keras 3)
    np.testing.assert_array_equal(view, [4.5, 5.5])
    np.testing.assert_array_equal(v.numpy(), [4.5, 5.5])


def test_numpy_and_read_value_are_snapshots():
    v = Variable([1.0, 2.0])
    before, read = v.numpy(), v.read_value()
    v.assign([9.0, 9.0])
    np.testing.assert_array_equal(before, [1.0, 2.0])
    np.testing.assert_array_equal(read.numpy(), [1.0, 2.0])
    assert v.value is v


def test_read_value_is_differentiable():
    v = Variable([1.0, 2.0])
    with GradientTape() as tape:
        y = (v.read_value() * 3.0).sum()
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [3.0, 3.0])


def test_bad_assigns_name_the_variable_and_both_shapes():
    v = Variable(np.zeros((2, 3)), name="kernel")
    with pytest.raises(ValueError, match=r"'kernel' has shape \(2, 3\); cannot assign a value "
                                         r"of shape \(3, 2\)"):
        v.assign(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"'kernel'.assign_add: the variable has shape "
                                         r"\(2, 3\); cannot add a value of shape \(4,\)"):
        v.assign_add(np.ones(4))
    with pytest.raises(ValueError, match=r"assign_sub.*shape \(2, 1, 3\)"):
        v.assign_sub(np.ones((2, 1, 3)))
    counter = Variable(0, name="count")
    with pytest.raises(TypeError, match="cannot write values of dtype float64 into a "
                                        "variable of dtype int32"):
        counter.assign_add(0.5)
    np.testing.assert_array_equal(v.numpy(), 0)  # nothing was written


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="initial_value"):
        Variable()
    with pytest.raises(TypeError, match=r"`trainable` must be a bool. Received: "
                                        r"trainable='yes'"):
        Variable(np.zeros(3), "yes")
    with pytest.raises(ValueError, match=r"shape"):
        Variable(np.zeros(3), (4,))  # Keras 3's order, Variable(initializer, shape): checked


def test_keras_positional_order():
    v = Variable(lambda shape, dtype=None: np.full(shape, 2.0), (2, 3), "float64")
    assert v.shape == (2, 3) and v.dtype == np.float64 and v.trainable
    np.testing.assert_array_equal(v.numpy(), np.full((2, 3), 2.0))
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        Variable(1.0, colour="red")
    with pytest.raises(TypeError, match="string 'zeros'"):
        Variable("zeros", shape=(2,))


def test_trainable_drives_requires_grad():
    v = Variable([1.0], trainable=False)
    assert not v.requires_grad
    v.trainable = True
    assert v.requires_grad
    assert not Variable([1], trainable=True).requires_grad  # integers never take gradients


def test_arithmetic_goes_through_tensor_ops():
    v = Variable([2.0, 3.0])
    y = v * v + 1
    assert type(y) is gn.Tensor and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(v.grad, [4.0, 6.0])
    assert "Variable 'Variable' shape=(2,) dtype=float32" in repr(v)


def test_parameters_are_variables_and_add_weight_makes_them():
    p = Parameter(np.zeros(3), name="bias")
    assert isinstance(p, Variable) and p.name == "bias"
    layer = Dense(2)
    layer.build((None, 3))
    assert isinstance(layer.kernel, Variable) and isinstance(layer.bias, Variable)
    layer.kernel.assign_add(np.ones((3, 2)))
    layer.bias.assign(np.full(2, 0.5))
    out = layer(np.zeros((1, 3), np.float32))
    np.testing.assert_allclose(out.numpy(), [[0.5, 0.5]])


def test_frozen_layer_keeps_its_variables_flag_but_takes_no_gradient():
    layer = Dense(2)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.kernel.trainable and not layer.kernel.requires_grad
    layer.trainable = True
    assert layer.kernel.requires_grad


def test_one_element_tensors_format_as_numbers():
    v = Variable(3.14159)
    assert f"{v:.2f}" == "3.14" and f"{v * 2:5.1f}" == "  6.3"
    assert f"{gn.tensor([1.0, 2.0])}" == str(gn.tensor([1.0, 2.0]))


def test_a_slice_of_a_variable_is_read_with_its_gradient_and_written_back():
    from glassnet.autograd.tape import GradientTape

    v = Variable([[1.0, 2.0], [3.0, 4.0]])
    assert v[0, 1].assign(9.0) is v
    v[1].assign_add([1.0, 1.0])
    v[:, 0].assign_sub(1.0)
    np.testing.assert_array_equal(v.numpy(), [[0.0, 9.0], [3.0, 5.0]])
    with GradientTape() as tape:
        y = (v[1] * 2.0).sum()
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [[0.0, 0.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match=r"\[0\]\.assign: the slice has shape \(2,\); cannot "
                                         r"write a value of shape \(3,\)"):
        v[0].assign([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="cannot write values of dtype"):
        Variable([1, 2])[0].assign(1.5)


def test_scatter_nd_update_add_sub_as_tensorflow():
    v = Variable([[1.0, 2.0], [3.0, 4.0]])
    assert v.scatter_nd_update([[0, 1], [1, 0]], [9.0, 8.0]) is v
    np.testing.assert_array_equal(v.numpy(), [[1.0, 9.0], [8.0, 4.0]])
    v.scatter_nd_add([[1], [1]], [[1.0, 1.0], [1.0, 1.0]])  # a repeated row adds twice
    np.testing.assert_array_equal(v.numpy(), [[1.0, 9.0], [10.0, 6.0]])
    v.scatter_nd_sub([[0, 0]], [1.0])
    assert v.numpy()[0, 0] == 0.0
    with pytest.raises(ValueError, match=r"`indices` out of range for shape \(2, 2\)"):
        v.scatter_nd_update([[2, 0]], [1.0])
    with pytest.raises(ValueError, match=r"`updates` must have shape \(1, 2\)"):
        v.scatter_nd_update([[0]], [1.0, 2.0, 3.0])
