"""ConvLSTM1D and ConvLSTM3D against a torch reference written with torch's conv1d/conv3d
(Keras's layouts); the same cell as ConvLSTM2D, over one and three spatial axes."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras

B, T, C, FILTERS = 2, 3, 1, 2
CONV = {1: torch.nn.functional.conv1d, 3: torch.nn.functional.conv3d}


class TorchConvLSTM(torch.nn.Module):
    """The recurrence in torch with weights in Keras's layouts (*kernel, in, 4 filters)."""

    def __init__(self, rank, kernel, strides, padding, return_sequences):
        super().__init__()
        self.rank, self.strides, self.padding = rank, strides, padding
        self.kernel = torch.nn.Parameter(torch.zeros(*kernel, C, 4 * FILTERS))
        self.recurrent_kernel = torch.nn.Parameter(torch.zeros(*kernel, FILTERS, 4 * FILTERS))
        self.bias = torch.nn.Parameter(torch.zeros(4 * FILTERS))
        self.return_sequences = return_sequences

    def forward(self, x):
        r = self.rank
        last_first = (0, r + 1, *range(1, r + 1))  # channels-last step -> channels-first
        to_torch = (r + 1, r, *range(r))           # (*k, in, out) -> (out, in, *k)
        w, u = self.kernel.permute(*to_torch), self.recurrent_kernel.permute(*to_torch)
        conv, h, c, outs = CONV[r], None, None, []
        for t in range(x.shape[1]):
            zx = conv(x[:, t].permute(*last_first), w, self.bias, stride=self.strides,
                      padding=self.padding)
            if h is None:
                h = c = torch.zeros_like(zx[:, :FILTERS])
            z = zx + conv(h, u, padding="same")
            i, f, g, o = torch.split(z, FILTERS, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h.permute(0, *range(2, r + 2), 1))
        return torch.stack(outs, dim=1) if self.return_sequences else outs[-1]


def _weights(layer, module):
    pairs = []
    for ours, theirs in zip(layer.weights, [module.kernel, module.recurrent_kernel,
                                            module.bias]):
        with torch.no_grad():
            theirs.copy_(torch.tensor(ours.numpy()))
        pairs.append((ours, theirs, lambda g: g.numpy()))
    return pairs


@pytest.mark.parametrize("rank,spatial,kernel,options,out", [
    (1, (5,), (3,), {"padding": "same"}, (5,)),
    (1, (6,), (2,), {"padding": "valid", "strides": 2}, (3,)),
    (3, (3, 2, 3), (2, 2, 2), {"padding": "same"}, (3, 2, 3)),
])
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("return_sequences", [False, True])
def test_conv_lstm_ranks_match_a_torch_reference(rank, spatial, kernel, options, out,
                                                 return_sequences):
    layer_class = {1: keras.layers.ConvLSTM1D, 3: keras.layers.ConvLSTM3D}[rank]
    expected = (B, T, *out, FILTERS) if return_sequences else (B, *out, FILTERS)
    module = TorchConvLSTM(rank, kernel, options.get("strides", 1), options["padding"],
                           return_sequences)
    check_layer(lambda: layer_class(FILTERS, kernel, return_sequences=return_sequences,
                                    **options), (B, T, *spatial, C),
                expected_output_shape=expected,
                expected_params=int(np.prod(kernel)) * (C + FILTERS) * 4 * FILTERS
                + 4 * FILTERS, torch_module=module, torch_weights=_weights)


def test_conv_lstm1d_parameters_and_errors_as_keras():
    layer = keras.layers.ConvLSTM1D(4, 3)
    layer.build((None, 5, 8, 2))
    # Keras 3: 3*2*16 + 3*4*16 + 16
    assert layer.count_params() == 304
    with pytest.raises(ValueError, match="expected ndim=4"):
        layer(np.ones((2, 5, 8, 8, 2), "float32"))
    with pytest.raises(ValueError, match="kernel_size"):
        keras.layers.ConvLSTM1D(4, (3, 3))
    with pytest.raises(ValueError, match="kernel does not fit"):
        keras.layers.ConvLSTM1D(2, 5)(np.ones((1, 2, 3, 1), "float32"))


def test_conv_lstm1d_trains_in_a_model_and_round_trips_its_config():
    model = keras.Sequential([keras.Input((4, 6, 1)),
                              keras.layers.ConvLSTM1D(3, 3, padding="same"),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4, 6, 1)).astype("float32"), rng.normal(size=(16, 1))
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    layer = model.layers[0]
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
