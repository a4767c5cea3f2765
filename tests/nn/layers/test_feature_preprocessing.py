"""Normalization, Discretization and CategoryEncoding against Keras 3.15.

The expected numbers marked "Keras" are what ``keras.layers.<Layer>`` returned on the same
input (TensorFlow 2.21 backend for ``adapt``, which needs it), made by::

    rng = np.random.default_rng(0); big = rng.normal(size=(1000, 3)).astype("float32")
    n = keras.layers.Normalization(); n.adapt(big)          # n.mean, n.variance
    d = keras.layers.Discretization(num_bins=5); d.adapt(big)   # d.bin_boundaries
    d.adapt(tf.data.Dataset.from_tensor_slices(big).batch(64))  # the same from batches
"""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras
from glassnet.data import Dataset
from glassnet.keras.layers import CategoryEncoding, Discretization, Normalization

BIG = np.random.default_rng(0).normal(size=(1000, 3)).astype("float32")
KERAS_MEAN = [-0.1015424, 0.02842527, -0.02879618]  # Keras, Normalization().adapt(BIG)
KERAS_VARIANCE = [0.9816042, 0.93190545, 1.0429324]
KERAS_BINS = [-0.8735690712928772, -0.31480085849761963, 0.22266411781311035,
              0.8061389327049255]  # Keras, Discretization(num_bins=5).adapt(BIG)
KERAS_BINS_BATCHED = [-0.8202190399169922, -0.2548691928386688, 0.2721022069454193,
                      0.8707184791564941]  # the same from a dataset batched by 64


def check_data_layer(layer, x):
    """What check_layer checks where it applies to a layer with integer data: output shape
    equal to compute_output_shape (known and unknown batch), config round trip giving the
    same config and outputs."""
    out = layer(x).numpy()
    assert tuple(layer.compute_output_shape(np.shape(x))) == out.shape
    if np.ndim(x) > 1:
        assert tuple(layer.compute_output_shape((None, *np.shape(x)[1:]))) == \
            (None, *out.shape[1:])
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    np.testing.assert_array_equal(clone(x).numpy(), out)
    return out


# -- Normalization -------------------------------------------------------------------------

def test_normalization_conformance_against_torch():
    def make():
        layer = Normalization()
        layer.adapt(BIG[:, :3] * [1, 10, 0.1] + [0, -3, 7])
        return layer

    layer = make()
    mean, std = layer.adapt_mean.numpy(), np.sqrt(layer.adapt_variance.numpy())
    check_layer(make, (4, 3), expected_params=7,  # mean, variance, count: Keras's count too
                torch_module=lambda x: (x - torch.tensor(mean)) / torch.tensor(std))
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == []


def test_normalization_matches_keras_examples():
    layer = Normalization(axis=None)
    layer.adapt(np.array([1.0, 2, 3, 4, 5], "float32"))
    np.testing.assert_allclose(layer(np.array([1.0, 2, 3], "float32")).numpy(),
                               [-1.4142135, -0.70710677, 0.0], rtol=1e-6)
    data = np.array([[0.0, 7, 4], [2, 9, 6], [0, 7, 4], [2, 9, 6]], "float32")
    layer = Normalization(axis=-1)
    assert layer.mean is None
    layer.adapt(data)
    np.testing.assert_allclose(layer(data[:1]).numpy(), [[-1, -1, -1]], rtol=1e-6)
    # Keras's layer.mean / layer.variance: the statistics in the inputs' broadcast shape
    assert layer.mean.numpy().tolist() == [[1, 8, 5]]
    assert layer.variance.numpy().tolist() == [[1, 1, 1]]
    inverse = Normalization(axis=-1, invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(inverse(np.array([[1.0, 2, 3]], "float32")).numpy(),
                               [[2, 10, 8]], rtol=1e-6)
    given = Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(given(np.array([[1.0], [2], [3]], "float32")).numpy(),
                               [[-1.4142135], [-0.70710677], [0]], rtol=1e-6)
    assert given.weights == []


def test_normalization_invert_undoes_normalize():
    forward, back = Normalization(), Normalization(invert=True)
    forward.adapt(BIG * 5 + 2)
    back.adapt(BIG * 5 + 2)
    x = BIG[:10] * 3
    np.testing.assert_allclose(back(forward(x)).numpy(), x, rtol=1e-5, atol=1e-5)


def test_adapt_statistics_equal_keras_for_arrays_datasets_and_batches():
    for data in (BIG, Dataset.from_tensor_slices(BIG).batch(64),
                 Dataset.from_tensor_slices(BIG),  # unbatched vectors: batched by 128
                 Dataset.from_tensor_slices((BIG, np.zeros(1000))).batch(100),
                 [BIG[:300], BIG[300:]], (b for b in np.array_split(BIG, 7))):
        layer = Normalization()
        layer.adapt(data)
        np.testing.assert_allclose(layer.adapt_mean.numpy(), KERAS_MEAN, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(layer.adapt_variance.numpy(), KERAS_VARIANCE, rtol=2e-6)
    layer = Normalization()
    layer.adapt(BIG, batch_size=30, steps=2)  # Keras 2's arguments: the first 60 rows
    np.testing.assert_allclose(layer.adapt_mean.numpy(), BIG[:60].mean(0), rtol=1e-5)


def test_batched_variance_is_stable_far_from_zero():
    # float32 data at 1e4 with spread 1e-2: E[x^2] - E[x]^2 would lose every digit
    rng = np.random.default_rng(1)
    data = (1e4 + 1e-2 * rng.standard_normal((4096, 2))).astype("float32")
    layer = Normalization()
    layer.adapt(Dataset.from_tensor_slices(data).batch(100))
    exact = data.astype(np.float64).var(axis=0)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), exact, rtol=1e-4)


