import json
from pathlib import Path

import numpy as np
import pytest

from glassnet import keras
from glassnet.data import Dataset

REF = json.loads((Path(__file__).parents[1] / "datasets" / "fixtures" /
                  "keras_reference.json").read_text())


@pytest.mark.parametrize("case", REF["split_dataset"], ids=lambda c: str(c["kwargs"]))
def test_the_same_samples_as_keras_for_the_same_seed(case):
    left, right = keras.utils.split_dataset(np.arange(20), **case["kwargs"])
    assert [int(v) for v in left.as_numpy_iterator()] == case["left"]
    assert [int(v) for v in right.as_numpy_iterator()] == case["right"]


def test_tuples_dicts_and_batched_datasets_keep_their_structure():
    x, y = np.arange(30.0).reshape(10, 3), np.arange(10)
    left, right = keras.utils.split_dataset((x, y), left_size=0.8)
    xl, yl = next(iter(left.batch(100).as_numpy_iterator()))
    assert xl.shape == (8, 3) and yl.tolist() == list(range(8)) and len(right) == 2
    left, right = keras.utils.split_dataset([x, y], right_size=3)  # a list gives tuples
    assert isinstance(next(iter(right.as_numpy_iterator())), tuple)
    ds = Dataset.from_tensor_slices({"a": x, "b": y}).batch(4).prefetch(2)
    left, right = keras.utils.split_dataset(ds, left_size=6, shuffle=True, seed=1)
    batches = list(left.as_numpy_iterator())
    assert [b["a"].shape for b in batches] == [(4, 3), (2, 3)]  # batched again by 4
    seen = np.concatenate([b["b"] for b in batches] +
                          [b["b"] for b in right.as_numpy_iterator()])
    assert sorted(seen.tolist()) == list(range(10))
    unbatched = Dataset.from_tensor_slices(y)
    left, right = keras.utils.split_dataset(unbatched, left_size=0.5)
    assert [int(v) for v in right.as_numpy_iterator()] == [5, 6, 7, 8, 9]


@pytest.mark.parametrize("kwargs, error, message", [
    ({}, ValueError, "at least one of the `left_size` or `right_size` must be specified"),
    ({"left_size": 10}, ValueError, "positive integer smaller than 10"),
    ({"left_size": 1.5}, ValueError, r"float within the range `\[0, 1\]`. Received: "
                                     r"left_size=1.5"),
    ({"left_size": "half"}, TypeError, "invalid `left_size` type"),
    ({"left_size": 0.6, "right_size": 0.6}, ValueError, "is greater than 1"),
    ({"left_size": 7, "right_size": 5}, ValueError, "should be smaller than the 10 samples"),
    ({"left_size": 0.01}, ValueError, "the left side would be empty"),
])
def test_bad_sizes_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        keras.utils.split_dataset(np.arange(10), **kwargs)


def test_bad_datasets_are_named():
    with pytest.raises(TypeError, match="must be a glassnet Dataset, a NumPy array or a "
                                        "list/tuple of arrays. Received: dataset of type str"):
        keras.utils.split_dataset("abc", left_size=1)
    with pytest.raises(ValueError, match="the arrays must have the same length"):
        keras.utils.split_dataset((np.zeros(3), np.zeros(4)), left_size=1)
    with pytest.raises(ValueError, match="expected a tuple of numpy.ndarray objects. "
                                         "Received: list at index 1"):
        keras.utils.split_dataset((np.zeros(3), [1, 2, 3]), left_size=1)
