import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_layer

from glassnet import keras
from glassnet.keras import layers


def nchw(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def to_nhwc(t):
    return t.permute(0, 2, 3, 1)


def conv_weights(layer, module):
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.kernel.numpy()).permute(3, 2, 0, 1))
        module.bias.copy_(torch.tensor(np.random.default_rng(0).uniform(-1, 1,
                                                                        module.bias.shape)))
    layer.bias.assign(module.bias.detach().numpy())
    return [(layer.kernel, module.weight, lambda g: g.permute(2, 3, 1, 0).numpy()),
            (layer.bias, module.bias, lambda g: g.numpy())]


@pytest.mark.parametrize("kwargs,torch_kwargs", [
    ({"kernel_size": 3}, {"kernel_size": 3}),
    ({"kernel_size": (3, 2), "strides": 2}, {"kernel_size": (3, 2), "stride": 2}),
    ({"kernel_size": 3, "dilation_rate": 2}, {"kernel_size": 3, "dilation": 2}),
    ({"kernel_size": 3, "groups": 2}, {"kernel_size": 3, "groups": 2}),
    ({"kernel_size": 3, "padding": "same"}, {"kernel_size": 3, "padding": "same"}),
])
def test_conv2d_layer_matches_torch_conv2d(kwargs, torch_kwargs):
    module = torch.nn.Conv2d(4, 6, **torch_kwargs)
    check_layer(lambda: layers.Conv2D(6, **kwargs), (2, 7, 8, 4), torch_module=module,
                torch_weights=conv_weights, to_torch_input=nchw,
                from_torch_output=to_nhwc, rtol=1e-4)


def test_conv2d_channels_first_relu_and_counts():
    layer = check_layer(lambda: layers.Conv2D(3, 3, activation="relu",
                                              data_format="channels_first"),
                        (2, 2, 6, 5), expected_output_shape=(2, 3, 4, 3), expected_params=57,
                        kinks=(0.0,))
    assert layer.kernel.shape == (3, 3, 2, 3)


def test_conv1d_matches_torch_including_causal():
    module = torch.nn.Conv1d(3, 4, 3)

    def weights(layer, m):
        with torch.no_grad():
            m.weight.copy_(torch.tensor(layer.kernel.numpy()).permute(2, 1, 0))
            m.bias.zero_()
        return [(layer.kernel, m.weight, lambda g: g.permute(2, 1, 0).numpy())]

    ncl = lambda a, inverse=False: np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)  # noqa: E731
    check_layer(lambda: layers.Conv1D(4, 3), (2, 9, 3), torch_module=module,
                torch_weights=weights, to_torch_input=ncl,
                from_torch_output=lambda t: t.permute(0, 2, 1), rtol=1e-4)
    causal = check_layer(lambda: layers.Conv1D(2, 3, padding="causal", dilation_rate=2),
                         (2, 9, 3), expected_output_shape=(2, 9, 2))
    x = np.zeros((1, 9, 3), np.float32)
    x[0, 5] = 1.0  # an impulse at step 5 changes no output before it
    y = causal(x).numpy()[0] - causal(np.zeros_like(x)).numpy()[0]
    assert np.abs(y[:5]).max() == 0 and np.abs(y[5:]).max() > 0


def test_conv2d_transpose_depthwise_and_separable():
    t = check_layer(lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
                    (2, 4, 5, 2), expected_output_shape=(2, 8, 10, 3), expected_params=57)
    assert t.kernel.shape == (3, 3, 3, 2)
    check_layer(lambda: layers.Conv2DTranspose(2, (2, 3), strides=2), (1, 3, 3, 2),
                expected_output_shape=(1, 6, 7, 2))
    module = torch.nn.Conv2d(3, 6, 3, groups=3, bias=False)

    def depthwise_weights(layer, m):
        with torch.no_grad():
            kh, kw, c, mult = layer.kernel.shape
            m.weight.copy_(torch.tensor(layer.kernel.numpy().reshape(kh, kw, 1, c * mult))
                           .permute(3, 2, 0, 1))
        return [(layer.kernel, m.weight,
                 lambda g: g.permute(2, 3, 1, 0).numpy().reshape(kh, kw, c, mult))]

    check_layer(lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False),
                (2, 6, 6, 3), expected_params=54, torch_module=module,
                torch_weights=depthwise_weights, to_torch_input=nchw,
                from_torch_output=to_nhwc, rtol=1e-4)
    check_layer(lambda: layers.SeparableConv2D(4, 3, padding="same"), (2, 5, 5, 3),
                expected_output_shape=(2, 5, 5, 4), expected_params=27 + 12 + 4)