def test_normalization_axes_and_given_statistics_broadcast():
    x = np.random.default_rng(2).normal(size=(6, 4, 5)).astype("float32")
    layer = Normalization(axis=(1, 2))
    layer.adapt(x)
    assert layer.adapt_mean.shape == (4, 5)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x.mean(0), rtol=1e-5, atol=1e-6)
    scalar = Normalization(axis=None)
    scalar.adapt(x)
    assert scalar.adapt_mean.shape == ()
    np.testing.assert_allclose(scalar.adapt_variance.numpy(), x.var(), rtol=1e-5)
    given = Normalization(axis=(1, 2), mean=[1.0, 2, 3, 4, 5], variance=[4.0] * 5)
    out = given(x).numpy()  # the mean's axis aligns with the last kept axis
    np.testing.assert_allclose(out, (x - np.arange(1, 6)) / 2, rtol=1e-6)
    check_layer(lambda: Normalization(axis=1, mean=[1.0, 2, 3], variance=[1.0, 4, 9]),
                (2, 3, 2), expected_params=0, torch_module=lambda t: (
                    t - torch.tensor([1.0, 2, 3])[:, None]) / torch.tensor([1.0, 2, 3])[:, None])


def test_normalization_config():
    layer = Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[3.0, 4.0], invert=True)
    config = layer.get_config()
    assert {k: config[k] for k in ("axis", "invert", "mean", "variance")} == {
        "axis": (1, 2), "invert": True, "mean": [1.0, 2.0], "variance": [3.0, 4.0]}
    assert Normalization(axis=None).get_config()["axis"] == ()
    assert Normalization().get_config()["axis"] == (-1,)
    for saved in (config, Normalization(axis=None, mean=2.0, variance=1.0).get_config()):
        assert Normalization.from_config(saved).get_config() == saved


def test_normalization_errors_name_the_argument():
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"same shape. Received: mean shape \(2,\)"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match=r"rank of `mean` must be less than or equal"):
        Normalization(mean=[[1.0]], variance=[[1.0]])
    with pytest.raises(ValueError, match="non-negative"):
        Normalization(mean=0.0, variance=-1.0)
    with pytest.raises(ValueError, match=r"`axis` values must be in the range"):
        Normalization(axis=3)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="must have a known shape"):
        Normalization().build((None, None))
    with pytest.raises(ValueError, match=r"cannot be broadcast.*expected sizes \(3,\)"):
        Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(np.ones((2, 3), "float32"))
    layer = Normalization()
    layer.adapt(BIG)
    with pytest.raises(ValueError, match=r"built for inputs of shape .*received input of shape "
                                         r"\(2, 4\)"):
        layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"incompatible shape, data.shape=\(5, 2\)"):
        layer.adapt(np.ones((5, 2), "float32"))
    with pytest.raises(ValueError, match="cannot adapt a layer constructed with `mean`"):
        Normalization(mean=0.0, variance=1.0).adapt(BIG)
    with pytest.raises(ValueError, match="empty data"):
        Normalization().adapt(np.zeros((0, 3), "float32"))
    with pytest.raises(ValueError, match="received no data"):
        Normalization().adapt([])
    with pytest.raises(ValueError, match="NaN or infinite"):
        Normalization().adapt(np.array([[1.0, np.nan]], "float32"))
    with pytest.raises(TypeError, match="numeric batches"):
        Normalization().adapt([np.array([["a", "b"]])])
    with pytest.raises(TypeError, match="iterable of batches; received int"):
        Normalization().adapt(3)
    with pytest.raises(ValueError, match="`steps` must be None or a positive integer"):
        Normalization().adapt(BIG, steps=0)


