import numpy as np
import pytest
from PIL import Image

from glassnet import keras
from glassnet.keras.preprocessing.image import (
    ImageDataGenerator,
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)

RNG = np.random.default_rng(0)


@pytest.fixture
def image_folder(tmp_path):
    """Three classes of small images, PNG and JPEG, grayscale and RGB, plus junk."""
    for k, name in enumerate(["cats", "dogs", "owls"]):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(4):
            pixels = np.full((10, 12, 3), 40 * k + i, np.uint8)
            fmt, mode = ("PNG", "RGB") if i % 2 else ("JPEG", "L")
            img = Image.fromarray(pixels).convert(mode)
            img.save(folder / f"img{i}.{'png' if fmt == 'PNG' else 'jpg'}", fmt)
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    (tmp_path / "dogs" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return tmp_path


def test_seeded_augmentation_is_reproducible():
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, height_shift_range=2,
                             shear_range=10, zoom_range=0.2, horizontal_flip=True,
                             channel_shift_range=0.1, brightness_range=(0.8, 1.2))
    x = RNG.random((8, 12, 12, 3))
    a, b = gen.random_transform(x, seed=3), gen.random_transform(x, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, gen.random_transform(x, seed=4))
    f1 = [gen.flow(x, np.arange(8), batch_size=4, seed=7)[i] for i in range(2)]
    f2 = [gen.flow(x, np.arange(8), batch_size=4, seed=7)[i] for i in range(2)]
    for (x1, y1), (x2, y2) in zip(f1, f2):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)


