"""tf.data's Dataset over NumPy: constructors, transformations, cardinality and element specs.

Expected values were read off TensorFlow 2.21 running the same pipelines (shuffle orders
excepted: only their statistics are tf's).
"""

import collections

import numpy as np
import pytest

import glassnet as tf
from glassnet.data import Dataset, TensorSpec

D = Dataset


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return tuple(plain(x) for x in v)
    return v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v


def values(ds):
    return [plain(v) for v in ds.as_numpy_iterator()]


# -- constructors -----------------------------------------------------------------------------

def test_top_level_names_and_constants():
    assert tf.data.Dataset is Dataset
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == -1
    assert tf.data.INFINITE_CARDINALITY == -1 and tf.data.UNKNOWN_CARDINALITY == -2
    assert int(tf.data.experimental.cardinality(D.range(4))) == 4


def test_from_tensor_slices_structures_and_dtypes():
    assert D.from_tensor_slices([1.0, 2.0]).element_spec == TensorSpec((), "float32")
    assert D.from_tensor_slices([1, 2]).element_spec == TensorSpec((), "int32")
    # a list of arrays is one stacked array, as in tf; NumPy dtypes are kept
    assert D.from_tensor_slices([np.zeros(3), np.ones(3)]).element_spec == \
        TensorSpec((3,), "float64")
    ds = D.from_tensor_slices((np.zeros((4, 2), np.float32), {"k": np.arange(4)}))
    spec = ds.batch(2).element_spec
    assert spec[0] == TensorSpec((None, 2), "float32")
    assert spec[1]["k"] == TensorSpec((None,), "int64")
    first = next(iter(ds))
    assert isinstance(first[1], dict) and first[0].numpy().shape == (2,)
    Point = collections.namedtuple("Point", "a b")
    element = next(D.from_tensor_slices(Point(np.arange(3), np.arange(3.0))).as_numpy_iterator())
    assert isinstance(element, Point) and element.a == 0


def test_from_tensor_slices_errors():
    with pytest.raises(ValueError, match=r"same size in their first dimension; received "
                                         r"shapes \(3,\), \(4,\)"):
        D.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="first axis"):
        D.from_tensor_slices(np.float32(1))
    with pytest.raises(ValueError, match="ragged"):
        D.from_tensor_slices([[1, 2], [3]])


def test_from_tensors_range_zip():
    assert values(D.from_tensors([1.0, 2.0])) == [[1.0, 2.0]]
    assert values(D.range(1, 10, 3)) == [1, 4, 7]
    assert values(D.range(5, 0, -2)) == [5, 3, 1]
    assert D.range(3).element_spec == TensorSpec((), "int64")
    zipped = D.zip(D.range(3), D.range(10, 20))
    assert values(zipped) == [(0, 10), (1, 11), (2, 12)] and len(zipped) == 3
    nested = D.zip((D.range(2), (D.range(2), D.range(5))))
    assert values(nested) == [(0, (0, 0)), (1, (1, 1))]
    assert values(D.zip({"a": D.range(2), "b": D.range(3)})) == [{"a": 0, "b": 0},
                                                                  {"a": 1, "b": 1}]
    with pytest.raises(TypeError, match="expected a Dataset"):
        D.zip(D.range(2), [1, 2])
    with pytest.raises(ValueError, match="step must not be zero"):
        D.range(0, 5, 0)
    with pytest.raises(TypeError, match="integers"):
        D.range(2.5)


def test_from_generator_signatures_args_and_checks():
    ds = D.from_generator(lambda: iter([[1], [2, 3]]),
                          output_signature=TensorSpec((None,), "int32"))
    assert values(ds) == [[1], [2, 3]] and ds.element_spec == TensorSpec((None,), "int32")
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    pairs = D.from_generator(lambda: ((i, i * 2) for i in range(3)),
                             output_types=("int64", "float32"), output_shapes=((), ()))
    assert values(pairs) == [(0, 0.0), (1, 2.0), (2, 4.0)]
    assert pairs.element_spec[1] == TensorSpec((), "float32")
    counted = D.from_generator(lambda n: range(n), output_types="int32", args=(4,))
    assert values(counted) == [0, 1, 2, 3] and values(counted) == [0, 1, 2, 3]  # re-runs
    bad = D.from_generator(lambda: iter([[1, 2, 3]]), output_signature=TensorSpec((2,), "int32"))
    with pytest.raises(ValueError, match=r"shape \(3,\), but its spec says \(2,\)"):
        list(bad)
    with pytest.raises(TypeError, match="expected a callable"):
        D.from_generator([1, 2])


