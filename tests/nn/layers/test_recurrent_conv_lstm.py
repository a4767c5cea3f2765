"""ConvLSTM2D against a torch reference written with torch's conv2d (Keras's layouts), and
its arguments."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet.nn.layers.recurrent import ConvLSTM2D

B, T, H, W, C, FILTERS = 2, 3, 4, 3, 1, 2


class TorchConvLSTM(torch.nn.Module):
    """The same recurrence in torch, weights kept in Keras's layouts (kh, kw, in, 4 filters)."""

    def __init__(self, kernel_size, strides=1, padding="valid", dilation=1,
                 return_sequences=False):
        super().__init__()
        kh, kw = kernel_size
        self.kernel = torch.nn.Parameter(torch.zeros(kh, kw, C, 4 * FILTERS))
        self.recurrent_kernel = torch.nn.Parameter(torch.zeros(kh, kw, FILTERS, 4 * FILTERS))
        self.bias = torch.nn.Parameter(torch.zeros(4 * FILTERS))
        self.strides, self.padding, self.dilation = strides, padding, dilation
        self.return_sequences = return_sequences

    def forward(self, x):
        x = x.permute(0, 1, 4, 2, 3)  # NCHW per step
        w = self.kernel.permute(3, 2, 0, 1)
        u = self.recurrent_kernel.permute(3, 2, 0, 1)
        h = c = None
        outs = []
        for t in range(x.shape[1]):
            zx = torch.nn.functional.conv2d(x[:, t], w, self.bias, stride=self.strides,
                                            padding=self.padding, dilation=self.dilation)
            if h is None:
                h = c = torch.zeros_like(zx[:, :FILTERS])
            z = zx + torch.nn.functional.conv2d(h, u, padding="same")
            i, f, g, o = torch.split(z, FILTERS, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        if self.return_sequences:
            return torch.stack(outs, dim=1).permute(0, 1, 3, 4, 2)
        return h.permute(0, 2, 3, 1)


def _weights(layer, module):
    pairs = []
    for ours, theirs in zip(layer.weights, [module.kernel, module.recurrent_kernel,
                                            module.bias]):
        with torch.no_grad():
            theirs.copy_(torch.tensor(ours.numpy()))
        pairs.append((ours, theirs, lambda g: g.numpy()))
    return pairs


@pytest.mark.parametrize("kernel,options,out_hw", [
    ((3, 3), {"padding": "same"}, (H, W)),
    ((2, 2), {"padding": "valid", "strides": 2}, (2, 1)),
    ((2, 2), {"padding": "valid", "dilation_rate": (1, 2)}, (3, 1)),
])
# torch warns that "same" with an even kernel pads a copy; the numbers are what we check
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("return_sequences", [False, True])
def test_conv_lstm_matches_a_torch_reference(kernel, options, out_hw, return_sequences):
    expected = (B, T, *out_hw, FILTERS) if return_sequences else (B, *out_hw, FILTERS)
    module = TorchConvLSTM(kernel, options.get("strides", 1), options["padding"],
                           options.get("dilation_rate", 1), return_sequences)
    check_layer(lambda: ConvLSTM2D(FILTERS, kernel, return_sequences=return_sequences,
                                   **options), (B, T, H, W, C),
                expected_output_shape=expected,
                expected_params=kernel[0] * kernel[1] * (C + FILTERS) * 4 * FILTERS
                + 4 * FILTERS, torch_module=module, torch_weights=_weights)


def test_conv_lstm_masks_state_and_arguments():
    x = np.random.default_rng(0).standard_normal((B, T, H, W, C)).astype(np.float32)
    layer = ConvLSTM2D(FILTERS, 3, padding="same", return_state=True)
    mask = np.array([[True, True, False], [True, True, True]])
    out, h, c = layer(x, mask=mask)
    np.testing.assert_allclose(out.numpy()[0], layer(x[:1, :2])[0].numpy()[0], atol=1e-6)
    assert h.shape == c.shape == (B, H, W, FILTERS)
    assert layer.compute_output_shape((None, T, H, W, C)) == [(None, H, W, FILTERS)] * 3
    assert layer.cell.bias.numpy()[FILTERS:2 * FILTERS].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="ConvLSTM2D: expected a positive integer for "
                                         "`filters`"):
        ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match="ConvLSTM2D: `padding` must be one of"):
        ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="ConvLSTM2D: only `data_format='channels_last'`"):
        ConvLSTM2D(2, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="not compatible with `dilation_rate > 1`"):
        ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="ConvLSTM2D: `dropout` must be a number"):
        ConvLSTM2D(2, 3, dropout=2.0)
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        ConvLSTM2D(2, 3)(x[:, 0])
