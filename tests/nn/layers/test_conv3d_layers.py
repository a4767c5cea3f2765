"""Conv3D and Conv3DTranspose: check_layer against torch.nn.Conv3d / ConvTranspose3d, Keras's
output shapes, configs and errors, and a tiny fit."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras

# The defining module until keras.layers exports them (then: keras.layers.Conv3D, ...).
from glassnet.keras.layers import Conv3D, Conv3DTranspose


def ncdhw(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def to_ndhwc(t):
    return t.permute(0, 2, 3, 4, 1)


def conv_weights(layer, module):
    """Copy our (KD, KH, KW, C, F) kernel (or the transposed (KD, KH, KW, F, C)) into torch's
    (F, C, KD, KH, KW) (transposed: (C, F, KD, KH, KW)): the same permutation either way."""
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.kernel.numpy()).permute(4, 3, 0, 1, 2))
        module.bias.copy_(torch.linspace(-1, 1, module.bias.shape[0]))
    layer.bias.assign(module.bias.detach().numpy())
    return [(layer.kernel, module.weight, lambda g: g.permute(2, 3, 4, 1, 0).numpy()),
            (layer.bias, module.bias, lambda g: g.numpy())]


@pytest.mark.parametrize("kwargs,torch_kwargs", [
    ({"kernel_size": 2}, {"kernel_size": 2}),
    ({"kernel_size": (2, 3, 2), "strides": (2, 1, 2)},
     {"kernel_size": (2, 3, 2), "stride": (2, 1, 2)}),
    ({"kernel_size": 2, "dilation_rate": (1, 2, 1)}, {"kernel_size": 2, "dilation": (1, 2, 1)}),
    ({"kernel_size": 3, "padding": "same"}, {"kernel_size": 3, "padding": "same"}),
    ({"kernel_size": 2, "groups": 2}, {"kernel_size": 2, "groups": 2}),
])
def test_conv3d_matches_torch_conv3d(kwargs, torch_kwargs):
    module = torch.nn.Conv3d(2, 4, **torch_kwargs)
    check_layer(lambda: Conv3D(4, **kwargs), (2, 3, 4, 3, 2), torch_module=module,
                torch_weights=conv_weights, to_torch_input=ncdhw,
                from_torch_output=to_ndhwc, rtol=1e-4)


def test_conv3d_shapes_params_channels_first_and_activation():
    layer = check_layer(lambda: Conv3D(3, 2, activation="relu", data_format="channels_first"),
                        (2, 2, 3, 4, 3), expected_output_shape=(2, 3, 2, 3, 2),
                        expected_params=2 * 2 * 2 * 2 * 3 + 3, kinks=(0.0,))
    assert layer.kernel.shape == (2, 2, 2, 2, 3)
    same = Conv3D(5, (3, 2, 4), strides=(2, 3, 1), padding="same")
    assert same.compute_output_shape((None, 7, 8, 5, 2)) == (None, 4, 3, 5, 5)
    assert same(np.zeros((1, 7, 8, 5, 2))).shape == (1, 4, 3, 5, 5)
    # Keras's default config, round-tripped.
    config = Conv3D(2, 3).get_config()
    assert {k: config[k] for k in ("kernel_size", "strides", "dilation_rate", "padding",
                                   "data_format", "groups")} == {
        "kernel_size": (3, 3, 3), "strides": (1, 1, 1), "dilation_rate": (1, 1, 1),
        "padding": "valid", "data_format": "channels_last", "groups": 1}


@pytest.mark.parametrize("kwargs,torch_kwargs,out", [
    ({"kernel_size": 2}, {"kernel_size": 2}, (2, 3, 4, 3, 3)),
    ({"kernel_size": (3, 2, 2), "strides": 2}, {"kernel_size": (3, 2, 2), "stride": 2},
     (2, 5, 6, 4, 3)),
    ({"kernel_size": 2, "strides": 2, "output_padding": (1, 0, 1)},
     {"kernel_size": 2, "stride": 2, "output_padding": (1, 0, 1)}, (2, 5, 6, 5, 3)),
    ({"kernel_size": 3, "padding": "same"}, {"kernel_size": 3, "padding": 1}, (2, 2, 3, 2, 3)),
])
def test_conv3d_transpose_matches_torch(kwargs, torch_kwargs, out):
    module = torch.nn.ConvTranspose3d(2, 3, **torch_kwargs)
    check_layer(lambda: Conv3DTranspose(3, **kwargs), (2, 2, 3, 2, 2), torch_module=module,
                expected_output_shape=out, torch_weights=conv_weights, to_torch_input=ncdhw,
                from_torch_output=to_ndhwc, rtol=1e-4)


def test_conv3d_transpose_keras_lengths_and_config():
    # Keras: "same" gives size * stride; a stride wider than the kernel keeps its gap.
    layer = Conv3DTranspose(2, 3, strides=2, padding="same", data_format="channels_first")
    assert layer(np.zeros((1, 5, 2, 3, 4))).shape == (1, 2, 4, 6, 8)
    assert Conv3DTranspose(2, 2, strides=3).compute_output_shape((None, 2, 3, 4, 1)) == \
        (None, 6, 9, 12, 2)
    check_layer(lambda: Conv3DTranspose(2, 2, strides=(3, 1, 2), use_bias=False),
                (1, 2, 2, 2, 1), expected_output_shape=(1, 6, 3, 4, 2), expected_params=16)
    config = Conv3DTranspose(2, 3, output_padding=1, strides=2).get_config()
    assert config["output_padding"] == (1, 1, 1) and "groups" not in config
    assert Conv3DTranspose.from_config(config).get_config() == config


def test_conv3d_errors_as_keras():
    keras.backend.clear_session()
    with pytest.raises(ValueError, match=r"Input 0 of layer 'conv3d' \(Conv3D\) is incompatible "
                                         r"with the layer: expected ndim=5, found ndim=4. Full "
                                         r"shape received: \(2, 4, 4, 4\)"):
        Conv3D(2, 3)(np.zeros((2, 4, 4, 4)))
    layer = Conv3D(2, 3)
    layer(np.zeros((1, 4, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=5, found ndim=6"):
        layer(np.zeros((1, 4, 4, 4, 1, 1)))
    with pytest.raises(ValueError, match=r"built for inputs with 1 channels, received input "
                                         r"of shape \(1, 4, 4, 4, 3\)"):
        layer(np.zeros((1, 4, 4, 4, 3)))
    with pytest.raises(ValueError, match=r"the kernel 3x3x3 .* is larger than the input 2x4x4"):
        Conv3D(2, 3)(np.zeros((1, 2, 4, 4, 1)))
    for bad in (-1, 0, (3, -1, 3), (3, 3)):
        with pytest.raises(ValueError, match=r"Conv3D: `kernel_size` must be a positive integer "
                                             r"or a tuple of 3"):
            Conv3D(2, bad)
    with pytest.raises(ValueError, match=r"expected a positive integer for `filters`"):
        Conv3D(-2, 3)
    with pytest.raises(ValueError, match=r"`strides > 1` not supported in conjunction with "
                                         r"`dilation_rate > 1`"):
        Conv3D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"`padding` must be one of 'valid', 'same'"):
        Conv3D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"`output_padding` must be strictly less than "
                                         r"`strides`"):
        Conv3DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"`kernel_constraint` is not supported"):
        Conv3D(2, 3, kernel_constraint="non_neg")
    with pytest.raises(ValueError, match=r"conv3d_transpose.* expected ndim=5, found ndim=4"):
        Conv3DTranspose(2, 3)(np.zeros((2, 4, 4, 4)))


def test_conv3d_fits_tiny_volumes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4, 4, 4, 1)).astype("float32")
    y = x[:, 1:3, 1:3, 1:3, 0].mean(axis=(1, 2, 3))[:, None]  # a local 3-D feature
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4, 4, 4, 1)), Conv3D(4, 2, activation="relu"),
                              Conv3DTranspose(2, 2, strides=1),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert model.predict(x[:3], verbose=0).shape == (3, 1)


def test_conv3d_model_saves_and_loads(tmp_path):
    from glassnet.keras.layers import Cropping3D, GlobalMaxPooling3D, MaxPooling3D, ZeroPadding3D

    model = keras.Sequential([keras.Input((4, 4, 4, 2)), ZeroPadding3D(((1, 0), 1, (0, 1))),
                              Conv3D(3, 2, padding="same"), MaxPooling3D(),
                              Conv3DTranspose(2, 2, strides=2, output_padding=1),
                              Cropping3D(1), GlobalMaxPooling3D()])
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 4, 2)).astype("float32")
    path = tmp_path / "volumes.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
