"""Rescaling with one scale and offset per channel (Keras takes lists), through check_layer
and saving."""

import numpy as np
import pytest
from helpers import check_layer

from glassnet import keras


def test_per_channel_scale_and_offset():
    layer = check_layer(lambda: keras.layers.Rescaling([1.0, 2.0, 0.5], offset=[0.0, 1.0, -1.0]),
                        (2, 4, 4, 3), expected_output_shape=(2, 4, 4, 3), expected_params=0)
    x = np.ones((1, 1, 1, 3), "float32")
    np.testing.assert_allclose(layer(x).numpy().ravel(), [1.0, 3.0, -0.5])
    assert layer.get_config()["scale"] == [1.0, 2.0, 0.5]
    with pytest.raises(ValueError, match="`scale` must be a number"):
        keras.layers.Rescaling([1.0, "a"])
    with pytest.raises(ValueError, match="non-empty list"):
        keras.layers.Rescaling([])


def test_per_channel_rescaling_saves_and_loads(tmp_path):
    model = keras.Sequential([keras.Input((2, 3)), keras.layers.Rescaling([1.0, 2.0, 3.0])])
    model.save(tmp_path / "r.keras")
    x = np.ones((1, 2, 3), "float32")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "r.keras").predict(
        x, verbose=0), model.predict(x, verbose=0))
