import numpy as np
import pytest
from nn.layers.augmentation_fixtures import IMAGES, KERAS

import glassnet as tf
from glassnet import keras

# Public spelling once exported: keras.layers.<Name>; the defining module meanwhile.
L = keras.layers

PINNED = {  # Keras 3.15's outputs for these pinned draws (fixtures/augmentation_reference.json)
    "grayscale": lambda: L.RandomGrayscale(factor=1.0),
    "invert": lambda: L.RandomInvert(factor=(1, 1)),
    "solarization": lambda: L.Solarization(value_range=(0, 255)),
    "posterization": lambda: L.RandomPosterization(factor=(3, 3)),
    "auto_contrast": lambda: L.AutoContrast(),
    "equalization": lambda: L.Equalization(),
    "saturation_low": lambda: L.RandomSaturation(factor=(0.3, 0.3)),
    "saturation_high": lambda: L.RandomSaturation(factor=(0.8, 0.8)),
    "degeneration": lambda: L.RandomColorDegeneration(factor=(0.6, 0.6)),
    "sharpness_high": lambda: L.RandomSharpness(factor=(0.9, 0.9)),
    "sharpness_low": lambda: L.RandomSharpness(factor=(0.2, 0.2)),
    "jitter": lambda: L.RandomColorJitter(brightness_factor=(0.1, 0.1),
                                          saturation_factor=(0.3, 0.3)),
}

RANDOM = [
    lambda: L.RandomGrayscale(seed=1), lambda: L.RandomInvert(seed=1),
    lambda: L.Solarization(addition_factor=0.3, threshold_factor=0.6, seed=1),
    lambda: L.RandomPosterization(factor=5, seed=1), lambda: L.Equalization(bins=64),
    lambda: L.RandomHue(0.5, seed=1), lambda: L.RandomSaturation(0.4, seed=1),
    lambda: L.RandomColorDegeneration(0.8, seed=1), lambda: L.RandomSharpness(0.8, seed=1),
    lambda: L.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.5,
                                saturation_factor=0.5, hue_factor=0.3, seed=1),
]


@pytest.mark.parametrize("key", sorted(PINNED))
def test_matches_keras_with_pinned_draws(key):
    out = PINNED[key]()(IMAGES)  # a plain call augments, as in Keras 3
    assert out.dtype == np.float32 and out.shape == IMAGES.shape
    np.testing.assert_allclose(out.numpy(), KERAS[key], atol=2e-3, rtol=1e-5)


def test_hue_turns_by_plus_or_minus_half_the_factor():
    out = L.RandomHue(factor=(0.4, 0.4), seed=3)(np.concatenate([IMAGES] * 4)).numpy()
    signs = []
    for i, image in enumerate(out):
        plus = np.allclose(image, KERAS["hue_plus"][i % 2], atol=2e-3)
        minus = np.allclose(image, KERAS["hue_minus"][i % 2], atol=2e-3)
        assert plus or minus
        signs.append(plus)
    assert len(set(signs)) == 2  # both directions are drawn


def test_solarization_threshold_and_addition():
    x = np.linspace(0, 255, 2 * 4 * 4 * 3).reshape(2, 4, 4, 3).astype("float32")
    out = L.Solarization(threshold_factor=(0.5, 0.5), seed=0)(x).numpy()
    # thresholds are drawn in [0.5, 127.5] (Keras scales only the upper end by 255)
    np.testing.assert_allclose(out[x < 0.5], x[x < 0.5])
    np.testing.assert_allclose(out[x >= 127.5], 255 - x[x >= 127.5], rtol=1e-6)
    scaled = L.Solarization(value_range=(0, 1))(x / 255).numpy()
    np.testing.assert_allclose(scaled, 1 - x / 255, atol=1e-6)


