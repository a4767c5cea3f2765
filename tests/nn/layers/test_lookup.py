"""StringLookup and IntegerLookup against TensorFlow 2.21 / Keras 3.15: every expected value
below is what ``keras.layers.StringLookup`` / ``IntegerLookup`` returned on the same input."""

import re

import numpy as np
import pytest

from glassnet.data import Dataset
from glassnet.nn.layers.text import IntegerLookup, StringLookup
from glassnet.nn.layers.text.farmhash import fingerprint64

DATA = np.array([["a", "c", "d"], ["d", "z", "b"], ["a", "a", "e"]])
VOCAB = ["a", "b", "c", "d"]


def check_text_layer(layer, x, expected_shape=None):
    """What check_layer checks where it applies to a weightless text layer: the output
    shape is compute_output_shape's (a known and an unknown batch; None where the length
    depends on the strings), there are no weights, and from_config(get_config()) rebuilds a
    layer with the same config and outputs."""
    out = layer(x)
    out = out.numpy() if hasattr(out, "numpy") else out
    shape = tuple(np.shape(x))

    def fits(declared, actual):
        return len(declared) == len(actual) and all(d is None or d == a
                                                    for d, a in zip(declared, actual))

    assert fits(tuple(layer.compute_output_shape(shape)), out.shape)
    if len(shape) > 1:
        declared = tuple(layer.compute_output_shape((None, *shape[1:])))
        assert declared[0] is None and fits(declared[1:], out.shape[1:])
    if expected_shape is not None:
        assert out.shape == expected_shape
    assert layer.count_params() == 0 and layer.weights == []
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    again = clone(x)
    np.testing.assert_array_equal(again.numpy() if hasattr(again, "numpy") else again, out)
    return out


def test_adapt_orders_by_count_then_token_descending():
    layer = StringLookup()
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "a", "d", "z", "e", "c", "b"]
    out = check_text_layer(layer, DATA)
    assert out.dtype == np.int64
    assert out.tolist() == [[1, 5, 2], [2, 3, 6], [1, 1, 4]]
    assert layer.vocabulary_size() == 7
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "d", "z", "e", "c", "b"]


def test_max_tokens_keeps_the_most_frequent():
    layer = StringLookup(max_tokens=3)
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "a", "d"]


def test_adapt_from_a_dataset_and_an_iterable_with_steps():
    ds = Dataset.from_tensor_slices(np.array(["x", "y", "y", "q"])).batch(2)
    layer = StringLookup()
    layer.adapt(ds, steps=1)
    assert layer.get_vocabulary() == ["[UNK]", "y", "x"]
    layer.adapt(ds)
    assert layer.get_vocabulary() == ["[UNK]", "y", "x", "q"]
    layer.adapt(iter([np.array(["b", "b"]), np.array(["c"]), np.array(["d"])]), steps=2)
    assert layer.get_vocabulary() == ["[UNK]", "b", "c"]


def test_given_vocabulary_mask_and_invert():
    layer = StringLookup(vocabulary=VOCAB)
    assert check_text_layer(layer, np.array([["a", "c", "d"], ["d", "z", "b"]])).tolist() == \
        [[1, 3, 4], [4, 0, 2]]
    masked = StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]
    assert masked(np.array([["a", "", "d"], ["d", "z", ""]])).numpy().tolist() == \
        [[2, 0, 5], [5, 1, 0]]
    inverse = StringLookup(vocabulary=VOCAB, invert=True)
    assert inverse(np.array([[1, 3, 4], [4, 0, 2]])).tolist() == \
        [["a", "c", "d"], ["d", "[UNK]", "b"]]
    inverse = StringLookup(vocabulary=VOCAB, invert=True, mask_token="")
    assert inverse(np.array([[1, 3, 4], [5, 0, 2], [9, -1, 2]])).tolist() == \
        [["[UNK]", "b", "c"], ["d", "", "a"], ["[UNK]", "[UNK]", "a"]]
    # a list is one input, as in Keras
    assert layer(["a", "zz"]).numpy().tolist() == [1, 0]


def test_several_oov_buckets_hash_as_tensorflow():
    x = np.array([["a", "z", "y", "x", "w", "hello", "[UNK]", ""]])
    two = StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    assert two.get_vocabulary() == ["[UNK]", "[UNK]", "a", "b", "c", "d"]
    assert two(x).numpy().tolist() == [[2, 1, 1, 0, 1, 0, 0, 1]]
    three = StringLookup(vocabulary=VOCAB, num_oov_indices=3, mask_token="")
    assert three(x).numpy().tolist() == [[4, 2, 3, 3, 3, 2, 1, 0]]


