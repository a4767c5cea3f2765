"""The tf-style top level: shapes, layout, gathers, where, matmul, sort, clipping, print,
function; results as TensorFlow 2.21 gives them (checked while writing these)."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as tf

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7 - 1


def test_import_glassnet_as_tf_in_a_fresh_interpreter(tmp_path):
    code = """
import sys
import glassnet as tf
x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
assert tf.reduce_sum(x).numpy() == 10.0 and tf.shape(x).dtype == tf.int32
assert tf.math.reduce_mean(x, axis=1).tolist() == [1.5, 3.5]
assert tf.nn.relu(tf.constant([-1.0])).tolist() == [0.0]
assert tf.linalg.det(tf.eye(2)).item() == 1.0 and tf.random.normal([2]).shape == (2,)
assert tf.image.flip_left_right(tf.ones([2, 2, 1])).shape == (2, 2, 1)
assert tf.dtypes.float32 == tf.float32 and tf.version.VERSION == tf.__version__
assert tf.Variable and tf.GradientTape and tf.newaxis is None
assert not any(m in sys.modules for m in ("glassnet.keras", "glassnet.train", "glassnet.io"))
"""
    env = {**os.environ, "GLASSNET_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr


def test_shape_size_rank_are_int32_tensors():
    s = tf.shape(X)
    assert s.dtype == tf.int32 and s.tolist() == [2, 3, 4]
    assert tf.size(X).item() == 24 and tf.size(X).dtype == np.int32
    assert tf.rank(X).item() == 3 and tf.shape(X, out_type=tf.int64).dtype == np.int64
    assert tf.is_tensor(tf.constant(1)) and not tf.is_tensor(X)


def test_reshape_transpose_and_supersets():
    assert tf.reshape(X, [4, -1]).shape == (4, 6)
    assert tf.reshape(X, tf.shape(tf.zeros([6, 4]))).shape == (6, 4)
    assert tf.transpose(X).shape == (4, 3, 2)
    assert tf.transpose(X, perm=[1, 0, 2]).shape == (3, 2, 4)
    assert tf.transpose(X, axes=(2, 0, 1)).shape == (4, 2, 3)  # glassnet's keyword
    check_op(lambda t: tf.transpose(t, [2, 0, 1]), lambda t: t.permute(2, 0, 1), [(2, 3, 4)])


def test_split_takes_counts_or_sizes():
    assert [p.shape for p in tf.split(X, 2, axis=2)] == [(2, 3, 2), (2, 3, 2)]
    parts = tf.split(X, [1, -1], axis=2)
    assert [p.shape for p in parts] == [(2, 3, 1), (2, 3, 3)]
    np.testing.assert_array_equal(parts[1].numpy(), X[..., 1:])
    with pytest.raises(ValueError, match="add up to 4"):
        tf.split(X, [1, 2], axis=2)
    check_op(lambda t: tf.concat([p * (i + 1) for i, p in enumerate(tf.split(t, [2, 1, 3], 1))],
                                 1),
             lambda t: torch.cat([p * (i + 1) for i, p in enumerate(torch.split(t, [2, 1, 3], 1))],
                                 1), [(2, 6)])


def test_unstack_tile_reverse_pad():
    parts = tf.unstack(X, axis=1)
    assert len(parts) == 3 and parts[2].shape == (2, 4)
    np.testing.assert_array_equal(parts[2].numpy(), X[:, 2])
    with pytest.raises(ValueError, match="num=2 does not match the size 3"):
        tf.unstack(X, num=2, axis=1)
    np.testing.assert_array_equal(tf.tile(X[0], [2, 1]).numpy(), np.tile(X[0], (2, 1)))
    np.testing.assert_array_equal(tf.reverse(X, [0, 2]).numpy(), X[::-1, :, ::-1])
    m = X[0]
    assert tf.pad([[1, 2]], [[0, 0], [1, 1]]).tolist() == [[0, 1, 2, 0]]
    np.testing.assert_array_equal(tf.pad(m, [[1, 1], [2, 0]], mode="REFLECT").numpy(),
                                  np.pad(m, [[1, 1], [2, 0]], mode="reflect"))
    np.testing.assert_array_equal(tf.pad(m, [[1, 1], [2, 0]], "SYMMETRIC").numpy(),
                                  np.pad(m, [[1, 1], [2, 0]], mode="symmetric"))
    np.testing.assert_array_equal(tf.pad(m, [[1, 0], [0, 1]], constant_values=3).numpy(),
                                  np.pad(m, [[1, 0], [0, 1]], constant_values=3))
    assert tf.pad(np.ones((1, 1)), 1, value=0.5).numpy()[0, 0] == 0.5  # glassnet's keyword
    with pytest.raises(ValueError, match="mode must be one of"):
        tf.pad(m, [[1, 1], [1, 1]], mode="WRAPPED")


def test_gather_follows_tf():
    np.testing.assert_array_equal(tf.gather(X, [1, 0, 1]).numpy(), X[[1, 0, 1]])
    np.testing.assert_array_equal(tf.gather(X, [[3, 0], [1, 1]], axis=2).numpy(),
                                  X[:, :, [[3, 0], [1, 1]]])
    out = tf.gather(X, [[2, 0], [1, 1]], axis=1, batch_dims=1)
    np.testing.assert_array_equal(out.numpy(), np.stack([X[0][[2, 0]], X[1][[1, 1]]]))
    out = tf.gather(X, [[2, 0], [1, 3]], axis=2, batch_dims=1)
    np.testing.assert_array_equal(out.numpy(), np.stack([X[0][:, [2, 0]], X[1][:, [1, 3]]]))
    assert tf.gather_nd(X, [[0, 1], [1, 2]]).shape == (2, 4)


def test_where_one_and_three_arguments():
    w = tf.where(X > 0.5)
    assert w.dtype == tf.int64 and w.shape == (int((X > 0.5).sum()), 3)
    np.testing.assert_array_equal(w.numpy(), np.argwhere(X > 0.5))
    np.testing.assert_array_equal(tf.where(X > 0, X, tf.zeros_like(X)).numpy(),
                                  np.where(X > 0, X, 0))
    with pytest.raises(ValueError, match="x and y must both be given"):
        tf.where(X > 0, X)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_transposes(ta, tb):
    def ref(a, b):
        return (a.transpose(-1, -2) if ta else a) @ (b.transpose(-1, -2) if tb else b)
    sa = (2, 4, 3) if ta else (2, 3, 4)
    sb = (2, 5, 4) if tb else (2, 4, 5)
    check_op(lambda a, b: tf.matmul(a, b, transpose_a=ta, transpose_b=tb), ref, [sa, sb])


def test_argmax_defaults_to_axis_0_and_int64():
    assert tf.argmax(X).shape == (3, 4) and tf.argmax(X).dtype == tf.int64
    np.testing.assert_array_equal(tf.argmax(X, 1).numpy(), X.argmax(1))
    np.testing.assert_array_equal(tf.argmin(X, -1).numpy(), X.argmin(-1))
    assert tf.argmax([1, 5, 2], output_type=tf.int32).dtype == np.int32
    assert tf.argmax(X, 1, keepdims=True).shape == (2, 1, 4)


def test_sort_and_argsort():
    np.testing.assert_array_equal(tf.sort(X, direction="DESCENDING").numpy(),
                                  -np.sort(-X, axis=-1))
    np.testing.assert_array_equal(tf.sort(X, axis=0).numpy(), np.sort(X, axis=0))
    assert tf.sort([3, 1, 2], -1, True).tolist() == [3, 2, 1]  # glassnet's descending
    idx = tf.argsort([3, 1, 2])
    assert idx.dtype == tf.int32 and idx.tolist() == [1, 2, 0]
    assert tf.argsort([3, 1, 2], descending=True).dtype == np.int64
    with pytest.raises(ValueError, match="direction must be"):
        tf.sort([1.0], direction="UP")
    check_op(lambda t: tf.sort(t, 0, "DESCENDING"), lambda t: torch.sort(t, 0, True).values,
             [(4, 3)])


def test_cumsum_exclusive_reverse():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_allclose(tf.cumsum(x).numpy(), np.cumsum(x, 0))
    np.testing.assert_allclose(tf.cumsum(x, 1, exclusive=True).numpy(), [[0, 1, 3], [0, 4, 9]])
    np.testing.assert_allclose(tf.cumsum(x, 1, reverse=True).numpy(), [[6, 5, 3], [15, 11, 6]])
    np.testing.assert_allclose(tf.cumsum(x, 1, exclusive=True, reverse=True).numpy(),
                               [[5, 3, 0], [11, 6, 0]])
    check_op(lambda t: tf.cumsum(t, 1, exclusive=True, reverse=True),
             lambda t: torch.flip(torch.cumsum(torch.flip(t, [1]), 1), [1]) - t, [(2, 5)])


def test_clipping_norm_identity_stop_gradient():
    np.testing.assert_allclose(tf.clip_by_value(X, -0.5, 0.5).numpy(), np.clip(X, -0.5, 0.5))
    lo = np.full((4,), -0.2, np.float32)
    np.testing.assert_allclose(tf.clip_by_value(X, lo, 0.3).numpy(), np.clip(X, lo, 0.3))
    assert tf.norm(X).item() == pytest.approx(np.linalg.norm(X.reshape(-1)), rel=1e-6)
    np.testing.assert_allclose(tf.norm(X, axis=1).numpy(), np.linalg.norm(X, axis=1), rtol=1e-6)
    np.testing.assert_allclose(tf.norm(X, axis=[1, 2]).numpy(),
                               np.linalg.norm(X, axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(tf.norm(X, ord=1, axis=-1).numpy(), np.abs(X).sum(-1), rtol=1e-6)
    assert tf.norm(X, keepdims=True).shape == (1, 1, 1)
    x = tf.constant([1.0, 2.0])
    x.requires_grad = True
    (tf.identity(x) * 3 + tf.stop_gradient(x) * 5).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert tf.add_n([x, x, x]).tolist() == [3.0, 6.0]


def test_print_writes_values_as_tf():
    out = io.StringIO()
    tf.print(tf.constant([1, 2, 3]), "and", tf.constant([1.5, 2.0]), output_stream=out)
    tf.print(tf.range(10), tf.constant(3.0), tf.constant([True, False]), output_stream=out)
    tf.print(tf.reshape(tf.range(20), (4, 5)), output_stream=out)
    tf.print(tf.range(10), summarize=-1, output_stream=out)
    assert out.getvalue().splitlines() == [
        "[1 2 3] and [1.5 2]", "[0 1 2 ... 7 8 9] 3 [1 0]",
        "[[0 1 2 3 4]", " [5 6 7 8 9]", " [10 11 12 13 14]", " [15 16 17 18 19]]",
        "[0 1 2 3 4 5 6 7 8 9]"]


def test_print_goes_to_stderr_by_default(capsys):
    tf.print(tf.constant([1, 2]))
    assert capsys.readouterr().err == "[1 2]\n"


def test_function_is_a_no_op_decorator():
    def f(x):
        return x * 2

    assert tf.function(f) is f

    @tf.function
    def g(x):
        return x + 1

    @tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None], tf.float32)])
    def h(x):
        return x - 1

    assert g(1) == 2 and h(1) == 0
    with pytest.raises(TypeError, match="expected a callable"):
        tf.function(3)
    spec = tf.TensorSpec([None, 2], tf.float32)
    assert spec.is_compatible_with(tf.zeros([5, 2])) and not spec.is_compatible_with(tf.zeros([5]))
    assert spec == tf.TensorSpec((None, 2), tf.float32)


def test_version_and_names():
    assert tf.version.VERSION == tf.__version__
    assert tf.newaxis is None and X[:, tf.newaxis].shape == (2, 1, 3, 4)
    assert tf.nn.layers.Dense is not None  # tf.nn is still the layers package


def test_module_finds_variables_in_attributes_lists_dicts_submodules_and_layers():
    import glassnet as tf
    from glassnet import keras

    class Block(tf.Module):
        def __init__(self):
            super().__init__()
            self.scale = tf.Variable(2.0)

    class Net(tf.Module):
        def __init__(self):
            super().__init__(name="net")
            self.w = tf.Variable(tf.ones((3, 2)))
            self.frozen = tf.Variable(0.0, trainable=False)
            self.blocks = [Block(), {"inner": Block()}]
            self.dense = keras.layers.Dense(4)
            self.dense.build((None, 2))

    net = Net()
    assert net.name == "net" and Block().name == "block"
    assert len(net.variables) == 1 + 1 + 2 + 2
    assert net.trainable_variables[0] is net.w
    assert net.non_trainable_variables == (net.frozen,)
    assert len(net.submodules) == 3
    with tf.device("CPU:0"), tf.name_scope("scope"):
        y = tf.matmul(tf.ones((1, 3)), net.w)
    assert y.shape == (1, 2)
    with pytest.raises(TypeError, match="`name` must be a string"):
        tf.Module(name=3)


def test_sizes_may_be_zero_d_integer_tensors():
    import glassnet as tf

    n = tf.shape(tf.zeros([4, 3]))[0]
    assert tf.ones((n, 1)).shape == (4, 1) and tf.zeros(n).shape == (4,)
    with pytest.raises(ValueError, match="non-negative integers"):
        tf.ones((tf.constant(1.5), 1))
    with pytest.raises(TypeError, match="0-d integer tensor"):
        [0, 1][tf.constant([1])]


def test_name_scope_and_optimizer_iterations_answer_as_in_tensorflow():
    import glassnet as tf
    from glassnet import keras

    assert tf.Module(name="m").name_scope.name == "m"
    with tf.name_scope("block") as scope:
        assert scope == "block"
    optimizer = keras.optimizers.SGD(0.1)
    w = tf.Variable([1.0])
    optimizer.apply_gradients([(tf.constant([1.0]), w)])
    assert optimizer.iterations == 1 and optimizer.iterations.numpy() == np.int64(1)


def test_exclusive_cumsum_shifts_instead_of_subtracting():
    import glassnet as tf

    got = tf.cumsum(tf.constant([np.inf, 1.0, 2.0]), exclusive=True).numpy()
    np.testing.assert_array_equal(got, [0.0, np.inf, np.inf])  # not inf - inf = nan
    assert tf.cumsum([1, 2, 3], exclusive=True, reverse=True).tolist() == [5, 3, 0]
    assert tf.cumsum([[1, 2], [3, 4]], axis=1, exclusive=True).tolist() == [[0, 1], [0, 3]]


def test_cast_names_a_bad_dtype():
    import glassnet as tf

    assert tf.cast(tf.constant([1.5, -2.5]), tf.int32).tolist() == [1, -2]
    with pytest.raises(TypeError, match=r"cast: `dtype` must be a dtype.*dtype='floaty'"):
        tf.cast(tf.constant([1.0]), "floaty")
