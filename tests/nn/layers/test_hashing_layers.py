"""Hashing and HashedCrossing: the bins are TensorFlow's.

Every expected bin below was recorded from TensorFlow 2.21 / Keras 3.15
(``/work/tfref/bin/python``) on the same input, e.g.::

    keras.layers.Hashing(num_bins=1000)(np.array(STRINGS)).numpy().tolist()
    keras.layers.Hashing(num_bins=1000, salt=[133, 137])(np.array(STRINGS))
    keras.layers.HashedCrossing(num_bins=1000)((np.array([-1, 7, 2**40]), ...))
"""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras.layers import HashedCrossing, Hashing
from glassnet.nn.layers.hash_functions import siphash24

# lengths 0, 1, 5, 11, 20, 40 and 100 bytes (each of FarmHash's length cases) and non-ASCII
STRINGS = ["A", "B", "C", "D", "E", "", "hello world", "x" * 20, "y" * 40, "z" * 100, "héllo"]
TF_FAST = [564, 528, 7, 295, 12, 263, 11, 348, 6, 73, 151]  # TF, Hashing(1000)
TF_SALTED = [24, 70, 727, 842, 134, 900, 296, 71, 796, 653, 503]  # TF, salt=[133, 137]


def check_data_layer(layer, x):
    """Output shape equal to compute_output_shape (known and unknown batch), no weights,
    config round trip giving the same config and outputs."""
    out = layer(x).numpy()
    shape = np.shape(x) if not isinstance(x, tuple) else [np.shape(v) for v in x]
    assert tuple(layer.compute_output_shape(shape)) == out.shape
    assert layer.weights == []
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    np.testing.assert_array_equal(clone(x).numpy(), out)
    return out


def test_siphash_reference_vector():
    # the SipHash paper's test vector: key 00..0f, message 00..0e
    key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5


