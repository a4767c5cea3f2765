import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd.ops.logical import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    isfinite,
    isinf,
    isnan,
    left_shift,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    right_shift,
)

FLOATS = np.array([0.0, -0.0, 1.5, -2.0, np.nan, np.inf, -np.inf], np.float32)
INTS = {
    "int8": np.array([0, 1, -1, 127, -128, 6, 12], np.int8),
    "int32": np.array([0, 1, -1, 2**31 - 1, -(2**31), 6, 12], np.int32),
    "int64": np.array([0, 1, -1, 2**40, -(2**40), 6, 12], np.int64),
    "uint8": np.array([0, 1, 255, 128, 3, 6, 12], np.uint8),
    "bool": np.array([True, False, True, True, False, False, True]),
}


def same(ours, theirs):
    assert isinstance(ours, gn.Tensor)
    assert not ours.requires_grad
    theirs = theirs.numpy()
    assert ours.dtype == theirs.dtype, f"{ours.dtype} vs torch {theirs.dtype}"
    np.testing.assert_array_equal(ours.numpy(), theirs)


@pytest.mark.parametrize("ours, theirs", [(isnan, torch.isnan), (isinf, torch.isinf),
                                          (isfinite, torch.isfinite)])
@pytest.mark.parametrize("dtype", ["float32", "float64", *INTS])
def test_tests_like_torch(ours, theirs, dtype):
    x = FLOATS.astype(dtype) if dtype.startswith("float") else INTS[dtype]
    same(ours(gn.tensor(x, dtype=dtype)), theirs(torch.tensor(x)))


def test_tests_take_python_numbers_and_no_gradient():
    assert isnan(float("nan")).numpy()
    assert not isinf(3).numpy()
    x = gn.tensor([1.0, np.inf], requires_grad=True)
    assert isfinite(x).numpy().tolist() == [True, False]
    assert not isfinite(x).requires_grad


LOGICAL = [(logical_and, torch.logical_and), (logical_or, torch.logical_or),
           (logical_xor, torch.logical_xor)]


@pytest.mark.parametrize("ours, theirs", LOGICAL)
@pytest.mark.parametrize("da, db", [("float32", "float32"), ("int64", "float32"),
                                    ("bool", "int32"), ("bool", "bool"), ("int8", "uint8")])
def test_logical_binary_like_torch(ours, theirs, da, db):
    rng = np.random.default_rng(0)
    a = (rng.integers(-1, 2, (3, 4)) * rng.uniform(0.5, 2, (3, 4))).astype(da)
    b = (rng.integers(0, 2, (4,))).astype(db)
    same(ours(gn.tensor(a, dtype=da), gn.tensor(b, dtype=db)),
         theirs(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("dtype", ["float32", *INTS])
def test_logical_not_like_torch(dtype):
    x = np.nan_to_num(FLOATS) if dtype == "float32" else INTS[dtype]
    same(logical_not(gn.tensor(x, dtype=dtype)), torch.logical_not(torch.tensor(x)))


def test_logical_ops_take_python_numbers_and_arrays():
    assert logical_and(gn.tensor([0.5, 0.0]), 1).numpy().tolist() == [True, False]
    assert logical_or(0, np.array([0, 3])).numpy().tolist() == [False, True]
    assert logical_xor(True, [True, False]).numpy().tolist() == [False, True]
    assert logical_not(0.0).numpy()
    x = gn.tensor([1.0, 0.0], requires_grad=True)
    assert not logical_and(x, x).requires_grad


def test_logical_broadcast_error():
    with pytest.raises(ValueError, match=r"logical_and: cannot broadcast shapes \(2, 3\)"):
        logical_and(gn.tensor(np.ones((2, 3))), gn.tensor(np.ones(4)))


BITWISE = [(bitwise_and, torch.bitwise_and), (bitwise_or, torch.bitwise_or),
           (bitwise_xor, torch.bitwise_xor)]


@pytest.mark.parametrize("ours, theirs", BITWISE)
@pytest.mark.parametrize("dtype", INTS)
def test_bitwise_binary_like_torch(ours, theirs, dtype):
    a, b = INTS[dtype], INTS[dtype][::-1].copy()
    same(ours(gn.tensor(a), gn.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)))
    # a Python int keeps the tensor's dtype (a bool with an int becomes an integer), as torch
    scalar = True if dtype == "bool" else 5
    same(ours(gn.tensor(a), scalar), theirs(torch.tensor(a), scalar))
    same(ours(scalar, gn.tensor(a)), theirs(torch.tensor(a), scalar))


def test_bitwise_mixed_dtypes_and_broadcast():
    a = np.array([[1, 2, 3]], np.int32)
    b = np.array([[7], [6]], np.int64)
    same(bitwise_and(gn.tensor(a), gn.tensor(b)), torch.bitwise_and(torch.tensor(a),
                                                                   torch.tensor(b)))
    same(bitwise_or(gn.tensor([True, False]), 2), torch.bitwise_or(torch.tensor([True, False]),
                                                                  2))


@pytest.mark.parametrize("dtype", INTS)
def test_bitwise_not_like_torch(dtype):
    x = INTS[dtype]
    same(bitwise_not(gn.tensor(x)), torch.bitwise_not(torch.tensor(x)))
    same(~gn.tensor(x), ~torch.tensor(x))


@pytest.mark.parametrize("ours, theirs", [(left_shift, torch.bitwise_left_shift),
                                          (right_shift, torch.bitwise_right_shift)])
@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
def test_shifts_like_torch(ours, theirs, dtype):
    a = INTS[dtype]
    b = np.array([0, 1, 2, 3, 1, 2, 4], dtype)
    same(ours(gn.tensor(a), gn.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)))
    same(ours(gn.tensor(a), 2), theirs(torch.tensor(a), 2))


