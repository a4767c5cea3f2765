import numpy as np
import pytest

import glassnet as gn


def test_dtypes_float32_by_default_float64_on_request_integers_kept():
    assert gn.tensor([1.0, 2.0]).dtype == np.float32
    assert gn.tensor(np.zeros(3)).dtype == np.float32  # NumPy's float64 arrives as float32
    assert gn.tensor([1.0], dtype="float64").dtype == np.float64
    assert gn.tensor([1, 2]).dtype == np.int64
    assert gn.tensor([True]).dtype == np.bool_
    assert gn.Tensor(np.ones(2, np.float64), dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        gn.tensor([1j])


def test_integer_tensors_refuse_requires_grad_with_a_reason():
    with pytest.raises(TypeError, match=r"only floating-point tensors can require gradients, "
                                        r"but this tensor has dtype int64: integer and bool "
                                        r"tensors hold labels"):
        gn.tensor([1, 2], requires_grad=True)
    labels = gn.tensor([0, 1])
    with pytest.raises(TypeError, match="dtype int64"):
        labels.requires_grad = True


def test_properties_and_conversions():
    x = gn.tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.T.shape == (3, 2) and x.T.numpy().tolist() == [[0, 3], [1, 4], [2, 5]]
    assert isinstance(x.numpy(), np.ndarray) and x.tolist()[1] == [3.0, 4.0, 5.0]
    assert gn.tensor([[2.5]]).item() == 2.5 and float(gn.tensor(1.5)) == 1.5
    assert np.asarray(x).shape == (2, 3)
    with pytest.raises(ValueError, match=r"only a one-element tensor.*shape \(2, 3\)"):
        x.item()
    assert x.is_leaf and x.grad_fn is None
    y = gn.tensor([1.0], requires_grad=True) * 2
    assert not y.is_leaf and "MulBackward" in repr(y)
    with pytest.raises(ValueError, match="leaf"):
        y.requires_grad = False


def test_tensor_copies_its_data():
    data = np.ones(3, np.float32)
    t = gn.tensor(data)
    data[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_numpy_arrays_on_the_left_defer_to_tensor_operators():
    x = gn.ones(3, requires_grad=True)
    y = np.full(3, 2.0, np.float32) * x
    assert isinstance(y, gn.Tensor) and y.requires_grad
    assert isinstance(np.ones(3) - x, gn.Tensor)


def test_tensors_stay_hashable():
    x = gn.ones(2)
    assert {x: 1}[x] == 1


def test_creators():
    assert gn.zeros(2, 3).shape == (2, 3) and gn.zeros((2, 3)).numpy().sum() == 0
    assert gn.ones(4).numpy().sum() == 4 and gn.ones(2, dtype="float64").dtype == np.float64
    assert gn.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert gn.arange(3).tolist() == [0, 1, 2] and gn.arange(3).dtype == np.int64
    assert gn.arange(0, 1, 0.5).dtype == np.float32
    assert gn.eye(3).numpy().trace() == 3 and gn.eye(2, 3).shape == (2, 3)
    assert gn.zeros_like(gn.ones(2, 2)).shape == (2, 2) and gn.ones_like(np.zeros(3)).size == 3
    r = gn.rand(1000)
    assert r.dtype == np.float32 and 0 <= r.numpy().min() and r.numpy().max() < 1
    n = gn.randn(2000, requires_grad=True)
    assert n.requires_grad and abs(float(n.numpy().mean())) < 0.1
    with pytest.raises(ValueError, match="non-negative integers"):
        gn.zeros(-1, 2)


def test_seed_makes_random_creators_reproducible():
    gn.seed(42)
    a, b = gn.randn(5).numpy(), gn.rand(5).numpy()
    gn.seed(42)
    np.testing.assert_array_equal(a, gn.randn(5).numpy())
    np.testing.assert_array_equal(b, gn.rand(5).numpy())
    with pytest.raises(ValueError, match="non-negative integer"):
        gn.seed(-1)


def test_floatx_can_be_float64():
    gn.set_floatx("float64")
    try:
        assert gn.ones(2).dtype == np.float64 and gn.tensor([1.5]).dtype == np.float64
    finally:
        gn.set_floatx("float32")
    with pytest.raises(ValueError, match="float32' or 'float64"):
        gn.set_floatx("int8")


def test_shape_is_a_tuple_with_tensorflows_methods():
    import subprocess
    import sys

    program = (
        "import glassnet as tf\n"
        "x = tf.zeros((4, 3))\n"
        "assert x.shape == (4, 3) and isinstance(x.shape, tuple)\n"
        "assert x.shape.as_list() == [4, 3] and x.shape.rank == 2\n"
        "assert x.shape.num_elements() == 12 and x.shape[1:].as_list() == [3]\n"
        "assert repr(x.shape) == '(4, 3)' and tf.TensorShape([None, 3]).num_elements() is None\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_numpy_reductions_accept_tensors():
    x = gn.tensor([[1.0, 2.0], [3.0, 5.0]])
    a = x.numpy()
    for fn, kwargs in [(np.mean, {"axis": 0}), (np.sum, {}), (np.max, {"axis": 1}),
                       (np.min, {}), (np.std, {}), (np.var, {"ddof": 1})]:
        np.testing.assert_allclose(np.asarray(fn(x, **kwargs)), fn(a, **kwargs), rtol=1e-6)
    assert np.sum(x, dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match="`out=` is not supported"):
        np.sum(x, out=np.zeros(()))
