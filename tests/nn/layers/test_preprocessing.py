import numpy as np
import pytest
from helpers import check_layer

from glassnet import keras
from glassnet.data import image
from glassnet.keras import layers

RNG = np.random.default_rng(0)
BATCH = RNG.random((6, 8, 10, 3)).astype(np.float32) * 255


def test_deterministic_layers():
    check_layer(lambda: layers.Rescaling(1 / 255, offset=-0.5), (2, 4, 4, 3),
                torch_module=lambda x: x / 255 - 0.5)
    r = layers.Resizing(4, 5)
    np.testing.assert_allclose(r(BATCH).numpy(), image.resize(BATCH, (4, 5)), rtol=1e-5)
    assert r.compute_output_shape((None, 8, 10, 3)) == (None, 4, 5, 3)
    c = layers.CenterCrop(4, 6)
    np.testing.assert_array_equal(c(BATCH).numpy(), BATCH[:, 2:6, 2:8])
    with pytest.raises(ValueError, match=r"a 9x6 crop does not fit input of shape"):
        layers.CenterCrop(9, 6)(BATCH)


@pytest.mark.parametrize("make", [
    lambda: layers.RandomFlip(seed=1), lambda: layers.RandomRotation(0.1, seed=1),
    lambda: layers.RandomTranslation(0.2, 0.2, seed=1), lambda: layers.RandomZoom(0.3, seed=1),
    lambda: layers.RandomContrast(0.5, seed=1), lambda: layers.RandomBrightness(0.2, seed=1),
])
def test_random_layers_act_only_when_training_and_are_seeded(make):
    layer = make()
    np.testing.assert_array_equal(layer(BATCH, training=False).numpy(), BATCH)  # inference
    out = layer(BATCH, training=True).numpy()
    assert out.shape == BATCH.shape and not np.allclose(out, BATCH)
    np.testing.assert_array_equal(make()(BATCH, training=True).numpy(), out)
    # a plain call augments, as Keras 3's (its call's default is training=True)
    np.testing.assert_array_equal(make()(BATCH).numpy(), out)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_random_layers_do_what_they_say():
    flips = layers.RandomFlip("horizontal", seed=0)(BATCH, training=True).numpy()
    for out, x in zip(flips, BATCH):
        assert np.array_equal(out, x) or np.array_equal(out, x[:, ::-1])
    crop = layers.RandomCrop(4, 4, seed=0)
    assert crop(BATCH, training=True).shape == (6, 4, 4, 3)
    np.testing.assert_array_equal(crop(BATCH, training=False).numpy(), BATCH[:, 2:6, 3:7])
    bright = layers.RandomBrightness((0.1, 0.1))(BATCH, training=True).numpy()
    np.testing.assert_allclose(bright, np.clip(BATCH + 25.5, 0, 255), rtol=1e-6)
    flat = layers.RandomContrast((0.0, 0.0))(BATCH, training=True).numpy()
    np.testing.assert_allclose(flat, np.broadcast_to(BATCH.mean(axis=(1, 2), keepdims=True),
                                                     BATCH.shape), rtol=1e-5)


def test_augmentation_inside_a_model_through_fit():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(8, 10, 3)), layers.Rescaling(1 / 255),
        layers.RandomFlip("horizontal"), layers.RandomRotation(0.05), layers.Flatten(),
        layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(BATCH, np.arange(6) % 2, epochs=2, verbose=0)
    a, b = model.predict(BATCH, verbose=0), model.predict(BATCH, verbose=0)
    np.testing.assert_array_equal(a, b)  # inference is deterministic


def test_bad_arguments():
    with pytest.raises(ValueError, match="RandomFlip: `mode` must be one of 'horizontal'"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="low <= high"):
        layers.RandomRotation((0.2, 0.1))
    with pytest.raises(ValueError, match="greater than -1"):
        layers.RandomZoom((-1.5, 0.2))
    with pytest.raises(ValueError, match="RandomTranslation: `fill_mode` must be one of 'nearest'"):
        layers.RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"expected a positive integer for `height`"):
        layers.Resizing(0, 4)
