"""tf.constant and the creators, with TensorFlow's dtype rules (checked once against
TensorFlow 2.21 while writing them)."""

import numpy as np
import pytest

import glassnet as tf


def test_constant_dtypes_follow_tensorflow():
    assert tf.constant([1, 2]).dtype == tf.int32
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant([True]).dtype == tf.bool
    assert tf.constant(np.array([1.5])).dtype == tf.float64  # NumPy arrays keep theirs
    assert tf.constant(2**40).dtype == tf.int64  # too big for int32
    assert tf.constant([1, 2], dtype=tf.float32).dtype == np.float32
    assert tf.constant([1], "int8").dtype == np.int8


def test_constant_shape_fills_or_reshapes_and_copies():
    assert tf.constant(3, shape=(2, 2)).tolist() == [[3, 3], [3, 3]]
    assert tf.constant([1, 2, 3, 4], shape=[2, 2]).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match=r"expected 6 values for shape \(2, 3\); received 4"):
        tf.constant([1, 2, 3, 4], shape=(2, 3))
    source = np.zeros(2, np.float32)
    t = tf.constant(source)
    source[0] = 1
    assert t.tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="numbers or booleans"):
        tf.constant([{"a": 1}])
    assert tf.constant(["a"]).numpy().tolist() == ["a"]  # strings, for the text layers


def test_convert_to_tensor():
    t = tf.constant([1.0])
    assert tf.convert_to_tensor(t) is t
    assert tf.convert_to_tensor([1, 2]).dtype == tf.int32
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor([1.5], dtype_hint=tf.int32).dtype == tf.float32
    with pytest.raises(ValueError, match="dtype float32 cannot be converted to dtype int32"):
        tf.convert_to_tensor(t, dtype=tf.int32)


def test_zeros_ones_take_tf_and_glassnet_arguments():
    assert tf.zeros([2, 3]).shape == (2, 3) and tf.zeros([2, 3]).dtype == np.float32
    assert tf.zeros((2,), tf.int32).dtype == np.int32
    assert tf.ones([2], dtype=tf.int64).tolist() == [1, 1]
    assert tf.ones(2, 3).shape == (2, 3)  # glassnet's varargs
    assert tf.zeros(tf.shape(tf.ones([4, 1]))).shape == (4, 1)  # a shape tensor
    assert tf.ones(3, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="dtype given twice"):
        tf.zeros([2], tf.int32, dtype=tf.int32)
    assert tf.zeros_like([1, 2]).dtype == tf.int32
    assert tf.ones_like(tf.zeros([2]), dtype=tf.int32).tolist() == [1, 1]


def test_fill_eye_range_linspace():
    assert tf.fill([2], 7).dtype == tf.int32 and tf.fill([2], 7.5).tolist() == [7.5, 7.5]
    with pytest.raises(ValueError, match="value must be a scalar"):
        tf.fill([2], [1, 2])
    assert tf.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert tf.eye(2, batch_shape=[3]).shape == (3, 2, 2)
    assert tf.range(5).dtype == tf.int32 and tf.range(5).tolist() == [0, 1, 2, 3, 4]
    assert tf.range(1, 10, 3).tolist() == [1, 4, 7]
    r = tf.range(0, 1, 0.25)
    assert r.dtype == tf.float32 and r.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tf.range(3, dtype=tf.float64).dtype == np.float64
    with pytest.raises(ValueError, match="delta must not be 0"):
        tf.range(0, 3, 0)
    assert tf.linspace(0.0, 1.0, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tf.linspace(0.0, 1.0, 5).dtype == np.float32
    assert list(range(2)) == [0, 1]  # Python's range is untouched by the tf one


def test_one_hot():
    y = tf.one_hot([0, 2, -1, 5], 3)
    assert y.dtype == tf.float32
    assert y.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]  # out of range: all off
    assert tf.one_hot([0, 2], 3, axis=0).tolist() == [[1, 0], [0, 0], [0, 1]]
    z = tf.one_hot([0, 1], 2, on_value=5, off_value=-1)
    assert z.dtype == tf.int32 and z.tolist() == [[5, -1], [-1, 5]]
    assert tf.one_hot([[1]], 2).shape == (1, 1, 2)
    with pytest.raises(TypeError, match="indices must be integers"):
        tf.one_hot([0.5], 2)
    with pytest.raises(ValueError, match="depth must be a non-negative integer"):
        tf.one_hot([0], -1)