def test_adapted_normalization_trains_and_saves_its_statistics(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(128, 3)) * [1, 10, 100] + [0, 5, -50]).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    norm = Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input((3,)), norm, keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy")
    losses = model.fit(x, y, epochs=5, batch_size=32, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.layers[0].adapt_mean.numpy(), norm.adapt_mean.numpy())
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


# -- Discretization ------------------------------------------------------------------------

X = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])


def test_discretization_matches_keras_examples_and_quantiles():
    layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = check_data_layer(layer, X)
    assert out.dtype == np.int32 and out.tolist() == [[0, 2, 3, 1], [1, 3, 2, 1]]
    layer = Discretization(num_bins=4, epsilon=0.01)
    layer.adapt(X)
    assert layer.bin_boundaries == [0.0, 0.5, 1.2999999523162842]  # Keras
    assert check_data_layer(layer, X).tolist() == [[0, 2, 3, 2], [1, 3, 3, 1]]
    layer = Discretization(num_bins=5)
    layer.adapt(BIG)
    np.testing.assert_allclose(layer.bin_boundaries, KERAS_BINS, rtol=1e-7)
    layer.adapt(Dataset.from_tensor_slices(BIG).batch(64))
    np.testing.assert_allclose(layer.bin_boundaries, KERAS_BINS_BATCHED, rtol=1e-7)
    counts = np.bincount(layer(BIG).numpy().ravel(), minlength=5)
    assert counts.min() > 0.15 * BIG.size  # five bins of about equal mass


def test_discretization_output_modes():
    layer = Discretization(bin_boundaries=[0.0, 1.0], output_mode="count")
    out = check_data_layer(layer, X)
    assert out.dtype == np.float32 and out.tolist() == [[1, 1, 2], [0, 2, 2]]  # Keras
    one_hot = Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
    assert check_data_layer(one_hot, np.array([0.5, 2])).tolist() == [[0, 1, 0], [0, 0, 1]]
    assert check_data_layer(one_hot, np.array([[0.5], [-1]])).shape == (2, 3)
    multi = Discretization(bin_boundaries=[0.0, 1.0], output_mode="multi_hot")
    assert check_data_layer(multi, np.array([0.5, 2])).tolist() == [0, 1, 1]
    assert check_data_layer(multi, X).tolist() == [[1, 1, 1], [0, 1, 1]]


def test_keras_2_argument_names():
    assert Discretization(bins=3).num_bins == 3
    assert Discretization(bins=[0.0, 1.0]).bin_boundaries == [0.0, 1.0]
    assert CategoryEncoding(max_tokens=3).get_config()["num_tokens"] == 3
    with pytest.raises(ValueError, match="`num_tokens` and its old name `max_tokens` disagree"):
        CategoryEncoding(4, max_tokens=3)


def test_adapted_discretization_config_keeps_boundaries():
    layer = Discretization(num_bins=4)
    layer.adapt(X)
    config = layer.get_config()
    assert config["bin_boundaries"] == layer.bin_boundaries and config["num_bins"] == 4
    clone = Discretization.from_config(config)
    assert clone.bin_boundaries == layer.bin_boundaries
    np.testing.assert_array_equal(clone(X).numpy(), layer(X).numpy())


