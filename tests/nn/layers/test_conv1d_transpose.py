import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_layer

from glassnet import keras
from glassnet.autograd.ops.convolution import same_padding
from glassnet.nn.layers.conv1d_transpose import Conv1DTranspose, transposed_length


class TorchConvTranspose1d(torch.nn.Module):
    """torch.nn.ConvTranspose1d without padding, then cut to Keras's output (the steps
    TensorFlow's "same" padding drops at the start, zeros past the full output's end), then
    the bias."""

    def __init__(self, in_channels, filters, kernel_size, stride, padding, output_padding,
                 dilation):
        super().__init__()
        self.conv = torch.nn.ConvTranspose1d(in_channels, filters, kernel_size, stride,
                                             dilation=dilation)
        self.args = (kernel_size, stride, dilation, padding, output_padding)

    def forward(self, x):  # x (N, C, L)
        k, s, d, padding, output_padding = self.args
        full = F.conv_transpose1d(x, self.conv.weight, None, s, dilation=d)
        length = transposed_length(x.shape[-1], k, s, d, padding, output_padding)
        start = same_padding(length, k, s, d)[0] if padding == "same" else 0
        if start + length > full.shape[-1]:
            full = F.pad(full, (0, start + length - full.shape[-1]))
        return full[..., start:start + length] + self.conv.bias[:, None]


def channels_first(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def copy_weights(layer, module):
    conv = module.conv
    with torch.no_grad():  # ours (k, filters, in) -> torch (in, filters, k)
        conv.weight.copy_(torch.tensor(layer.kernel.numpy()).permute(2, 1, 0))
        conv.bias.copy_(torch.tensor(np.random.default_rng(1).uniform(-1, 1, conv.bias.shape)))
    layer.bias.assign(conv.bias.detach().numpy())
    return [(layer.kernel, conv.weight, lambda g: g.permute(2, 1, 0).numpy()),
            (layer.bias, conv.bias, lambda g: g.numpy())]


# Output lengths TensorFlow 2.21's Keras gives for a length-5 (or 6, 4) input.
CASES = [
    # length, kernel, strides, padding, output_padding, dilation, TensorFlow's output length
    (5, 3, 2, "same", None, 1, 10),
    (5, 3, 2, "same", 1, 1, 10),
    (5, 3, 2, "same", 0, 1, 9),
    (5, 4, 3, "same", 2, 1, 14),
    (5, 2, 3, "valid", None, 1, 15),
    (5, 3, 2, "valid", 1, 1, 12),
    (6, 3, 1, "same", None, 2, 6),
    (6, 4, 1, "valid", None, 2, 12),
    (4, 4, 2, "same", None, 1, 8),
    (4, 5, 3, "same", 1, 1, 11),
]


@pytest.mark.parametrize("length,kernel,strides,padding,output_padding,dilation,expected",
                         CASES)
def test_conv1d_transpose_matches_torch(length, kernel, strides, padding, output_padding,
                                        dilation, expected):
    module = TorchConvTranspose1d(3, 4, kernel, strides, padding, output_padding, dilation)
    layer = check_layer(
        lambda: Conv1DTranspose(4, kernel, strides=strides, padding=padding,
                                output_padding=output_padding, dilation_rate=dilation),
        (2, length, 3), expected_output_shape=(2, expected, 4),
        expected_params=kernel * 4 * 3 + 4, torch_module=module, torch_weights=copy_weights,
        to_torch_input=channels_first, from_torch_output=lambda t: t.permute(0, 2, 1),
        rtol=1e-4)
    assert layer.kernel.shape == (kernel, 4, 3)


def test_conv1d_transpose_channels_first_and_activation():
    x = np.random.default_rng(0).standard_normal((2, 6, 3)).astype("float32")
    last = Conv1DTranspose(5, 3, strides=2, padding="same", activation="relu")
    first = Conv1DTranspose(5, 3, strides=2, padding="same", activation="relu",
                            data_format="channels_first")
    y = last(x)
    first(np.moveaxis(x, -1, 1))
    first.set_weights(last.get_weights())
    y_first = first(np.moveaxis(x, -1, 1))
    assert y_first.shape == (2, 5, 12)
    np.testing.assert_allclose(np.moveaxis(y_first.numpy(), 1, -1), y.numpy(), rtol=1e-6)
    assert y.numpy().min() >= 0
    assert first.compute_output_shape((None, 3, 6)) == (None, 5, 12)


def test_conv1d_transpose_config_and_unknown_length():
    layer = Conv1DTranspose(4, 3, strides=2, output_padding=1, use_bias=False)
    config = layer.get_config()
    assert config["output_padding"] == (1,) and "groups" not in config
    assert Conv1DTranspose.from_config(config).get_config() == config
    assert layer.compute_output_shape((None, None, 3)) == (None, None, 4)
    model = keras.Sequential([keras.Input((None, 3)), layer])
    assert model.predict(np.ones((1, 7, 3), "float32"), verbose=0).shape == (1, 16, 4)


@pytest.mark.parametrize("kwargs,message", [
    ({"output_padding": 2, "strides": 2}, "output_padding"),
    ({"strides": 2, "dilation_rate": 2}, "dilation_rate"),
    ({"padding": "causal"}, "padding"),
    ({"kernel_size": 0}, "kernel_size"),
    ({"output_padding": -1, "strides": 2}, "output_padding"),
    ({"kernel_constraint": "non_neg"}, "kernel_constraint"),
])
def test_conv1d_transpose_rejects_bad_arguments(kwargs, message):
    args = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        Conv1DTranspose(**args)


def test_conv1d_transpose_rejects_bad_inputs():
    layer = Conv1DTranspose(2, 3)
    with pytest.raises(ValueError, match="3-D input"):
        layer(np.ones((2, 4, 5, 3), "float32"))
    layer(np.ones((2, 4, 3), "float32"))
    with pytest.raises(ValueError, match="3 channels"):
        layer(np.ones((2, 4, 2), "float32"))


@pytest.mark.parametrize("size,kernel,strides,padding,output_padding,expected", [
    (5, 2, 3, "valid", None, 15),  # a stride wider than the kernel: TensorFlow's 15, not 14
    (5, 3, 2, "valid", None, 11),
    (5, 3, 2, "valid", 1, 12),
    (5, 3, 2, "same", None, 10),
    (5, 3, 2, "same", 1, 10),
])
def test_conv2d_transpose_output_sizes_follow_keras(size, kernel, strides, padding,
                                                    output_padding, expected):
    from glassnet.nn.layers import Conv2DTranspose

    layer = Conv2DTranspose(2, kernel, strides=strides, padding=padding,
                            output_padding=output_padding)
    out = layer(np.zeros((1, size, size, 3), "float32"))
    assert out.shape == (1, expected, expected, 2)
    assert layer.compute_output_shape((None, size, size, 3)) == (None, expected, expected, 2)
    assert Conv2DTranspose.from_config(layer.get_config()).get_config() == layer.get_config()


def test_conv2d_transpose_refuses_output_padding_as_wide_as_the_stride():
    from glassnet.nn.layers import Conv2DTranspose

    with pytest.raises(ValueError, match="output_padding"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
