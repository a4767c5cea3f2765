"""ZeroPadding1D/3D, Cropping1D/3D, UpSampling1D/3D, SpatialDropout1D/3D: check_layer against
torch, Keras's shapes, configs and errors, and a tiny fit."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_layer

from glassnet import keras

# The defining module until keras.layers exports them.
from glassnet.keras.layers import (
    Conv3D,
    Cropping1D,
    Cropping3D,
    SpatialDropout1D,
    SpatialDropout3D,
    UpSampling1D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding3D,
)


def channels_first(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def channels_last(t):
    return t.permute(0, *range(2, t.ndim), 1)


def test_zero_padding_1d_3d():
    check_layer(ZeroPadding1D, (2, 3, 2), expected_output_shape=(2, 5, 2),
                torch_module=lambda x: F.pad(x, (0, 0, 1, 1)))
    check_layer(lambda: ZeroPadding1D((0, 2), data_format="channels_first"), (2, 3, 2),
                expected_output_shape=(2, 3, 4), torch_module=lambda x: F.pad(x, (0, 2)))
    check_layer(lambda: ZeroPadding3D(((1, 0), 2, (0, 1))), (1, 2, 2, 3, 2),
                expected_output_shape=(1, 3, 6, 4, 2),
                torch_module=lambda x: F.pad(x, (0, 0, 0, 1, 2, 2, 1, 0)))
    check_layer(lambda: ZeroPadding3D(1, data_format="channels_first"), (1, 2, 2, 1, 3),
                expected_output_shape=(1, 2, 4, 3, 5))
    assert ZeroPadding1D().get_config()["padding"] == (1, 1)
    assert ZeroPadding3D((1, 2, 3)).padding == ((1, 1), (2, 2), (3, 3))
    assert ZeroPadding3D().compute_output_shape((None, None, 4, 5, 2)) == (None, None, 6, 7, 2)


def test_cropping_1d_3d():
    check_layer(Cropping1D, (2, 5, 3), expected_output_shape=(2, 3, 3),
                torch_module=lambda x: x[:, 1:-1])
    check_layer(lambda: Cropping1D((0, 2)), (2, 5, 3), expected_output_shape=(2, 3, 3),
                torch_module=lambda x: x[:, :3])
    check_layer(Cropping3D, (1, 4, 3, 5, 2), expected_output_shape=(1, 2, 1, 3, 2),
                torch_module=lambda x: x[:, 1:-1, 1:-1, 1:-1])
    check_layer(lambda: Cropping3D(((1, 0), 0, (0, 2)), data_format="channels_first"),
                (1, 2, 3, 2, 4), expected_output_shape=(1, 2, 2, 2, 2),
                torch_module=lambda x: x[:, :, 1:, :, :2])
    assert Cropping1D().get_config()["cropping"] == (1, 1)
    assert "data_format" not in Cropping1D().get_config()
    assert Cropping3D(2).cropping == ((2, 2), (2, 2), (2, 2))


def test_upsampling_1d_3d():
    check_layer(lambda: UpSampling1D(3), (2, 3, 2), expected_output_shape=(2, 9, 2),
                torch_module=lambda x: x.repeat_interleave(3, dim=1))
    check_layer(lambda: UpSampling3D((1, 2, 3)), (1, 2, 2, 2, 2),
                expected_output_shape=(1, 2, 4, 6, 2),
                torch_module=torch.nn.Upsample(scale_factor=(1, 2, 3), mode="nearest"),
                to_torch_input=channels_first, from_torch_output=channels_last)
    check_layer(lambda: UpSampling3D(data_format="channels_first"), (1, 2, 2, 1, 2),
                expected_output_shape=(1, 2, 4, 2, 4),
                torch_module=torch.nn.Upsample(scale_factor=2, mode="nearest"))
    assert UpSampling1D().get_config()["size"] == 2
    assert UpSampling3D().get_config()["size"] == (2, 2, 2)
    assert UpSampling3D().compute_output_shape((0, 1, None, 2, 3)) == (0, 2, None, 4, 3)


@pytest.mark.parametrize("make,shape,channel_axis", [
    (lambda: SpatialDropout1D(0.5), (64, 6, 8), 2),
    (lambda: SpatialDropout3D(0.5), (64, 2, 3, 2, 8), 4),
    (lambda: SpatialDropout3D(0.5, data_format="channels_first"), (64, 8, 2, 3, 2), 1),
])
def test_spatial_dropout_drops_whole_channels(make, shape, channel_axis):
    layer = check_layer(make, (2, *shape[1:]))  # inference: identity
    keras.utils.set_random_seed(0)
    y = layer(np.ones(shape, np.float32), training=True).numpy()
    per_map = np.moveaxis(y, channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
    assert ((per_map == 0).all(axis=2) | (per_map == 2).all(axis=2)).all()
    assert abs((per_map[:, :, 0] == 0).mean() - 0.5) < 0.1
    config = layer.get_config()
    assert config["rate"] == 0.5 and config["seed"] is None
    assert ("data_format" in config) == (channel_axis != 2)
    seeded = type(layer)(0.5, seed=3)
    assert seeded.get_config()["seed"] == 3


def test_reshaping_errors_as_keras():
    keras.backend.clear_session()
    with pytest.raises(ValueError, match=r"Input 0 of layer 'zero_padding1d' \(ZeroPadding1D\) "
                                         r"is incompatible with the layer: expected ndim=3, "
                                         r"found ndim=2. Full shape received: \(2, 4\)"):
        ZeroPadding1D()(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=5, found ndim=4"):
        UpSampling3D()(np.zeros((2, 4, 4, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=5, found ndim=4"):
        SpatialDropout3D(0.2)(np.zeros((2, 4, 4, 4)))
    with pytest.raises(ValueError, match=r"ZeroPadding3D: `padding` must be an int, or 3 "
                                         r"entries .* Received: padding=-1"):
        ZeroPadding3D(-1)
    with pytest.raises(ValueError, match=r"Cropping1D: `cropping` must be an int or a \(left, "
                                         r"right\) pair of non-negative ints. "
                                         r"Received: cropping=\(-1, 1\)"):
        Cropping1D((-1, 1))
    with pytest.raises(ValueError, match=r"Cropping3D: `cropping` must be .* "
                                         r"Received: cropping=\(1, 2\)"):
        Cropping3D((1, 2))
    with pytest.raises(ValueError, match=r"Cropping1D '.*': cropping \(2, 2\) removes "
                                         r"everything from input of shape \(1, 4, 2\)"):
        Cropping1D((2, 2))(np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match=r"cropping \(\(1, 1\), \(1, 1\), \(2, 2\)\) removes"):
        Cropping3D(((1, 1), (1, 1), (2, 2)))(np.zeros((1, 4, 4, 4, 2)))
    with pytest.raises(TypeError, match=r"UpSampling1D: expected an integer value for `size`"):
        UpSampling1D(2.0)
    with pytest.raises(ValueError, match=r"UpSampling1D: expected a positive integer"):
        UpSampling1D(0)
    with pytest.raises(ValueError, match=r"UpSampling3D: `size` must be a positive integer"):
        UpSampling3D((2, 0, 2))
    with pytest.raises(ValueError, match=r"SpatialDropout3D: `rate` must be a number in"):
        SpatialDropout3D(1.5)
    for cls in (Cropping1D, UpSampling1D):
        with pytest.raises(TypeError, match=rf"{cls.__name__}: unexpected keyword argument\(s\) "
                                            r"data_format"):
            cls(data_format="channels_first")
    with pytest.raises(TypeError, match=r"SpatialDropout1D: unexpected keyword argument"):
        SpatialDropout1D(0.5, data_format="channels_first")


def test_reshaping_layers_fit_in_a_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3, 3, 3, 1)).astype("float32")
    y = x.sum(axis=(1, 2, 3))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3, 3, 3, 1)), ZeroPadding3D(1), Conv3D(2, 3),
                              UpSampling3D(), Cropping3D(1), SpatialDropout3D(0.1),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    seq = keras.Sequential([keras.Input((6, 2)), ZeroPadding1D(2), UpSampling1D(2),
                            Cropping1D((1, 3)), SpatialDropout1D(0.2),
                            keras.layers.GlobalAveragePooling1D()])
    assert seq.predict(np.ones((2, 6, 2), np.float32), verbose=0).shape == (2, 2)