def test_shifts_past_the_width_and_negative_like_torch():
    a, b = np.array([1, 2, -8, 8, -8]), np.array([-1, 64, 70, 70, -1])
    for ours, theirs in [(left_shift, torch.bitwise_left_shift),
                         (right_shift, torch.bitwise_right_shift)]:
        same(ours(gn.tensor(a), gn.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)))
    same(left_shift(gn.tensor([True, False]), 1),
         torch.bitwise_left_shift(torch.tensor([True, False]), 1))


def test_operators():
    a = gn.tensor([True, False, True])
    b = gn.tensor([True, True, False])
    assert (a & b).numpy().tolist() == [True, False, False]
    assert (a | b).numpy().tolist() == [True, True, True]
    assert (a ^ b).numpy().tolist() == [False, True, True]
    assert (~a).numpy().tolist() == [False, True, False]
    assert (~a).dtype == np.bool_
    i = gn.tensor([12, 10, -1])
    assert (i & 6).numpy().tolist() == [4, 2, 6]
    assert (6 & i).numpy().tolist() == [4, 2, 6]
    assert (1 | i).numpy().tolist() == [13, 11, -1]
    assert (3 ^ i).numpy().tolist() == [15, 9, -4]
    assert (~i).numpy().tolist() == [-13, -11, 0]
    out = np.array([1, 2, 4]) & i
    assert isinstance(out, gn.Tensor) and out.numpy().tolist() == [0, 2, 4]
    # comparisons combine into masks
    x = gn.tensor([-1.0, 0.5, 2.0])
    assert ((x > 0) & (x < 1)).numpy().tolist() == [False, True, False]


NAMED = [bitwise_and, bitwise_or, bitwise_xor, left_shift, right_shift]


@pytest.mark.parametrize("op", NAMED)
def test_bitwise_rejects_floats(op):
    with pytest.raises(NotImplementedError, match="Float"):  # torch's refusal
        getattr(torch, op.__name__ if op.__name__.startswith("bitwise")
                else "bitwise_" + op.__name__)(torch.tensor([1.0]), torch.tensor([1]))
    name = op.__name__
    with pytest.raises(TypeError, match=rf"{name}: .*float32"):
        op(gn.tensor([1.0]), gn.tensor([1]))
    with pytest.raises(TypeError, match=rf"{name}: .*float32"):  # a Python float: floatx
        op(gn.tensor([1, 2]), 1.5)
    with pytest.raises(TypeError, match=rf"{name}: .*float64"):
        op(gn.tensor([1.0], dtype="float64"), 1)


def test_bitwise_not_and_operators_reject_floats():
    with pytest.raises(TypeError, match="bitwise_not: .*float32"):
        bitwise_not(gn.tensor([1.0]))
    with pytest.raises(TypeError, match="bitwise_not: .*float32"):
        ~gn.tensor([1.0])
    with pytest.raises(TypeError, match="bitwise_and: .*float32"):
        gn.tensor([1.0]) & gn.tensor([True])
    with pytest.raises(TypeError, match="bitwise_or: .*float32"):
        1 | gn.tensor([1.0])
    with pytest.raises(TypeError, match="bitwise_xor: .*float32"):
        gn.tensor([1.0]) ^ 1