def test_fingerprint64_is_tensorflows_to_hash_bucket_fast():
    base = "0123456789abcdef" * 20
    lengths = [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200]
    texts = [base[:n] for n in lengths] + ["héllo wörld", "[UNK]"]
    # tf.strings.to_hash_bucket_fast(texts, 2**63 - 1)
    expected = [1936946117179621456, 5975597238397796928, 8347415407982900060,
                259744646550992520, 2092326130583504517, 7926118692302350582,
                8973211576868890572, 6105018409752412263, 7920484519069722889,
                6842607679699932108, 1958373538681310840, 4799579869226630476,
                7821013567487967778, 9143507982152263937, 1551549064416070298,
                6500657564170526605, 2403258503118408510, 738038763640019899,
                8319943182823036209, 9001971122424596627, 8599703842344042473]
    assert [fingerprint64(t.encode()) % (2 ** 63 - 1) for t in texts] == expected


def test_encoded_output_modes():
    rank1, rank2, column = np.array(["a", "b", "z"]), \
        np.array([["a", "b", "a"], ["z", "d", "d"]]), np.array([["a"], ["z"]])
    one_hot = StringLookup(vocabulary=VOCAB, output_mode="one_hot")
    assert check_text_layer(one_hot, rank1).tolist() == \
        [[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]
    assert one_hot(rank2).shape == (2, 3, 5)
    assert one_hot(column).numpy().tolist() == [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    multi = StringLookup(vocabulary=VOCAB, output_mode="multi_hot")
    out = check_text_layer(multi, rank2)
    assert out.dtype == np.float32 and out.tolist() == [[0, 1, 1, 0, 0], [1, 0, 0, 0, 1]]
    assert multi(rank1).numpy().tolist() == [1, 1, 1, 0, 0]  # a 1-D input is one sample
    count = StringLookup(vocabulary=VOCAB, output_mode="count")
    assert check_text_layer(count, rank2).tolist() == [[0, 2, 1, 0, 0], [1, 0, 0, 0, 2]]
    masked = StringLookup(vocabulary=VOCAB, output_mode="multi_hot", mask_token="")
    assert masked.get_vocabulary() == ["[UNK]", "a", "b", "c", "d"]
    assert masked(np.array([["a", "", ""], ["z", "d", ""]])).numpy().tolist() == \
        [[0, 1, 0, 0, 0], [1, 0, 0, 0, 1]]
    padded = StringLookup(vocabulary=VOCAB, output_mode="count", max_tokens=8,
                          pad_to_max_tokens=True)
    assert check_text_layer(padded, rank2, (2, 8)).tolist()[1] == [1, 0, 0, 0, 2, 0, 0, 0]


def test_tf_idf():
    given = StringLookup(vocabulary=VOCAB, output_mode="tf_idf", idf_weights=[0.5, 1, 2, 3])
    # the OOV column weighs the mean idf (1.625) when the vocabulary has no special tokens
    assert check_text_layer(given, np.array([["a", "a", "z"], ["d", "c", "zz"]])).tolist() == \
        [[1.625, 1.0, 0.0, 0.0, 0.0], [1.625, 0.0, 0.0, 2.0, 3.0]]
    special = StringLookup(vocabulary=["[UNK]", "a", "b"], output_mode="tf_idf",
                           idf_weights=[9, 0.5, 1])
    assert special(np.array([["a", "a", "z"]])).numpy().tolist() == [[9.0, 1.0, 0.0]]
    learned = StringLookup(output_mode="tf_idf")
    learned.adapt(DATA)
    np.testing.assert_allclose(learned(DATA).numpy(), [
        [0.0, 0.693147, 0.693147, 0.0, 0.0, 0.916291, 0.0],
        [0.0, 0.0, 0.693147, 0.916291, 0.0, 0.0, 0.916291],
        [0.0, 1.386294, 0.0, 0.0, 0.916291, 0.0, 0.0]], rtol=1e-6)
    check_text_layer(learned, DATA)


def test_integer_lookup():
    data = np.array([[12, 1138, 42], [42, 1000, 36], [42, 12, 7]])
    layer = IntegerLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == [-1, 42, 12, 1138, 1000, 36, 7]
    assert check_text_layer(layer, data).tolist() == [[2, 3, 1], [1, 4, 5], [1, 2, 6]]
    vocab = [12, 36, 1138, 42]
    two = IntegerLookup(vocabulary=vocab, num_oov_indices=2)  # floormod buckets
    assert two(np.array([[12, 5, 6, 7, -3, 1001]])).numpy().tolist() == [[2, 1, 0, 1, 1, 1]]
    masked = IntegerLookup(vocabulary=vocab, mask_token=0)
    assert masked.get_vocabulary() == [0, -1, 12, 36, 1138, 42]
    assert masked(np.array([[12, 0, 6]])).numpy().tolist() == [[2, 0, 1]]
    inverse = IntegerLookup(vocabulary=vocab, invert=True)
    assert check_text_layer(inverse, np.array([[1, 0, 4, 7]])).tolist() == [[12, -1, 42, -1]]
    inverse = IntegerLookup(vocabulary=vocab, mask_token=0, invert=True)
    assert inverse(np.array([[1, 0, 5, 7]])).numpy().tolist() == [[-1, 0, 42, -1]]
    config = inverse.get_config()
    assert {k: config[k] for k in ("invert", "mask_token", "oov_token", "vocabulary",
                                   "vocabulary_size", "vocabulary_dtype", "oov_method")} == {
        "invert": True, "mask_token": 0, "oov_token": -1, "vocabulary": vocab,
        "vocabulary_size": 6, "vocabulary_dtype": "int64", "oov_method": "floormod"}
    exact = IntegerLookup(output_mode="multi_hot", num_oov_indices=0, vocabulary=[1, 2])
    assert exact(np.array([[1, 2, 2]])).numpy().tolist() == [[1, 1]]


def test_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n\n", encoding="utf-8")
    layer = StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer.get_config()["vocabulary"] == ["a", "b", "c"]
    ints = tmp_path / "ints.txt"
    ints.write_text("7\n3\n", encoding="utf-8")
    assert IntegerLookup(vocabulary=str(ints))(np.array([3, 9])).numpy().tolist() == [2, 0]


def test_adapted_config_rebuilds_the_layer():
    layer = StringLookup(mask_token="", num_oov_indices=2)
    layer.adapt(DATA)
    clone = StringLookup.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary() == \
        ["", "[UNK]", "[UNK]", "a", "d", "z", "e", "c", "b"]


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(max_tokens=1), ValueError, "`max_tokens` must be greater than 1. Received: "
                                     "max_tokens=1"),
    (dict(pad_to_max_tokens=True), ValueError, "If pad_to_max_tokens is True, must set"),
    (dict(num_oov_indices=-1), ValueError, "`num_oov_indices` must be greater than or equal"),
    (dict(output_mode="bogus"), ValueError, "`output_mode` must be one of"),
    (dict(invert=True, output_mode="count"), ValueError, "must be `'int'` when `invert`"),
    (dict(sparse=True, output_mode="count"), ValueError, "`sparse=True` is not supported"),
    (dict(idf_weights=[1.0]), ValueError, "`idf_weights` should only be set if"),
    (dict(output_mode="tf_idf", vocabulary=["a"]), ValueError, "the `idf_weights` argument "
                                                               "must also be provided"),
    (dict(vocabulary=["a", "a"]), ValueError, "repeated term"),
    (dict(vocabulary=["a", ""], mask_token=""), ValueError, "reserved mask token"),
    (dict(vocabulary=["a", "b", "c"], max_tokens=3), ValueError, "larger than the maximum"),
    (dict(vocabulary=[]), ValueError, "Cannot set an empty vocabulary"),
    (dict(salt=3), ValueError, "`salt`"),
    (dict(mask_token=0), TypeError, "`mask_token` must be None or a string"),
    (dict(encoding="no-such-codec"), ValueError, "`encoding`"),
    (dict(vocabulary="/no/such/vocabulary.txt"), ValueError, "does not exist"),
    (dict(output_mode="tf_idf", vocabulary=["a"], idf_weights=[1.0, 2.0]), ValueError,
     "`idf_weights` must be the same length as vocabulary"),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=re.escape(words)):
        StringLookup(**kwargs)


