"""keras.utils array helpers raise Keras-style errors naming the argument (review fixes)."""

import re

import numpy as np
import pytest

from glassnet import keras

U = keras.utils


@pytest.mark.parametrize("call, error, message", [
    (lambda: U.pad_sequences([[1, 2], [3]], maxlen=-1), ValueError,
     "pad_sequences: `maxlen` must be None or a non-negative integer. Received: maxlen=-1"),
    (lambda: U.pad_sequences([[1, 2], [3]], maxlen="2"), TypeError,
     "pad_sequences: `maxlen` must be None or a non-negative integer. Received: maxlen='2' "
     "(of type str)"),
    (lambda: U.pad_sequences(5), ValueError,
     "pad_sequences: `sequences` must be a list of sequences. Received: int"),
    (lambda: U.pad_sequences([[1, 2], 3]), ValueError,
     "pad_sequences: `sequences` must be a list of sequences; entry 1 is a scalar (3)"),
    (lambda: U.pad_sequences([[1, [2, 3]], [3]]), ValueError,
     "pad_sequences: sequence 0 is ragged"),
    (lambda: U.pad_sequences([np.zeros((2, 3)), np.zeros((1, 4))]), ValueError,
     "pad_sequences: every sequence must hold elements of one shape; sequence 1 has elements "
     "of shape (4,), an earlier one (3,)"),
    (lambda: U.pad_sequences([[1, 2]], dtype="nope"), TypeError,
     "pad_sequences: `dtype` is not a data type. Received: dtype='nope'"),
    (lambda: U.pad_sequences([[1, 2]], value="x"), ValueError,
     "pad_sequences: `value` 'x' cannot be stored in an array of dtype int32"),
    (lambda: U.pad_sequences([["a", "b"]]), ValueError,
     "pad_sequences: sequence 0 (dtype <U1) cannot be stored in an array of dtype int32"),
    (lambda: U.to_categorical([[0, 1], [1]]), ValueError,
     "to_categorical: `x` must be a rectangular array of numbers; received a ragged nested "
     "sequence"),
    (lambda: U.to_categorical(["a", "b"]), ValueError,
     "to_categorical: `x` must hold numbers; received an array of dtype <U1"),
    (lambda: U.to_categorical([0, -1]), ValueError,
     "to_categorical: labels must be non-negative class indices; received -1"),
    (lambda: U.to_categorical([0, 3], num_classes=3), ValueError,
     "to_categorical: label 3 is out of range for num_classes=3 (labels must be in [0, 3))"),
    (lambda: U.to_categorical([0, 1.5]), ValueError,
     "to_categorical: labels must be whole numbers (class indices); received 1.5"),
    (lambda: U.to_categorical([0, np.nan]), ValueError,
     "to_categorical: labels must be whole numbers (class indices); received nan"),
    (lambda: U.to_categorical([0, 1], num_classes=0), ValueError,
     "to_categorical: `num_classes` must be a positive integer. Received: "
     "num_classes=0"),
    (lambda: U.to_categorical([0, 1], num_classes="2"), TypeError,
     "to_categorical: `num_classes` must be a positive integer. Received: "
     "num_classes='2' (of type str)"),
    (lambda: U.to_categorical([]), ValueError,
     "to_categorical: cannot infer num_classes from empty labels; pass num_classes"),
    (lambda: U.normalize(np.zeros((2, 3)), axis=5), ValueError,
     "normalize: `axis` 5 is out of bounds for `x` of shape (2, 3) (2 dimensions)"),
    (lambda: U.normalize(np.zeros((2, 3)), axis=-3), ValueError,
     "normalize: `axis` -3 is out of bounds"),
    (lambda: U.normalize(np.zeros((2, 3)), axis=1.0), TypeError,
     "normalize: `axis` must be an integer. Received: axis=1.0 (of type float)"),
    (lambda: U.normalize(np.zeros((2, 3)), order="l2"), ValueError,
     "normalize: `order` must be a number"),
    (lambda: U.normalize([[1, 2], [3]]), ValueError,
     "normalize: `x` must be a rectangular array of numbers"),
    (lambda: U.normalize(np.float32(3.0)), ValueError,
     "normalize: `axis` -1 is out of bounds for `x` of shape () (0 dimensions)"),
])
def test_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_valid_inputs_still_work():
    assert U.pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)
    assert U.pad_sequences([[1, 2], [3]], maxlen=np.int64(1)).tolist() == [[2], [3]]
    assert U.to_categorical([], num_classes=3).shape == (0, 3)
    assert U.to_categorical(np.array([[1], [0]]), 2).tolist() == [[0, 1], [1, 0]]
    assert U.to_categorical([1.0, 0.0]).tolist() == [[0, 1], [1, 0]]
    np.testing.assert_allclose(U.normalize([[3.0, 4.0]]), [[0.6, 0.8]])
    np.testing.assert_allclose(U.normalize([[3.0], [4.0]], axis=0), [[0.6], [0.8]])
    np.testing.assert_allclose(U.normalize([[3.0, -4.0]], order=1), [[3 / 7, -4 / 7]])