# -- cardinality, len, element_spec -----------------------------------------------------------

CARDINALITIES = {  # the values TensorFlow reports for the same pipelines on range(10)
    "repeat()": -1, "repeat(2)": 20, "repeat().take(5)": 5, "skip(3)": 7, "skip(20)": 0,
    "filter(lambda x: x > 2)": -2, "batch(3)": 4, "batch(3, drop_remainder=True)": 3,
    "repeat().batch(3)": -1, "take(-1)": 10, "skip(-1)": 0, "batch(3).unbatch()": -2,
    "shuffle(3)": 10, "cache()": 10, "enumerate()": 10, "concatenate(D.range(10))": 20,
    "flat_map(lambda x: D.range(x))": -2, "repeat(0)": 0, "take(0)": 0,
    "filter(lambda x: x > 2).repeat()": -1, "prefetch(2)": 10, "map(lambda x: x * 2)": 10,
    "repeat().concatenate(D.range(3))": -1, "interleave(lambda x: D.range(x))": -2,
    "padded_batch(4)": 3,
}


@pytest.mark.parametrize("chain", list(CARDINALITIES))
def test_cardinality_matches_tensorflow(chain):
    ds = eval(f"D.range(10).{chain}")  # noqa: S307 - a fixed table above
    assert int(ds.cardinality()) == CARDINALITIES[chain]
    if CARDINALITIES[chain] >= 0:
        assert len(ds) == CARDINALITIES[chain] == len(values(ds))