def test_string_bins_equal_tensorflow():
    out = check_data_layer(Hashing(num_bins=1000), np.array(STRINGS))
    assert out.dtype == np.int64 and out.tolist() == TF_FAST
    assert Hashing(num_bins=1000)(STRINGS).numpy().tolist() == TF_FAST  # a list is one input
    assert Hashing(1000)(np.array([s.encode() for s in STRINGS])).numpy().tolist() == TF_FAST
    layer = Hashing(num_bins=3)
    assert layer([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy().ravel().tolist() == \
        [1, 0, 1, 1, 2]  # Keras docstring


def test_salted_bins_equal_tensorflow():
    assert Hashing(num_bins=1000, salt=[133, 137])(np.array(STRINGS)).numpy().tolist() == \
        TF_SALTED
    layer = Hashing(num_bins=3, salt=133)
    assert layer.get_config()["salt"] == [133, 133]
    assert layer([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy().ravel().tolist() == \
        [0, 0, 2, 1, 0]  # TF


def test_mask_value_takes_bin_zero():
    layer = Hashing(num_bins=3, mask_value="")
    out = check_data_layer(layer, np.array([["A"], ["B"], [""], ["C"], ["D"]]))
    assert out.ravel().tolist() == [1, 1, 0, 2, 2]  # TF
    ints = np.array([0, 1, 22, -5, 123456789012])
    assert Hashing(num_bins=1000, mask_value=22)(ints).numpy().tolist() == \
        [20, 766, 0, 829, 448]  # TF


def test_integers_hash_their_decimal_digits_and_floats_their_integer_part():
    ints = np.array([0, 1, 22, -5, 123456789012])
    assert Hashing(num_bins=1000)(ints).numpy().tolist() == [735, 849, 940, 816, 427]  # TF
    assert Hashing(num_bins=1000)(ints.astype(np.int32)[:4]).numpy().tolist() == \
        [735, 849, 940, 816]
    assert Hashing(num_bins=1000)(np.array([1.7, -2.2, 22.0])).numpy().tolist() == \
        [849, 205, 940]  # TF
    assert Hashing(num_bins=1000)(np.array(["22"])).numpy().tolist() == [940]


def test_hashing_output_modes_equal_tensorflow():
    rows = np.array([["A", "B", "C"], ["D", "D", "E"]])
    one_hot = check_data_layer(Hashing(num_bins=4, output_mode="one_hot"),
                               np.array([["A"], ["B"]]))
    assert one_hot.dtype == np.float32 and one_hot.tolist() == [[1, 0, 0, 0], [1, 0, 0, 0]]
    assert check_data_layer(Hashing(4, output_mode="multi_hot"), rows).tolist() == \
        [[1, 0, 0, 1], [1, 0, 0, 1]]
    assert check_data_layer(Hashing(4, output_mode="count"), rows).tolist() == \
        [[2, 0, 0, 1], [1, 0, 0, 2]]
    assert Hashing(4, dtype="int32")(rows).numpy().dtype == np.int32


def test_hashing_config():
    config = Hashing(num_bins=4, salt=3, mask_value="x").get_config()
    assert {k: config[k] for k in ("num_bins", "salt", "mask_value", "output_mode", "sparse",
                                   "dtype")} == {"num_bins": 4, "salt": [3, 3],
                                                 "mask_value": "x", "output_mode": "int",
                                                 "sparse": False, "dtype": "int64"}


def test_hashing_errors():
    with pytest.raises(ValueError, match="cannot be `None` or non-positive values. Received: "
                                         "num_bins=0"):
        Hashing(num_bins=0)
    with pytest.raises(ValueError, match="Expected one of .*Received: output_mode=tf_idf"):
        Hashing(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="`dtype` should be an integer type"):
        Hashing(num_bins=3, dtype="float32")
    with pytest.raises(ValueError, match="tuple of size 2 integers, or a single integer"):
        Hashing(num_bins=3, salt="pepper")
    with pytest.raises(ValueError, match="`sparse=True` cannot be used"):
        Hashing(num_bins=3, output_mode="count", sparse=True)
    with pytest.raises(ValueError, match="NaN or infinite"):
        Hashing(num_bins=3)(np.array([np.nan]))
    with pytest.raises(TypeError, match="expected strings or integers"):
        Hashing(num_bins=3)(np.array([{"a": 1}], dtype=object))


def test_hashed_crossing_bins_equal_tensorflow():
    layer = HashedCrossing(num_bins=5)
    feat1, feat2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    out = check_data_layer(layer, (feat1, feat2))
    assert out.dtype == np.int64 and out.tolist() == [1, 4, 1, 1, 3]  # Keras docstring
    wide = HashedCrossing(num_bins=1000)
    three = (np.array([-1, 7, 2**40]), np.array(["u", "v", "w"]), np.array([3, 4, 5]))
    assert wide(three).numpy().tolist() == [78, 618, 549]  # TF
    assert check_data_layer(wide, (np.array([["a"], ["b"]]), np.array([["c"], ["d"]]))
                            ).tolist() == [[566], [454]]  # TF
    one_hot = HashedCrossing(num_bins=5, output_mode="one_hot")
    out = check_data_layer(one_hot, (np.array(["A", "B"]), np.array([101, 102])))
    assert out.dtype == np.float32 and out.tolist() == [[0, 1, 0, 0, 0], [0, 1, 0, 0, 0]]  # TF
    assert HashedCrossing(5).get_config()["dtype"] == "int64"
    # a model casts integer inputs to float32: whole numbers cross as the integers they are
    floats = (np.array([-1.0, 7.0, 2.0**40]), three[1], np.array([3.0, 4.0, 5.0]))
    assert wide(floats).numpy().tolist() == [78, 618, 549]


def test_hashed_crossing_errors():
    layer = HashedCrossing(num_bins=5)
    with pytest.raises(ValueError, match="should be called on a list or tuple of inputs"):
        layer(np.array([1, 2]))
    with pytest.raises(ValueError, match="on at least two inputs"):
        layer([np.array([1, 2])])
    with pytest.raises(ValueError, match=r"should have equal shape. Received shapes "
                                         r"\[\(2,\), \(3,\)\]"):
        layer((np.array([1, 2]), np.array([1, 2, 3])))
    with pytest.raises(ValueError, match=r"shape `\(\)`, `\(batch_size\)` or `\(batch_size, 1\)`"):
        layer((np.ones((2, 2), int), np.ones((2, 2), int)))
    with pytest.raises(ValueError, match="integer or string dtype"):
        layer((np.array([1.5, 2.0]), np.array([1, 2])))
    with pytest.raises(ValueError, match="Allowed values are: \\('int', 'one_hot'\\)"):
        HashedCrossing(num_bins=5, output_mode="count")
    with pytest.raises(ValueError, match="`num_bins` must be a positive integer"):
        HashedCrossing(num_bins=None)


def test_hashing_strings_in_a_model_that_trains_and_saves(tmp_path):
    x = np.array([["cat"], ["dog"], ["fish"], ["cat"]] * 16)
    y = (x == "cat").astype("float32")
    inputs = keras.Input((1,), dtype="string")
    hashed = Hashing(num_bins=16, output_mode="one_hot")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, "sigmoid")(hashed))
    model.compile(keras.optimizers.Adam(0.1), "binary_crossentropy", metrics=["accuracy"])
    assert model.fit(x, y, epochs=10, verbose=0).history["accuracy"][-1] == 1.0
    model.save(tmp_path / "s.keras")
    loaded = keras.models.load_model(tmp_path / "s.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_hashing_and_crossing_in_a_model_that_trains_and_saves(tmp_path):
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 4, size=(256, 1)), rng.integers(0, 3, size=(256, 1))
    y = ((a == 1) & (b == 2)).astype("float32")  # a cross: neither feature alone tells
    in_a, in_b = keras.Input((1,), dtype="int64"), keras.Input((1,), dtype="int64")
    crossed = HashedCrossing(num_bins=64, output_mode="one_hot")((in_a, in_b))
    hashed = Hashing(num_bins=8, output_mode="one_hot")(in_a)
    features = keras.layers.Concatenate()([crossed, hashed])
    model = keras.Model([in_a, in_b], keras.layers.Dense(1, "sigmoid")(features))
    model.compile(keras.optimizers.Adam(0.1), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit([a, b], y, epochs=30, batch_size=64, verbose=0).history
    assert history["accuracy"][-1] == 1.0
    model.save(tmp_path / "h.keras")
    loaded = keras.models.load_model(tmp_path / "h.keras")
    np.testing.assert_allclose(loaded.predict([a, b], verbose=0),
                               model.predict([a, b], verbose=0))