def test_flips_and_standardization_follow_keras():
    x = RNG.random((1, 5, 6, 1))
    flipped = ImageDataGenerator(horizontal_flip=True).apply_transform(x, {
        "theta": [0], "tx": [0], "ty": [0], "shear": [0], "zx": [1], "zy": [1],
        "flip_horizontal": np.array([True]), "flip_vertical": np.array([False]),
        "channel_shift_intensity": [0], "brightness": np.array([1.0])})
    np.testing.assert_allclose(flipped, x[:, :, ::-1])
    data = RNG.normal(5, 2, (20, 4, 4, 3))
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True,
                             rescale=0.5).fit(data * 0.5)
    out = gen.standardize(data)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    zca = ImageDataGenerator(zca_whitening=True).fit(data)
    white = zca.standardize(data - data.mean(axis=0)).reshape(20, -1)
    assert white.shape == (20, 48)
    samplewise = ImageDataGenerator(samplewise_center=True).standardize(data)
    np.testing.assert_allclose(samplewise.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    with pytest.raises(ValueError, match="need fit"):
        ImageDataGenerator(featurewise_center=True).standardize(data)


def test_flow_subsets_take_the_first_fraction_for_validation():
    gen = ImageDataGenerator(validation_split=0.25)
    x, y = RNG.random((8, 4, 4, 1)), np.arange(8)
    val = gen.flow(x, y, batch_size=8, shuffle=False, subset="validation")
    train = gen.flow(x, y, batch_size=8, shuffle=False, subset="training")
    assert val[0][1].tolist() == [0, 1] and train[0][1].tolist() == [2, 3, 4, 5, 6, 7]


@pytest.mark.filterwarnings("ignore:skipping")  # the first scan asserts the warning
def test_flow_from_directory_reads_png_and_jpeg_in_keras_class_order(image_folder):
    gen = ImageDataGenerator(rescale=1 / 255)
    with pytest.warns(UserWarning) as caught:
        it = gen.flow_from_directory(image_folder, target_size=(8, 8), batch_size=5,
                                     shuffle=False)
    messages = " | ".join(str(w.message) for w in caught)
    assert "notes.txt: not an image file" in messages
    assert "broken.png: not a readable image" in messages
    assert it.class_indices == {"cats": 0, "dogs": 1, "owls": 2} and it.samples == 12
    xb, yb = it[0]
    assert xb.shape == (5, 8, 8, 3) and yb.shape == (5, 3) and xb.max() <= 1.0
    np.testing.assert_array_equal(yb.argmax(1), [0, 0, 0, 0, 1])
    gray, labels = ImageDataGenerator().flow_from_directory(
        image_folder, target_size=(10, 12), color_mode="grayscale", class_mode="sparse",
        batch_size=12, shuffle=False)[0]
    assert gray.shape == (12, 10, 12, 1) and labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    np.testing.assert_allclose(gray[4:8].mean(axis=(1, 2, 3)), [40, 41, 42, 43], atol=2)
    val = ImageDataGenerator(validation_split=0.5).flow_from_directory(
        image_folder, target_size=(8, 8), subset="validation", class_mode="binary",
        classes=["cats", "dogs"], shuffle=False)
    assert val.samples == 4 and val[0][1].tolist() == [0, 0, 1, 1]
    ds = keras.utils.image_dataset_from_directory(image_folder, image_size=(6, 6),
                                                  batch_size=4, shuffle=False)
    assert ds.class_names == ["cats", "dogs", "owls"] and ds[0][0].shape == (4, 6, 6, 3)


def test_generator_fed_fit_equals_array_fed_fit_without_augmentation():
    x, y = RNG.random((48, 6, 6, 1)).astype(np.float32), np.arange(48) % 3

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu",
                                                  input_shape=(6, 6, 1)),
                              keras.layers.Flatten(), keras.layers.Dense(3)])
        m.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    a, b = model(), model()
    a.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    b.fit(ImageDataGenerator().flow(x, y, batch_size=16, shuffle=False), epochs=2, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


def test_a_cnn_trains_on_augmented_batches():
    keras.utils.set_random_seed(1)
    x = np.zeros((96, 12, 12, 1), np.float32)
    y = np.arange(96) % 2
    x[y == 0, 2:10, 5:7] = 1.0   # vertical bars
    x[y == 1, 5:7, 2:10] = 1.0   # horizontal bars
    gen = ImageDataGenerator(width_shift_range=2, height_shift_range=2, zoom_range=0.1)
    model = keras.Sequential([keras.layers.Conv2D(8, 3, activation="relu",
                                                  input_shape=(12, 12, 1)),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(gen.flow(x, y, batch_size=16, seed=0), epochs=8, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.95


def test_pillow_helpers_round_trip(tmp_path):
    x = RNG.integers(0, 256, (7, 9, 3)).astype(np.float32)
    save_img(tmp_path / "a.png", x, scale=False)
    back = img_to_array(load_img(tmp_path / "a.png"))
    np.testing.assert_array_equal(back, x)
    assert img_to_array(load_img(tmp_path / "a.png", color_mode="grayscale")).shape == (7, 9, 1)
    assert load_img(tmp_path / "a.png", target_size=(3, 4)).size == (4, 3)
    scaled = np.asarray(array_to_img(x / 255.0))  # scale=True maps the range onto 0..255
    assert scaled.min() == 0 and scaled.max() == 255


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="rotation_range must be a non-negative number"):
        ImageDataGenerator(rotation_range=-5)
    for bad in (1.5, [0.0, 1.0], [1.2, 0.8]):
        with pytest.raises(ValueError, match="zoom_range must be"):
            ImageDataGenerator(zoom_range=bad)
    with pytest.raises(ValueError, match="has no class subfolders"):
        ImageDataGenerator().flow_from_directory(tmp_path)
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, height, width, "
                                         r"channels\); received \(4, 4\)"):
        ImageDataGenerator().flow(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="x has 4 samples but y has 3"):
        ImageDataGenerator().flow(np.zeros((4, 2, 2, 1)), np.zeros(3))


def test_flow_is_an_endless_iterator_as_in_keras():
    x, y = RNG.random((5, 4, 4, 1)), np.arange(5)
    it = ImageDataGenerator().flow(x, y, batch_size=2, shuffle=False)
    assert iter(it) is it
    sizes = [len(next(it)[1]) for _ in range(7)]  # 2 + 2 + 1, then the next pass
    assert sizes == [2, 2, 1, 2, 2, 1, 2]
    seen = []
    for _batch_x, batch_y in it:  # the Keras guide's loop, ended by a break
        seen.extend(batch_y.tolist())
        if len(seen) >= 5:
            break
    assert seen == [2, 3, 4, 0, 1]  # carries on from where next() stopped


@pytest.mark.filterwarnings("ignore:skipping")
def test_next_on_flow_from_directory(image_folder):
    it = ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        image_folder, target_size=(8, 8), batch_size=3, class_mode="sparse")
    x_batch, y_batch = next(it)
    assert x_batch.shape[1:] == (8, 8, 3) and len(x_batch) == len(y_batch) <= 3


def test_load_img_keeps_the_aspect_ratio_by_cropping_the_centre(tmp_path):
    from glassnet.keras.preprocessing.image import img_to_array, load_img

    pixels = np.zeros((10, 40, 3), np.uint8)
    pixels[:, 15:25] = 255  # a bright square in the middle of a wide image
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    kept = img_to_array(load_img(tmp_path / "wide.png", target_size=(5, 5),
                                 keep_aspect_ratio=True))
    squashed = img_to_array(load_img(tmp_path / "wide.png", target_size=(5, 5)))
    assert kept.min() == 255 and squashed.mean() < 128
    with pytest.raises(ValueError, match="interpolation must be one of"):
        load_img(tmp_path / "wide.png", target_size=(5, 5), interpolation="cubic")
