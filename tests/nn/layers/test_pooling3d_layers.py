"""MaxPooling3D, AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D and the adaptive
pooling layers: check_layer against torch.nn, Keras's shapes, configs and errors, a tiny fit."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras

# The defining modules until keras.layers exports them.
from glassnet.keras.layers import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
    AveragePooling3D,
    Conv3D,
    GlobalAveragePooling3D,
    GlobalMaxPooling3D,
    MaxPooling3D,
)


def ncdhw(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def to_ndhwc(t):
    return t.permute(0, 2, 3, 4, 1)


@pytest.mark.parametrize("make,torch_module", [
    (MaxPooling3D, torch.nn.MaxPool3d(2)),
    (lambda: MaxPooling3D((2, 3, 2), strides=1), torch.nn.MaxPool3d((2, 3, 2), 1)),
    (AveragePooling3D, torch.nn.AvgPool3d(2)),
    (lambda: AveragePooling3D(3, strides=(1, 2, 1)), torch.nn.AvgPool3d(3, (1, 2, 1))),
])
def test_pooling3d_matches_torch(make, torch_module):
    check_layer(make, (2, 4, 5, 4, 2), torch_module=torch_module, to_torch_input=ncdhw,
                from_torch_output=to_ndhwc)


def test_pooling3d_same_channels_first_and_configs():
    layer = check_layer(lambda: AveragePooling3D(3, strides=2, padding="same",
                                                 data_format="channels_first"),
                        (2, 3, 4, 5, 6), expected_output_shape=(2, 3, 2, 3, 3))
    # "same" averages only the real values: the corner window of ones stays 1.
    assert np.allclose(layer(np.ones((1, 1, 3, 3, 3))).numpy(), 1.0)
    check_layer(lambda: MaxPooling3D(padding="same"), (1, 3, 3, 5, 2),
                expected_output_shape=(1, 2, 2, 3, 2))
    y = MaxPooling3D(padding="same")(-np.ones((1, 3, 3, 3, 1))).numpy()
    assert (y == -1).all()  # padding never wins
    config = MaxPooling3D().get_config()
    assert (config["pool_size"], config["strides"], config["padding"],
            config["data_format"]) == ((2, 2, 2), (2, 2, 2), "valid", "channels_last")
    assert AveragePooling3D.from_config(config).get_config()["pool_size"] == (2, 2, 2)


def test_global_pooling3d():
    check_layer(GlobalAveragePooling3D, (2, 3, 2, 4, 3), expected_output_shape=(2, 3),
                torch_module=lambda x: x.mean((1, 2, 3)))
    check_layer(lambda: GlobalMaxPooling3D(keepdims=True), (2, 3, 2, 4, 3),
                expected_output_shape=(2, 1, 1, 1, 3),
                torch_module=lambda x: x.amax((1, 2, 3), keepdim=True))
    check_layer(lambda: GlobalAveragePooling3D(data_format="channels_first"), (2, 3, 2, 4, 3),
                expected_output_shape=(2, 3), torch_module=lambda x: x.mean((2, 3, 4)))
    config = GlobalMaxPooling3D(keepdims=True).get_config()
    assert config["keepdims"] is True and config["data_format"] == "channels_last"


def test_pooling3d_errors_as_keras():
    keras.backend.clear_session()
    with pytest.raises(ValueError, match=r"Input 0 of layer 'max_pooling3d' \(MaxPooling3D\) is "
                                         r"incompatible with the layer: expected ndim=5, found "
                                         r"ndim=4. Full shape received: \(2, 4, 4, 4\)"):
        MaxPooling3D()(np.zeros((2, 4, 4, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=5, found ndim=3"):
        GlobalAveragePooling3D()(np.zeros((2, 4, 4)))
    for bad in (-1, 0, (2, 2), (2, -2, 2)):
        with pytest.raises(ValueError, match=r"AveragePooling3D: `pool_size` must be a positive "
                                             r"integer or a tuple of 3"):
            AveragePooling3D(bad)
    with pytest.raises(ValueError, match=r"MaxPooling3D: `padding` must be one of"):
        MaxPooling3D(padding="full")
    with pytest.raises(ValueError, match=r"a pool of 3x3x3 does not fit an input of 2x4x4"):
        MaxPooling3D(3)(np.zeros((1, 2, 4, 4, 1)))


def test_pooling3d_in_a_model():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, 4, 4, 4, 1)).astype("float32")
    y = x.max(axis=(1, 2, 3))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4, 4, 4, 1)), Conv3D(3, 1), MaxPooling3D(),
                              AveragePooling3D(padding="same"), GlobalMaxPooling3D(),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# -- adaptive pooling (Keras 3.15; PyTorch's AdaptiveAvgPool / AdaptiveMaxPool) -----------

def channels_first(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


@pytest.mark.parametrize("make,shape,torch_module", [
    (lambda: AdaptiveAveragePooling1D(3), (2, 7, 2), torch.nn.AdaptiveAvgPool1d(3)),
    (lambda: AdaptiveMaxPooling1D(4), (2, 7, 2), torch.nn.AdaptiveMaxPool1d(4)),
    (lambda: AdaptiveAveragePooling2D((3, 4)), (2, 5, 6, 2), torch.nn.AdaptiveAvgPool2d((3, 4))),
    (lambda: AdaptiveMaxPooling2D((2, 3)), (2, 5, 7, 2), torch.nn.AdaptiveMaxPool2d((2, 3))),
    (lambda: AdaptiveAveragePooling2D(4), (1, 3, 2, 2), torch.nn.AdaptiveAvgPool2d(4)),  # up
    (lambda: AdaptiveMaxPooling3D((2, 1, 2)), (1, 3, 2, 5, 2), torch.nn.AdaptiveMaxPool3d(
        (2, 1, 2))),
    (lambda: AdaptiveAveragePooling3D(2), (1, 3, 4, 3, 2), torch.nn.AdaptiveAvgPool3d(2)),
])
def test_adaptive_pooling_matches_torch(make, shape, torch_module):
    check_layer(make, shape, torch_module=torch_module, to_torch_input=channels_first,
                from_torch_output=lambda t: t.permute(0, *range(2, t.ndim), 1))


def test_adaptive_pooling_channels_first_config_and_errors():
    check_layer(lambda: AdaptiveAveragePooling2D((2, 3), data_format="channels_first"),
                (2, 3, 5, 7), expected_output_shape=(2, 3, 2, 3),
                torch_module=torch.nn.AdaptiveAvgPool2d((2, 3)))
    layer = AdaptiveMaxPooling1D(3)
    assert layer.get_config()["output_size"] == (3,)
    assert layer.compute_output_shape((None, 10, 4)) == (None, 3, 4)
    assert AdaptiveAveragePooling1D(2)(np.arange(5.0).reshape(1, 5, 1)).numpy().ravel(
    ).tolist() == [1.0, 3.0]  # windows [0, 3) and [2, 5)
    keras.backend.clear_session()
    with pytest.raises(ValueError, match=r"layer 'adaptive_average_pooling2d' .* expected "
                                         r"ndim=4, found ndim=3"):
        AdaptiveAveragePooling2D(2)(np.zeros((2, 4, 4)))
    with pytest.raises(TypeError, match=r"AdaptiveAveragePooling2D: `output_size` must be an "
                                        r"integer or a tuple of 2 integers"):
        AdaptiveAveragePooling2D(2.5)
    for bad in (0, (2, -1), (1, 2, 3)):
        with pytest.raises(ValueError, match=r"AdaptiveMaxPooling2D: `output_size` must be a "
                                             r"positive integer"):
            AdaptiveMaxPooling2D(bad)
