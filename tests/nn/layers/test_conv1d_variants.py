"""DepthwiseConv1D and SeparableConv1D: check_layer against torch conv1d with groups, Keras's
weight shapes and order, configs and errors, and a tiny fit."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras

# The defining module until keras.layers exports them.
from glassnet.keras.layers import DepthwiseConv1D, SeparableConv1D


def ncl(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def to_nlc(t):
    return t.permute(0, 2, 1)


def depthwise_to_torch(kernel):
    """(K, C, M) -> torch's grouped (C*M, 1, K), output channel c*M + m as Keras."""
    k, c, m = kernel.shape
    return torch.tensor(kernel.reshape(k, c * m).T[:, None, :].copy())


def depthwise_from_torch(shape):
    k, c, m = shape
    return lambda g: g.numpy()[:, 0, :].T.reshape(k, c, m)


@pytest.mark.parametrize("kwargs,torch_kwargs", [
    ({}, {}),
    ({"strides": 2, "padding": "same"}, {"stride": 2, "padding": 1}),
    ({"dilation_rate": 2}, {"dilation": 2}),
])
def test_depthwise_conv1d_matches_torch_grouped_conv1d(kwargs, torch_kwargs):
    module = torch.nn.Conv1d(3, 6, 3, groups=3, **torch_kwargs)

    def weights(layer, m):
        with torch.no_grad():
            m.weight.copy_(depthwise_to_torch(layer.kernel.numpy()))
            m.bias.copy_(torch.linspace(-1, 1, 6))
        layer.bias.assign(m.bias.detach().numpy())
        return [(layer.kernel, m.weight, depthwise_from_torch(layer.kernel.shape)),
                (layer.bias, m.bias, lambda g: g.numpy())]

    layer = check_layer(lambda: DepthwiseConv1D(3, depth_multiplier=2, **kwargs), (2, 9, 3),
                        torch_module=module, torch_weights=weights, to_torch_input=ncl,
                        from_torch_output=to_nlc, expected_params=3 * 3 * 2 + 6, rtol=1e-4)
    assert layer.kernel.shape == (3, 3, 2)


def test_separable_conv1d_matches_torch_depthwise_then_pointwise():
    depthwise = torch.nn.Conv1d(3, 6, 3, groups=3, padding=1, bias=False)
    pointwise = torch.nn.Conv1d(6, 4, 1)
    module = torch.nn.Sequential(depthwise, pointwise)

    def weights(layer, m):
        with torch.no_grad():
            depthwise.weight.copy_(depthwise_to_torch(layer.kernel.numpy()))
            pointwise.weight.copy_(torch.tensor(layer.pointwise_kernel.numpy()).permute(2, 1, 0))
            pointwise.bias.copy_(torch.linspace(-1, 1, 4))
        layer.bias.assign(pointwise.bias.detach().numpy())
        return [(layer.kernel, depthwise.weight, depthwise_from_torch(layer.kernel.shape)),
                (layer.pointwise_kernel, pointwise.weight, lambda g: g.permute(2, 1, 0).numpy()),
                (layer.bias, pointwise.bias, lambda g: g.numpy())]

    layer = check_layer(lambda: SeparableConv1D(4, 3, padding="same", depth_multiplier=2),
                        (2, 7, 3), torch_module=module, torch_weights=weights,
                        to_torch_input=ncl, from_torch_output=to_nlc,
                        expected_output_shape=(2, 7, 4), expected_params=18 + 24 + 4, rtol=1e-4)
    # Keras's shapes and order: depthwise, pointwise, bias.
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 2), (1, 6, 4), (4,)]
    assert layer.depthwise_kernel is layer.kernel and len(layer.weights) == 3


def test_conv1d_variants_channels_first_strides_and_configs():
    check_layer(lambda: SeparableConv1D(2, 2, strides=2, data_format="channels_first",
                                        use_bias=False), (2, 3, 7),
                expected_output_shape=(2, 2, 3), expected_params=6 + 6)
    check_layer(lambda: DepthwiseConv1D(2, activation="tanh", data_format="channels_first"),
                (1, 2, 5), expected_output_shape=(1, 2, 4))
    config = DepthwiseConv1D(3).get_config()
    assert config["kernel_size"] == (3,) and config["depth_multiplier"] == 1
    assert "filters" not in config and "groups" not in config
    assert config["depthwise_initializer"]["class_name"] == "GlorotUniform"
    config = SeparableConv1D(2, 3).get_config()
    assert {"pointwise_initializer", "depthwise_regularizer", "depth_multiplier"} <= set(config)
    assert SeparableConv1D.from_config(config).get_config() == config


def test_conv1d_variant_errors():
    keras.backend.clear_session()
    with pytest.raises(ValueError, match=r"Input 0 of layer 'depthwise_conv1d' "
                                         r"\(DepthwiseConv1D\) is incompatible with the layer: "
                                         r"expected ndim=3, found ndim=4"):
        DepthwiseConv1D(3)(np.zeros((2, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2"):
        SeparableConv1D(2, 3)(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"DepthwiseConv1D: expected a positive integer for "
                                         r"`depth_multiplier`. Received: depth_multiplier=0"):
        DepthwiseConv1D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match=r"SeparableConv1D: `padding` must be one of 'valid', "
                                         r"'same'. Received: padding='causal'"):
        SeparableConv1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"`kernel_size` must be a positive integer"):
        DepthwiseConv1D(-3)
    with pytest.raises(ValueError, match=r"the kernel 5 .* is larger than the input 3"):
        SeparableConv1D(2, 5)(np.zeros((1, 3, 2)))


def test_separable_conv1d_fits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8, 2)).astype("float32")
    y = (x[:, 1:, 0] - x[:, :-1, 1]).mean(axis=1, keepdims=True)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 2)), SeparableConv1D(4, 2, depth_multiplier=2),
                              DepthwiseConv1D(2), keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