def test_bad_inputs_and_states():
    with pytest.raises(TypeError, match="StringLookup '.*': expected strings"):
        StringLookup(vocabulary=VOCAB)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="IntegerLookup '.*': expected integer tokens"):
        IntegerLookup(vocabulary=[1])(np.array([1.5]))
    with pytest.raises(TypeError, match="with invert=True expected integer indices"):
        StringLookup(vocabulary=VOCAB, invert=True)(np.array(["a"]))
    with pytest.raises(ValueError, match="`num_oov_indices=0` all inputs should be in "
                                         r"vocabulary, found OOV values \['z'\]"):
        StringLookup(vocabulary=VOCAB, num_oov_indices=0)(np.array(["a", "z", "z"]))
    with pytest.raises(ValueError, match="Cannot adapt layer .* after setting a static "
                                         "vocabulary"):
        StringLookup(vocabulary=VOCAB).adapt(DATA)
    with pytest.raises(RuntimeError, match="you must set the layer's vocabulary before "
                                           "calling it"):
        StringLookup(output_mode="multi_hot")(np.array(["a"]))
    with pytest.raises(RuntimeError, match="`idf_weights` must be provided"):
        StringLookup(output_mode="tf_idf", max_tokens=5, pad_to_max_tokens=True)(DATA)
    layer = StringLookup(output_mode="count")
    layer.adapt(DATA)
    layer(DATA)
    with pytest.raises(RuntimeError, match="the vocabulary size cannot be changed after the "
                                           "layer is called. Old vocab size is 7, new vocab "
                                           "size is 3"):
        layer.adapt(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="Only `vocabulary_dtype='int64'` is supported"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="`oov_method` must be one of"):
        IntegerLookup(oov_method="md5")
    with pytest.raises(ValueError, match="adapt: received empty data"):
        StringLookup().adapt([])
    with pytest.raises(TypeError, match="expected batches of inputs only"):
        StringLookup().adapt(Dataset.from_tensor_slices((np.array(["a"]), np.array([1]))))
    with pytest.raises(ValueError, match="`steps` must be None or a positive integer"):
        StringLookup().adapt(DATA, steps=0)
