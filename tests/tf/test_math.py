"""tf.math and the reduce_* functions (results as TensorFlow 2.21 gives them)."""

import inspect

import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as tf

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7 - 1


@pytest.mark.parametrize("name,ref", [
    ("reduce_sum", np.sum), ("reduce_mean", np.mean), ("reduce_max", np.max),
    ("reduce_min", np.min), ("reduce_prod", np.prod), ("reduce_std", np.std),
    ("reduce_variance", np.var),
    ("reduce_logsumexp", lambda x, axis, keepdims: np.log(np.exp(x).sum(axis, keepdims=keepdims))),
    ("reduce_euclidean_norm",
     lambda x, axis, keepdims: np.sqrt((x * x).sum(axis, keepdims=keepdims))),
])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, True), ([0, 2], False)])
def test_reductions_match_numpy(name, ref, axis, keepdims):
    ours = getattr(tf.math, name)(X, axis=axis, keepdims=keepdims)
    axes = tuple(axis) if isinstance(axis, list) else axis
    np.testing.assert_allclose(ours.numpy(), ref(X, axis=axes, keepdims=keepdims), rtol=1e-5,
                               atol=1e-6)


def test_top_level_reductions_and_gradients():
    assert inspect.unwrap(tf.reduce_sum) is tf.math.reduce_sum
    check_op(lambda t: tf.reduce_mean(t, axis=[0, 2]), lambda t: t.mean((0, 2)), [(2, 3, 4)])
    check_op(lambda t: tf.reduce_logsumexp(t, -1), lambda t: torch.logsumexp(t, -1), [(3, 4)])


def test_integer_reductions_keep_the_dtype():
    x = tf.constant([[1, 2], [3, 4]])
    s = tf.reduce_sum(x, 1)
    assert s.dtype == tf.int32 and s.tolist() == [3, 7]
    m = tf.reduce_mean(tf.constant([1, 2, 4]))
    assert m.dtype == tf.int32 and m.item() == 2
    assert tf.reduce_mean(tf.constant([-1, -2, -4])).item() == -2  # truncated toward 0
    assert tf.reduce_max(x).dtype == tf.int32
    b = tf.constant([[True, False], [False, False]])
    assert tf.reduce_any(b, 1).tolist() == [True, False]
    assert tf.reduce_all(b, 0).tolist() == [False, False]


def test_elementwise_names():
    a, b = tf.constant([-3.0, 3.0]), tf.constant([2.0, 2.0])
    assert tf.math.floormod(a, b).tolist() == [1.0, 1.0]
    assert tf.math.floordiv(tf.constant([-3, 3]), 2).tolist() == [-2, 1]
    assert tf.divide(tf.constant([1, 2]), tf.constant([2, 2])).tolist() == [0.5, 1.0]
    assert tf.subtract(a, b).tolist() == [-5.0, 1.0] and tf.multiply(a, b).tolist() == [-6, 6]
    assert tf.math.negative(a).tolist() == [3.0, -3.0]
    assert tf.math.squared_difference(a, b).tolist() == [25.0, 1.0]
    assert tf.math.is_nan(tf.constant([np.nan, 1.0])).tolist() == [True, False]
    assert tf.math.is_finite(tf.constant([np.inf, 1.0])).tolist() == [False, True]
    assert tf.round(tf.constant([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]
    np.testing.assert_allclose(tf.math.rsqrt([4.0]).numpy(), [0.5])
    assert tf.math.log_sigmoid is not None and tf.math.erf([0.0]).item() == 0.0


def test_divide_no_nan_and_its_gradient():
    assert tf.math.divide_no_nan([1.0, 2.0], [0.0, 4.0]).tolist() == [0.0, 0.5]
    x = tf.constant([1.0, 2.0])
    y = tf.constant([0.0, 4.0])
    x.requires_grad = y.requires_grad = True
    tf.math.divide_no_nan(x, y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.25] and y.grad.tolist() == [0.0, -0.125]
    assert tf.math.multiply_no_nan([np.inf, 2.0], [0.0, 3.0]).tolist() == [0.0, 6.0]


def test_top_k_count_nonzero_confusion_segments():
    values, indices = tf.math.top_k(X, 2)
    assert indices.dtype == tf.int32 and values.shape == (2, 3, 2)
    np.testing.assert_array_equal(indices.numpy(), np.argsort(-X, -1)[..., :2])
    assert tf.math.top_k([1.0, 3.0, 2.0], k=2).values.tolist() == [3.0, 2.0]
    c = tf.math.count_nonzero(tf.constant([[0, 1], [2, 3]]), 1)
    assert c.dtype == tf.int64 and c.tolist() == [1, 2]
    m = tf.math.confusion_matrix([0, 1, 2, 1], [0, 2, 2, 1])
    assert m.dtype == tf.int32 and m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    w = tf.math.confusion_matrix([0, 1], [1, 1], num_classes=3, weights=[0.5, 2.0],
                                 dtype=tf.float32)
    assert w.tolist() == [[0, 0.5, 0], [0, 2, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="same length"):
        tf.math.confusion_matrix([0, 1], [0])
    np.testing.assert_allclose(tf.math.segment_sum(X[0], [0, 0, 2]).numpy(),
                               [X[0, 0] + X[0, 1], np.zeros(4), X[0, 2]])
    np.testing.assert_allclose(tf.math.unsorted_segment_sum(X[0], [1, -1, 1], 3).numpy(),
                               [np.zeros(4), X[0, 0] + X[0, 2], np.zeros(4)])
    assert tf.math.in_top_k([1, 0], [[0.1, 0.9], [0.2, 0.8]], 1).tolist() == [True, False]
