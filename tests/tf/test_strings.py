"""tf.strings, string constants and string batches, as text pipelines use them."""

import numpy as np
import pytest

import glassnet as tf


def test_string_functions_match_tensorflow():
    # Expected values from TensorFlow 2.21 on the same inputs.
    text = tf.constant(["Great Film!<br />Loved it", "  Dull  "])
    assert tf.strings.lower(text).tolist() == ["great film!<br />loved it", "  dull  "]
    assert tf.strings.upper(["ab"]).tolist() == ["AB"]
    assert tf.strings.strip(text).tolist()[1] == "Dull"
    assert tf.strings.regex_replace(text, "<br />", " ").tolist()[0] == "Great Film! Loved it"
    assert tf.strings.regex_replace(["aaa"], "a", "b", replace_global=False).tolist() == ["baa"]
    assert tf.strings.regex_full_match(["abc", "abd"], "ab[c]").tolist() == [True, False]
    assert tf.strings.length(["é", "ab"]).tolist() == [2, 2]
    assert tf.strings.length(["é"], unit="UTF8_CHAR").tolist() == [1]
    assert tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1, separator="-").tolist() == [
        "a-b", "c-d"]
    assert tf.strings.to_number(["1.5", "2"]).tolist() == [1.5, 2.0]
    with pytest.raises(ValueError, match="to_number"):
        tf.strings.to_number(["x"])
    with pytest.raises(TypeError, match="expected strings"):
        tf.strings.lower(np.array([1, 2]))


def test_string_constants_and_shapes():
    text = tf.constant([["a b"], ["c"]])
    assert text.numpy().tolist() == [["a b"], ["c"]]
    assert tf.expand_dims(tf.constant(["a", "b"]), -1).shape == (2, 1)
    assert tf.squeeze(text, -1).tolist() == ["a b", "c"]
    assert tf.reshape(tf.constant(["a", "b"]), (2, 1)).shape == (2, 1)
    assert tf.expand_dims(tf.constant([1.0, 2.0]), -1).shape == (2, 1)  # numbers as before


def test_dataset_string_batches_have_numpy():
    ds = tf.data.Dataset.from_tensor_slices((np.array(["a b", "c"]), np.array([1, 0]))).batch(2)
    text, label = next(iter(ds))
    assert text.numpy().tolist() == ["a b", "c"] and label.numpy().tolist() == [1, 0]


def test_a_batch_of_strings_meets_an_input_of_shape_1():
    inputs = tf.keras.Input(shape=(1,), dtype="string")
    lookup = tf.keras.layers.StringLookup(vocabulary=["a", "b"])
    model = tf.keras.Model(inputs, lookup(inputs))
    assert model.predict(np.array(["a", "b", "z"]), verbose=0).tolist() == [[1], [2], [0]]