def test_len_of_infinite_and_unknown_raises_type_error_as_tf():
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(D.range(3).repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(D.range(3).filter(lambda x: x > 0))
    assert bool(D.range(3).repeat())  # truthy although it has no length
    assert int(D.zip(D.range(3).repeat(), D.range(3).repeat()).cardinality()) == -1


def test_element_spec_batch_axis():
    assert D.range(10).batch(3).element_spec == TensorSpec((None,), "int64")
    assert D.range(10).batch(3, drop_remainder=True).element_spec == TensorSpec((3,), "int64")
    assert D.range(3).map(lambda x: (x, x * 1.5)).element_spec == (
        TensorSpec((), "int64"), TensorSpec((), "float32"))
    assert D.from_tensors(np.zeros((2, 3))).unbatch().element_spec == TensorSpec((3,),
                                                                                  "float64")
    assert D.range(3).enumerate().element_spec[0] == TensorSpec((), "int64")
    assert "element_spec=TensorSpec(shape=()" in repr(D.range(3))


# -- transformations --------------------------------------------------------------------------

def test_map_unpacks_tuples_and_passes_dicts_and_tensors():
    seen = []

    def add(a, b):
        seen.append(type(a).__name__)
        return a + b
    assert values(D.from_tensor_slices(([1, 2], [3, 4])).map(add)) == [4, 6]
    assert seen == ["Tensor", "Tensor"]
    assert values(D.from_tensor_slices({"a": [1, 2], "b": [3, 4]}).map(
        lambda d: d["a"] * d["b"])) == [3, 8]
    assert values(D.range(3).map(lambda x: [x, x * 2])) == [(0, 0), (1, 2), (2, 4)]
    assert values(D.from_tensor_slices([1, 2, 3]).filter(lambda x: x % 2 == 1)) == [1, 3]
    with pytest.raises(TypeError, match="expected a callable"):
        D.range(3).map(3)


def test_parallel_map_keeps_order_and_raises_errors():
    ds = D.range(50).map(lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE)
    assert values(ds) == list(range(0, 100, 2))
    assert values(D.range(9).map(lambda x: x + 1, num_parallel_calls=3,
                                 deterministic=False)) == list(range(1, 10))

    def fail(x):
        if int(x) == 7:
            raise RuntimeError("element seven")
        return x
    with pytest.raises(RuntimeError, match="element seven"):
        list(D.range(20).map(fail, num_parallel_calls=4))
    with pytest.raises(ValueError, match="num_parallel_calls"):
        D.range(3).map(lambda x: x, num_parallel_calls=0)


def test_batch_unbatch_repeat_take_skip_as_tf():
    assert values(D.range(5).batch(2)) == [[0, 1], [2, 3], [4]]
    assert values(D.range(5).batch(2, drop_remainder=True)) == [[0, 1], [2, 3]]
    assert values(D.range(7).batch(3).unbatch()) == list(range(7))
    assert values(D.from_tensor_slices([[1, 2], [3, 4]]).unbatch()) == [1, 2, 3, 4]
    assert values(D.range(10).take(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert values(D.range(10).batch(4).skip(1).take(1)) == [[4, 5, 6, 7]]
    assert values(D.from_tensors(3).repeat(3).batch(2)) == [[3, 3], [3]]
    assert values(D.range(7).repeat(2).batch(4)) == [[0, 1, 2, 3], [4, 5, 6, 0], [1, 2, 3, 4],
                                                     [5, 6]]
    assert values(D.range(7).skip(2).take(4).repeat(2).batch(3)) == [[2, 3, 4], [5, 2, 3],
                                                                     [4, 5]]
    assert values(D.from_tensor_slices([1, 2]).repeat(-1).take(3)) == [1, 2, 1]
    assert values(D.range(3).enumerate(start=5)) == [(5, 0), (6, 1), (7, 2)]
    assert values(D.range(3).concatenate(D.range(2))) == [0, 1, 2, 0, 1]
    with pytest.raises(ValueError, match="different shapes"):
        list(D.from_generator(lambda: iter([[1], [2, 3]]), output_types="int32").batch(2))
    with pytest.raises(ValueError, match="batch_size` must be a positive integer"):
        D.range(3).batch(0)
    with pytest.raises(TypeError, match="incompatible dataset elements"):
        D.range(3).concatenate(D.from_tensor_slices([1.0]))


def test_padded_batch_as_tf():
    ds = D.from_generator(lambda: iter([[1], [2, 3], [4, 5, 6]]),
                          output_signature=TensorSpec((None,), "int32"))
    assert values(ds.padded_batch(2)) == [[[1, 0], [2, 3]], [[4, 5, 6]]]
    assert values(ds.padded_batch(2, padded_shapes=[5], padding_values=-1)) == [
        [[1, -1, -1, -1, -1], [2, 3, -1, -1, -1]], [[4, 5, 6, -1, -1]]]
    assert ds.padded_batch(2).element_spec == TensorSpec((None, None), "int32")
    assert ds.padded_batch(2, drop_remainder=True).element_spec == TensorSpec((2, None),
                                                                              "int32")
    pairs = D.from_tensor_slices(([[1, 2], [3, 4]], [5, 6]))
    batch = next(pairs.padded_batch(2, padded_shapes=([4], []),
                                    padding_values=(-1, 0)).as_numpy_iterator())
    assert batch[0].tolist() == [[1, 2, -1, -1], [3, 4, -1, -1]] and batch[1].tolist() == [5, 6]
    assert pairs.padded_batch(2, padded_shapes=([4], [])).element_spec[0] == \
        TensorSpec((None, 4), "int32")
    with pytest.raises(ValueError, match=r"padded shape \(2,\) is not compatible with the "
                                         r"shape \(3,\)"):
        list(D.from_tensor_slices([[1, 2, 3]]).padded_batch(2, padded_shapes=[2]))
    with pytest.raises(ValueError, match="structure of the elements"):
        list(pairs.padded_batch(2, padded_shapes=[4]))


def test_flat_map_and_interleave_order_as_tf():
    assert values(D.range(4).flat_map(lambda x: D.range(x))) == [0, 0, 1, 0, 1, 2]
    ds = D.range(1, 6).interleave(lambda x: D.from_tensors(x).repeat(6), cycle_length=2,
                                  block_length=4)
    assert values(ds) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4,
                          4, 5, 5, 5, 5, 5, 5]
    assert values(D.range(1, 6).interleave(lambda x: D.range(x), cycle_length=3)) == [
        0, 0, 0, 1, 1, 0, 2, 1, 0, 2, 1, 3, 2, 3, 4]
    with pytest.raises(TypeError, match="must return a Dataset"):
        list(D.range(2).flat_map(lambda x: x))


def test_reduce_apply_options():
    assert int(D.range(5).reduce(0, lambda s, x: s + x)) == 10
    assert values(D.range(4).apply(lambda d: d.skip(2))) == [2, 3]
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = \
        tf.data.experimental.AutoShardPolicy.DATA
    assert values(D.range(2).with_options(options)) == [0, 1]


def test_numpy_iterator_and_tensor_elements():
    x = np.arange(6.0).reshape(3, 2)
    for xb, yb in D.from_tensor_slices((x, np.arange(3))).batch(2):
        assert isinstance(xb, tf.Tensor) and xb.numpy().dtype == np.float64
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])
    assert values(D.from_tensor_slices(["ab", "c"])) == ["ab", "c"]  # strings stay NumPy