def test_discretization_errors():
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries`"):
        Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        Discretization()
    with pytest.raises(ValueError, match="greater than or equal to 0. Received: `num_bins=-1`"):
        Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="Allowed values are: .*Received: output_mode=tf_idf"):
        Discretization(num_bins=2, output_mode="tf_idf")
    with pytest.raises(ValueError, match="`sparse=True` cannot be used"):
        Discretization(num_bins=2, output_mode="count", sparse=True)
    with pytest.raises(ValueError, match="increasing order"):
        Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match=r"`epsilon` must be a number in \(0, 1\)"):
        Discretization(num_bins=2, epsilon=0)
    with pytest.raises(ValueError, match="initialized with `bin_boundaries`"):
        Discretization(bin_boundaries=[0.0]).adapt(X)
    with pytest.raises(ValueError, match="call `adapt\\(dataset\\)` before"):
        Discretization(num_bins=3)(X)
    with pytest.raises(ValueError, match="received no data"):
        Discretization(num_bins=3).adapt([])
    with pytest.raises(TypeError, match="expected numeric input"):
        Discretization(bin_boundaries=[0.0])(np.array(["a"]))


def test_discretization_one_hot_in_a_model_that_trains_and_saves(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(128, 1)).astype("float32")
    bins = Discretization(num_bins=4, output_mode="one_hot")
    bins.adapt(x)
    low, _, high = bins.bin_boundaries  # the middle bins: no linear function of x finds them
    y = ((x >= low) & (x < high)).astype("float32")
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1, "sigmoid")(bins(inputs)))
    model.compile(keras.optimizers.Adam(0.1), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0).history
    assert history["accuracy"][-1] > 0.9
    model.save(tmp_path / "d.keras")
    loaded = keras.models.load_model(tmp_path / "d.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- CategoryEncoding ----------------------------------------------------------------------

def test_category_encoding_matches_keras():
    out = check_data_layer(CategoryEncoding(4), np.array([[0, 1], [3, 3]]))
    assert out.dtype == np.float32 and out.tolist() == [[1, 1, 0, 0], [0, 0, 0, 1]]
    count = CategoryEncoding(4, output_mode="count")
    weighted = count(np.array([[0, 1, 1], [3, 3, 2]]),
                     count_weights=np.array([[0.1, 0.2, 0.3], [1, 2, 3]])).numpy()
    np.testing.assert_allclose(weighted, [[0.1, 0.5, 0, 0], [0, 0, 3, 3]], rtol=1e-6)
    assert check_data_layer(count, np.array([1, 1, 2])).tolist() == [0, 2, 1, 0]
    one_hot = CategoryEncoding(4, output_mode="one_hot")
    assert check_data_layer(one_hot, np.array([1, 2, 3])).tolist() == \
        [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert check_data_layer(one_hot, np.array([[1], [2]])).shape == (2, 4)
    assert check_data_layer(CategoryEncoding(4, "binary"), np.array([1, 2, 3])).tolist() == \
        [0, 1, 1, 1]
    assert check_data_layer(CategoryEncoding(4), np.array([[[1, 2], [0, 0]]])).shape == (1, 2, 4)
    assert CategoryEncoding(4).get_config()["num_tokens"] == 4
    # whole-number floats (a model's inputs are cast to float32) are ids too
    assert CategoryEncoding(3)(np.array([[2.0, 0.0]], "float32")).numpy().tolist() == [[1, 0, 1]]


def test_category_encoding_errors():
    layer = CategoryEncoding(4)
    with pytest.raises(ValueError, match=r"0 <= values < num_tokens with num_tokens=4. "
                                         r"Received out-of-range values \[-1, 5\]"):
        layer(np.array([[0, 5, -1]]))
    with pytest.raises(ValueError, match="`count_weights` is not used when `output_mode`"):
        layer(np.array([[0]]), count_weights=np.array([[1.0]]))
    with pytest.raises(ValueError, match=r"shape of the inputs \(1, 2\); received shape \(2,\)"):
        CategoryEncoding(4, "count")(np.array([[0, 1]]), count_weights=np.array([1.0, 2]))
    with pytest.raises(ValueError, match="num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="`num_tokens` must be >= 1. Received: num_tokens=0"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match="Unknown arg for output_mode: 'int'"):
        CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match="not whole numbers"):
        layer(np.array([[0.5]], "float32"))
    with pytest.raises(TypeError, match="expected numeric input"):
        layer(np.array([["a"]]))
    huge = CategoryEncoding.from_config({**layer.get_config(), "num_tokens": 10**12})
    with pytest.raises(ValueError, match="of depth 1000000000000 would make 2000000000000 "
                                         "elements, more than the 268435456 allowed"):
        huge(np.array([[0, 1], [2, 3]]))  # refused before allocating


def test_category_encoding_in_a_model_that_trains_and_saves(tmp_path):
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 5, size=(128, 3))
    y = (ids == 2).any(axis=1, keepdims=True).astype("float32")
    inputs = keras.Input((3,), dtype="int64")
    encoded = CategoryEncoding(5, output_mode="multi_hot")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, "sigmoid")(encoded))
    model.compile(keras.optimizers.Adam(0.1), "binary_crossentropy", metrics=["accuracy"])
    assert model.fit(ids, y, epochs=20, verbose=0).history["accuracy"][-1] > 0.95
    model.save(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras")
    np.testing.assert_allclose(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))