def test_grayscale_probability_and_posterization_levels():
    batch = np.concatenate([IMAGES] * 20)
    out = L.RandomGrayscale(factor=0.5, seed=0)(batch).numpy()
    gray = np.ptp(out, axis=-1).max(axis=(1, 2)) == 0
    assert 0.2 < gray.mean() < 0.8
    levels = L.RandomPosterization(factor=(2, 2), value_range=(0, 1))(IMAGES / 255).numpy()
    assert set(np.unique(np.round(levels * 255))) <= {0, 64, 128, 192}


def test_auto_contrast_stretches_and_keeps_flat_channels():
    x = np.full((1, 4, 4, 3), 50.0, "float32")
    x[0, 0, 0, 0], x[0, 1, 1, 0] = 10.0, 90.0
    out = L.AutoContrast()(x, training=False).numpy()  # active at inference too
    assert out[..., 0].min() == 0 and out[..., 0].max() == 255
    np.testing.assert_array_equal(out[..., 1:], x[..., 1:])


@pytest.mark.parametrize("make", RANDOM)
def test_random_layers_seeded_identity_at_inference_config(make):
    layer = make()
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    out = layer(np.concatenate([IMAGES] * 3), training=True).numpy()
    assert out.dtype == np.float32 and out.shape == (6, 5, 6, 3)
    again = make()(np.concatenate([IMAGES] * 3), training=True).numpy()
    np.testing.assert_array_equal(again, out)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert layer(IMAGES[0]).shape == (5, 6, 3)  # one image, unbatched


def test_channels_first_is_the_transposed_channels_last():
    last = L.RandomSharpness((0.1, 0.1))(IMAGES).numpy()
    first = L.RandomSharpness((0.1, 0.1), data_format="channels_first")(
        IMAGES.transpose(0, 3, 1, 2)).numpy()
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, rtol=1e-6)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"RandomGrayscale: `factor` should be between 0 and 1. "
                                         r"Received: factor=1.5"):
        L.RandomGrayscale(1.5)
    with pytest.raises(ValueError, match=r"RandomHue: The `factor` argument should be a number "
                                         r"\(or a list of two numbers\) in the range \[0, 1\]"):
        L.RandomHue(2.0)
    with pytest.raises(ValueError, match=r"in the range \[1, 8\]. Received: factor=9"):
        L.RandomPosterization(9)
    with pytest.raises(ValueError, match=r"`value_range` argument should be a list of two"):
        L.AutoContrast(value_range=5)
    with pytest.raises(ValueError, match=r"Solarization: The `addition_factor` and "
                                         r"`threshold_factor`.*Received: addition_factor=2"):
        L.Solarization(addition_factor=2)
    with pytest.raises(ValueError, match=r"expected a positive integer for `bins`"):
        L.Equalization(bins=0)
    with pytest.raises(ValueError, match=r"`data_format` must be one of"):
        L.RandomInvert(data_format="nhwc")
    with pytest.raises(ValueError, match=r"expected RGB images with 3 channels.*\(2, 5, 6, 4\)"):
        L.RandomSaturation(0.5)(np.zeros((2, 5, 6, 4), "float32"))
    with pytest.raises(ValueError, match=r"received input of shape \(5, 6\)"):
        L.RandomInvert()(np.zeros((5, 6), "float32"))


def test_in_a_model_before_conv2d_and_over_a_dataset():
    keras.utils.set_random_seed(0)
    x = np.concatenate([IMAGES] * 4)
    y = np.arange(len(x)) % 2
    model = keras.Sequential([
        keras.Input((5, 6, 3)), L.RandomColorJitter(brightness_factor=0.1, hue_factor=0.1),
        L.RandomGrayscale(0.2), L.Equalization(), L.AutoContrast(),
        keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    ds = tf.data.Dataset.from_tensor_slices(x).batch(4).map(L.RandomInvert(factor=(1, 1)))
    np.testing.assert_allclose(np.concatenate([np.asarray(b) for b in ds]), 255 - x)
