import numpy as np
import pytest
from nn.layers.augmentation_fixtures import IMAGES, KERAS

import glassnet as tf
from glassnet import keras
from glassnet.nn.layers import geometric_augmentation as geo  # its sampling helpers

L = keras.layers

START = np.array([[[0, 0], [5, 0], [0, 4], [5, 4]]] * 2, "float64")
END = START + START * np.array([[[0.1, -0.2], [0.05, 0.3], [-0.2, 0.1], [0.15, -0.1]],
                                [[-0.3, 0.2], [0.2, 0.1], [0.1, -0.25], [-0.1, 0.05]]])

RANDOM = [
    lambda: L.RandomShear(x_factor=0.3, y_factor=0.2, seed=1),
    lambda: L.RandomPerspective(factor=(1, 1), scale=0.5, seed=1),
    lambda: L.RandomElasticTransform(factor=(1, 1), scale=1.0, seed=1),
    lambda: L.RandomErasing(factor=(1, 1), scale=(0.3, 0.6), seed=1),
    lambda: L.RandomGaussianBlur(factor=(1, 1), kernel_size=3, sigma=0.8, seed=1),
]


def test_shear_matches_keras_either_sign():
    out = L.RandomShear(x_factor=(0.3, 0.3), y_factor=(0.2, 0.2), seed=0)(
        np.concatenate([IMAGES] * 4)).numpy()
    signs = []
    for i, image in enumerate(out):
        plus = np.allclose(image, KERAS["shear_plus"][i % 2], atol=2e-3)
        assert plus or np.allclose(image, KERAS["shear_minus"][i % 2], atol=2e-3)
        signs.append(plus)
    assert len(set(signs)) == 2
    nearest = L.RandomShear(x_factor=0.3, fill_mode="constant", fill_value=7.0,
                            interpolation="nearest")
    np.testing.assert_allclose(nearest.shear(IMAGES.astype("float64"), np.array(
        [[0.3, 0.0], [-0.3, 0.0]])), KERAS["shear_constant"], atol=2e-3)


def test_perspective_and_blur_match_keras_ops():
    out = geo.projective(IMAGES.astype("float64"), geo.homography(START, END), "bilinear",
                         "constant", 3.0)
    np.testing.assert_allclose(out, KERAS["perspective"], atol=2e-3)
    np.testing.assert_allclose(geo.blur(IMAGES.astype("float64"), (5, 5), (0.7, 1.3)),
                               KERAS["gaussian_blur"], atol=2e-3)
    layer = L.RandomGaussianBlur(factor=(1, 1), kernel_size=5, sigma=(0.7, 0.7))
    np.testing.assert_allclose(layer(IMAGES).numpy(), np.clip(geo.blur(
        IMAGES.astype("float64"), (5, 5), (0.7 + 1e-6,) * 2), 0, 255), rtol=1e-5)


def test_fill_modes_extend_the_image_as_keras_names_them():
    row = np.arange(4.0).reshape(1, 1, 4, 1)
    cols = np.arange(-3.0, 7.0)[None, None, :]
    rows = np.zeros_like(cols)
    read = {mode: geo.sample(row, rows, cols, "nearest", mode, -1.0)[0, 0, :, 0].tolist()
            for mode in ("reflect", "mirror", "wrap", "nearest", "constant")}
    assert read["reflect"] == [2, 1, 0, 0, 1, 2, 3, 3, 2, 1]
    assert read["mirror"] == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]
    assert read["wrap"] == [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]
    assert read["nearest"] == [0, 0, 0, 0, 1, 2, 3, 3, 3, 3]
    assert read["constant"] == [-1, -1, -1, 0, 1, 2, 3, -1, -1, -1]


def test_identity_cases():
    x = np.concatenate([IMAGES] * 2)
    np.testing.assert_allclose(L.RandomPerspective(scale=0.0)(x).numpy(), x, atol=1e-4)
    np.testing.assert_array_equal(L.RandomPerspective(factor=(0, 0))(x).numpy(), x)
    np.testing.assert_array_equal(L.RandomElasticTransform(scale=0.0)(x).numpy(), x)
    np.testing.assert_array_equal(L.RandomErasing(factor=(0, 0))(x).numpy(), x)
    np.testing.assert_array_equal(L.RandomShear()(x).numpy(), x)


def test_erasing_fills_the_drawn_rectangle():
    out = L.RandomErasing(factor=(1, 1), scale=(1, 1), fill_value=5)(IMAGES).numpy()
    np.testing.assert_array_equal(out, np.full_like(IMAGES, 5))
    per_channel = L.RandomErasing(factor=(1, 1), scale=(0.5, 0.5), fill_value=(1, 2, 300),
                                  seed=0)(np.zeros((4, 10, 10, 3), "float32")).numpy()
    erased = per_channel.any(axis=-1)
    assert erased.sum(axis=(1, 2)).min() >= 36  # about sqrt(0.5) of each side
    assert set(np.unique(per_channel[erased].reshape(-1, 3), axis=0).ravel()) == {1, 2, 255}
    noise = L.RandomErasing(factor=(1, 1), scale=(0.5, 0.5), value_range=(0, 1), seed=0)(
        np.full((2, 10, 10, 3), 0.5, "float32")).numpy()
    assert noise.min() >= 0 and noise.max() <= 1 and (noise != 0.5).any()


@pytest.mark.parametrize("make", RANDOM)
def test_random_layers_seeded_identity_at_inference_config(make):
    x = np.concatenate([IMAGES] * 3)
    layer = make()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    out = layer(x).numpy()
    assert out.dtype == np.float32 and out.shape == x.shape and not np.allclose(out, x)
    np.testing.assert_array_equal(make()(x).numpy(), out)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert layer(IMAGES[0]).shape == (5, 6, 3)
    first = make().__class__.from_config({**config, "data_format": "channels_first"})
    np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).numpy().transpose(0, 2, 3, 1),
                               out, rtol=1e-5, atol=1e-3)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"RandomShear: The `x_factor` argument should be a "
                                         r"number .*in the range \[0, 1\]. Received: x_factor=2"):
        L.RandomShear(x_factor=2)
    with pytest.raises(ValueError, match=r"RandomShear: Unknown `fill_mode` mirror"):
        L.RandomShear(fill_mode="mirror")
    with pytest.raises(ValueError, match=r"`scale` argument should be a number in the range"):
        L.RandomPerspective(scale=1.5)
    with pytest.raises(ValueError, match=r"Unknown `interpolation` bicubic"):
        L.RandomElasticTransform(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"`fill_value` argument should be a number \(or a "
                                         r"list of three numbers\)"):
        L.RandomErasing(fill_value=(1, 2))
    with pytest.raises(ValueError, match=r"kernel_size must be an odd number"):
        L.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match=r"`sigma` argument should be a number"):
        L.RandomGaussianBlur(sigma=3.0)


def test_in_a_model_before_conv2d_and_over_a_dataset():
    keras.utils.set_random_seed(0)
    x = np.concatenate([IMAGES] * 4)
    y = np.arange(len(x)) % 2
    model = keras.Sequential([
        keras.Input((5, 6, 3)), L.RandomShear(0.2), L.RandomPerspective(scale=0.3),
        L.RandomElasticTransform(factor=0.5, scale=0.5), L.RandomErasing(),
        L.RandomGaussianBlur(factor=0.5), keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    erase = L.RandomErasing(factor=(1, 1), scale=(1, 1), fill_value=0)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(4).map(erase)
    assert all(not np.asarray(b).any() for b in ds)
