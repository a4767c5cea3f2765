"""keras.utils's image helpers and to_categorical take Keras's arguments by name."""

import numpy as np
import pytest

from glassnet import keras

pytest.importorskip("PIL")


def test_image_helpers_take_data_format_as_keras(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(5, 7, 3)).astype("float32")
    first = np.moveaxis(x, -1, 0)
    keras.utils.save_img(tmp_path / "a.png", first, data_format="channels_first", scale=False)
    back = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a.png"))
    np.testing.assert_array_equal(back, x)
    chw = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a.png"),
                                   data_format="channels_first", dtype="uint8")
    assert chw.shape == (3, 5, 7) and chw.dtype == np.uint8
    image = keras.utils.array_to_img(first, data_format="channels_first", scale=False)
    assert image.size == (7, 5)
    keras.utils.save_img(tmp_path / "q.jpg", x, scale=False, quality=95)
    assert (tmp_path / "q.jpg").stat().st_size > 0
    with pytest.raises(ValueError, match="data_format"):
        keras.utils.img_to_array(keras.utils.load_img(tmp_path / "a.png"), data_format="nhwc")


def test_to_categorical_takes_x_by_name():
    np.testing.assert_array_equal(keras.utils.to_categorical(x=[0, 2], num_classes=3),
                                  [[1, 0, 0], [0, 0, 1]])