@pytest.mark.parametrize("make,torch_module", [
    (lambda: layers.MaxPooling2D(), torch.nn.MaxPool2d(2)),
    (lambda: layers.MaxPooling2D(3, strides=2), torch.nn.MaxPool2d(3, 2)),
    (lambda: layers.AveragePooling2D(), torch.nn.AvgPool2d(2)),
    (lambda: layers.AveragePooling2D((2, 3), strides=1), torch.nn.AvgPool2d((2, 3), 1)),
])
def test_pooling_layers_match_torch(make, torch_module):
    check_layer(make, (2, 7, 6, 3), torch_module=torch_module, to_torch_input=nchw,
                from_torch_output=to_nhwc)


def test_pooling_1d_global_and_same():
    ncl = lambda a, inverse=False: np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)  # noqa: E731
    check_layer(layers.MaxPooling1D, (2, 9, 3), expected_output_shape=(2, 4, 3),
                torch_module=torch.nn.MaxPool1d(2), to_torch_input=ncl,
                from_torch_output=lambda t: t.permute(0, 2, 1))
    check_layer(lambda: layers.AveragePooling1D(3, strides=2, padding="same"), (2, 9, 3),
                expected_output_shape=(2, 5, 3))
    check_layer(lambda: layers.MaxPooling2D(padding="same"), (2, 5, 5, 2),
                expected_output_shape=(2, 3, 3, 2))
    check_layer(layers.GlobalAveragePooling2D, (2, 4, 5, 3), expected_output_shape=(2, 3),
                torch_module=lambda x: x.mean((1, 2)))
    check_layer(layers.GlobalMaxPooling2D, (2, 4, 5, 3), torch_module=lambda x: x.amax((1, 2)))
    check_layer(lambda: layers.GlobalAveragePooling1D(keepdims=True), (2, 6, 3),
                expected_output_shape=(2, 1, 3))
    check_layer(layers.GlobalMaxPooling1D, (2, 6, 3), expected_output_shape=(2, 3))


def test_padding_upsampling_cropping_spatial_dropout():
    check_layer(lambda: layers.ZeroPadding2D(((1, 2), (0, 1))), (2, 3, 4, 2),
                expected_output_shape=(2, 6, 5, 2),
                torch_module=lambda x: F.pad(x, (0, 0, 0, 1, 1, 2)))
    check_layer(lambda: layers.UpSampling2D((2, 3)), (2, 3, 2, 2),
                expected_output_shape=(2, 6, 6, 2),
                torch_module=torch.nn.Upsample(scale_factor=(2, 3), mode="nearest"),
                to_torch_input=nchw, from_torch_output=to_nhwc)
    check_layer(lambda: layers.Cropping2D(((1, 0), (1, 2))), (2, 5, 6, 2),
                expected_output_shape=(2, 4, 3, 2),
                torch_module=lambda x: x[:, 1:, 1:4])
    layer = check_layer(lambda: layers.SpatialDropout2D(0.5), (2, 4, 4, 3))
    keras.utils.set_random_seed(0)
    y = layer(np.ones((64, 4, 4, 8), np.float32), training=True).numpy()
    per_map = y.reshape(64, 16, 8)
    assert ((per_map == 0).all(axis=1) | (per_map == 2).all(axis=1)).all()
    assert abs((per_map[:, 0] == 0).mean() - 0.5) < 0.1


def test_conv_layer_errors_name_the_layer_and_shapes():
    keras.backend.clear_session()
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d' expected 4-D input \(batch, height, "
                                         r"width, channels\), received input of shape "
                                         r"\(28, 28, 1\)"):
        layers.Conv2D(8, 3)(np.zeros((28, 28, 1)))
    conv = layers.Conv2D(8, 3)
    conv(np.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match=r"Conv2D '.*' was built for inputs with 3 channels, "
                                         r"received input of shape \(2, 8, 8, 1\) "
                                         r"\(1 channels\)"):
        conv(np.zeros((2, 8, 8, 1)))
    with pytest.raises(ValueError, match=r"the kernel 5x5 \(dilation \(1, 1\)\) is larger than "
                                         r"the input 3x3 with padding 'valid'"):
        layers.Conv2D(2, 5)(np.zeros((1, 3, 3, 1)))
    for bad in (0, -1, (1, 0)):
        with pytest.raises(ValueError, match=r"Conv2D: `strides` must be a positive integer"):
            layers.Conv2D(2, 3, strides=bad)
    with pytest.raises(ValueError, match=r"expected a positive integer for `filters`"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"Conv2D: `padding` must be one of 'valid', 'same'. "
                                         r"Received: padding='full'"):
        layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match=r"MaxPooling2D '.*' expected 4-D input"):
        layers.MaxPooling2D()(np.zeros((2, 4, 4)))