def test_pytorch_style_subclass_gains_the_tf_api():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.float32(i), np.float32(i * i)
    ds = Squares().batch(2)
    assert len(ds) == 3 and values(ds)[0] == ([0.0, 1.0], [0.0, 1.0])
    assert len(tf.data.ArrayDataset(np.zeros(4)).batch(3)) == 2
    with pytest.raises(TypeError, match="not subscriptable"):
        D.range(3)[0]


# (arguments, drop_remainder) -> windows of Dataset.range(10), as TensorFlow 2.21 gives them
WINDOWS = [
    ((3,), False, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]),
    ((3, 1), True, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7],
                    [6, 7, 8], [7, 8, 9]]),
    ((4, 2, 2), False, [[0, 2, 4, 6], [2, 4, 6, 8], [4, 6, 8], [6, 8], [8]]),
    ((4, 2, 2), True, [[0, 2, 4, 6], [2, 4, 6, 8]]),
    ((3, 4), False, [[0, 1, 2], [4, 5, 6], [8, 9]]),
]


@pytest.mark.parametrize("args,drop,expected", WINDOWS)
def test_window_matches_tensorflow(args, drop, expected):
    windows = Dataset.range(10).window(*args, drop_remainder=drop)
    assert int(windows.cardinality()) == len(expected)
    assert [[int(v) for v in w.as_numpy_iterator()] for w in windows] == expected


def test_window_of_pairs_is_a_pair_of_datasets_flattened_with_flat_map():
    pairs = Dataset.from_tensor_slices((np.arange(6), np.arange(6) * 10))
    flat = pairs.window(2).flat_map(lambda x, y: Dataset.zip((x.batch(2), y.batch(2))))
    assert [(a.tolist(), b.tolist()) for a, b in flat.as_numpy_iterator()] == \
        [([0, 1], [0, 10]), ([2, 3], [20, 30]), ([4, 5], [40, 50])]
    assert "DatasetSpec" in repr(Dataset.range(4).window(2).element_spec)
    with pytest.raises(ValueError, match="`size` must be a positive integer"):
        Dataset.range(4).window(0)


def test_filter_needs_a_boolean_scalar_as_tensorflow():
    ds = Dataset.range(6)
    assert [int(v) for v in ds.filter(lambda x: x % 2 == 0).as_numpy_iterator()] == [0, 2, 4]
    assert len(list(ds.filter(lambda x: True))) == 6  # a Python bool is one
    with pytest.raises(TypeError, match="scalar boolean; it returned a value of dtype int64"):
        list(ds.filter(lambda x: x * 2))
    with pytest.raises(TypeError, match=r"shape \(2,\)"):
        list(Dataset.from_tensor_slices(np.ones((3, 2)) > 0).filter(lambda x: x))
