"""The base Layer's arguments as Keras 3 writes them in every layer's config (``autocast``,
a ``DTypePolicy`` dict), so a custom layer's Keras config builds it; and model.metrics in
Keras 3's order."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers


class Scale(layers.Layer):
    def call(self, x):
        return 2 * x


def test_a_keras_3_layer_config_builds_a_custom_layer():
    config = {"name": "scale", "trainable": True, "autocast": True,
              "dtype": {"module": "keras", "class_name": "DTypePolicy",
                        "config": {"name": "float64"}, "registered_name": None}}
    layer = Scale.from_config(config)
    assert layer.dtype == np.float64 and layer.autocast is True
    assert layer(np.ones((1, 2), "float32")).dtype == np.float64


def test_bad_base_arguments_name_the_layer():
    with pytest.raises(TypeError, match=r"Scale: dtype must be a dtype name such as 'float32'. "
                                        r"Received: dtype=\{'x': 1\}"):
        Scale(dtype={"x": 1})
    with pytest.raises((TypeError, ValueError), match="autocast"):
        Scale(autocast="yes")


def test_model_metrics_in_keras_3_order():
    x = keras.Input((3,))
    model = keras.Model(x, [layers.Dense(1, name="a")(x), layers.Dense(1, name="b")(x)])
    assert model.metrics == []
    model.compile(optimizer="sgd", loss=["mse", "mse"], metrics=[["mae"], ["mae"]])
    assert model.metrics_names == ["loss", "compile_metrics"]
    model.fit(np.ones((4, 3)), [np.zeros((4, 1))] * 2, verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics", "a_loss", "b_loss"]
