"""SimpleRNN, LSTM, GRU and Bidirectional against torch.nn.RNN/LSTM/GRU: forward and every
gradient (inputs and weights), both directions, with the fused op and with the cell loop.

Weights are converted from Keras's layouts: kernels (in, G * units) are torch's weight_ih
(G * hidden, in) transposed; LSTM gates are i, f, c, o in both; GRU gates are z, r, h in
Keras and r, z, n in torch; torch adds two biases where Keras has one (LSTM, SimpleRNN), and
torch's GRU is Keras's reset_after=True.
"""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import tensor
from glassnet.autograd import ops
from glassnet.nn.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
)

B, T, F, U = 3, 5, 4, 3
SHAPE = (B, T, F)


def _swap_rz(a):
    """Keras's GRU gate blocks (z, r, h) in torch's order (r, z, n); its own inverse."""
    u = a.shape[-1] // 3
    return np.concatenate([a[..., u:2 * u], a[..., :u], a[..., 2 * u:]], axis=-1)


def torch_weights(cell, module, suffix=""):
    """Copy a Keras-layout cell's weights into ``module`` (``_l0`` + suffix); return
    check_layer's [(ours, theirs, torch grad -> our layout)]."""
    gru = isinstance(cell, GRUCell)
    order = _swap_rz if gru else (lambda a: a)
    w_ih, w_hh = (getattr(module, f"weight_{k}_l0{suffix}") for k in ("ih", "hh"))
    b_ih, b_hh = (getattr(module, f"bias_{k}_l0{suffix}") for k in ("ih", "hh"))
    bias = cell.bias.numpy()
    with torch.no_grad():
        w_ih.copy_(torch.tensor(order(cell.kernel.numpy()).T))
        w_hh.copy_(torch.tensor(order(cell.recurrent_kernel.numpy()).T))
        if gru and bias.ndim == 2:
            b_ih.copy_(torch.tensor(order(bias[0])))
            b_hh.copy_(torch.tensor(order(bias[1])))
        else:
            b_ih.copy_(torch.tensor(bias))
            b_hh.zero_()
    if gru:
        def bias_grad(g):
            return np.stack([order(g.numpy()), order(b_hh.grad.numpy())])
    else:
        def bias_grad(g):
            return g.numpy()
    return [(cell.kernel, w_ih, lambda g: order(g.numpy().T)),
            (cell.recurrent_kernel, w_hh, lambda g: order(g.numpy().T)),
            (cell.bias, b_ih, bias_grad)]


def flip(a, inverse=False):
    return np.ascontiguousarray(a[:, ::-1])


def torch_module(kind, bidirectional=False):
    torch.manual_seed(0)
    if kind == "simple":
        return torch.nn.RNN(F, U, batch_first=True, bidirectional=bidirectional)
    module = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
    return module(F, U, batch_first=True, bidirectional=bidirectional)


def last_or_sequence(return_sequences):
    return (lambda out: out[0]) if return_sequences else (lambda out: out[0][:, -1])


LAYERS = {"lstm": LSTM, "gru": GRU, "simple": SimpleRNN}
CELLS = {"lstm": LSTMCell, "gru": GRUCell, "simple": SimpleRNNCell}


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_layer_matches_torch(kind, return_sequences, go_backwards):
    params = {"lstm": 4, "gru": 3, "simple": 1}[kind] * U * (F + U + 1) + (
        3 * U if kind == "gru" else 0)
    check_layer(lambda: LAYERS[kind](U, return_sequences=return_sequences,
                                     go_backwards=go_backwards), SHAPE,
                expected_output_shape=(B, T, U) if return_sequences else (B, U),
                expected_params=params, torch_module=torch_module(kind),
                torch_weights=lambda layer, m: torch_weights(layer.cell, m),
                to_torch_input=flip if go_backwards else None,
                from_torch_output=last_or_sequence(return_sequences))


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
def test_rnn_of_a_cell_matches_torch(kind):
    # RNN(cell) runs the cell loop: the same numbers through the generic path
    check_layer(lambda: RNN(CELLS[kind](U), return_sequences=True), SHAPE,
                torch_module=torch_module(kind),
                torch_weights=lambda layer, m: torch_weights(layer.cell, m),
                from_torch_output=last_or_sequence(True))


def test_simple_rnn_relu_matches_torch():
    module = torch.nn.RNN(F, U, nonlinearity="relu", batch_first=True)
    check_layer(lambda: SimpleRNN(U, activation="relu", return_sequences=True), SHAPE,
                torch_module=module, torch_weights=lambda layer, m: torch_weights(layer.cell, m),
                from_torch_output=last_or_sequence(True), kinks=(0.0,))


def _bidirectional_weights(layer, module):
    return (torch_weights(layer.forward_layer.cell, module)
            + torch_weights(layer.backward_layer.cell, module, "_reverse"))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_torch(kind, return_sequences):
    def final(out):
        if return_sequences:
            return out[0]
        h = out[1][0] if kind == "lstm" else out[1]
        return torch.cat([h[0], h[1]], dim=-1)

    check_layer(lambda: Bidirectional(LAYERS[kind](U, return_sequences=return_sequences)),
                SHAPE, expected_output_shape=(B, T, 2 * U) if return_sequences else (B, 2 * U),
                torch_module=torch_module(kind, bidirectional=True),
                torch_weights=_bidirectional_weights, from_torch_output=final)


# -- GRU reset_after=False: no torch module; a composed torch reference ---------------------

def _gru_reset_before(x, kernel, recurrent_kernel, bias):
    u = recurrent_kernel.shape[0]
    h = torch.zeros(x.shape[0], u, dtype=x.dtype)
    outs = []
    for t in range(x.shape[1]):
        mx = x[:, t] @ kernel + bias
        mh = h @ recurrent_kernel[:, :2 * u]
        z = torch.sigmoid(mx[:, :u] + mh[:, :u])
        r = torch.sigmoid(mx[:, u:2 * u] + mh[:, u:])
        candidate = torch.tanh(mx[:, 2 * u:] + (r * h) @ recurrent_kernel[:, 2 * u:])
        h = z * h + (1 - z) * candidate
        outs.append(h)
    return torch.stack(outs, dim=1)


def test_gru_reset_before_matches_a_composed_torch_reference():
    class Reference(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.kernel = torch.nn.Parameter(torch.zeros(F, 3 * U))
            self.recurrent_kernel = torch.nn.Parameter(torch.zeros(U, 3 * U))
            self.bias = torch.nn.Parameter(torch.zeros(3 * U))

        def forward(self, x):
            return _gru_reset_before(x, self.kernel, self.recurrent_kernel, self.bias)

    def weights(layer, module):
        pairs = []
        for ours, theirs in zip(layer.cell.weights, [module.kernel, module.recurrent_kernel,
                                                     module.bias]):
            with torch.no_grad():
                theirs.copy_(torch.tensor(ours.numpy()))
            pairs.append((ours, theirs, lambda g: g.numpy()))
        return pairs

    layer = check_layer(lambda: GRU(U, reset_after=False, return_sequences=True,
                                    bias_initializer="glorot_uniform"), SHAPE,
                        expected_params=3 * U * (F + U + 1), torch_module=Reference(),
                        torch_weights=weights)
    assert layer.cell.bias.shape == (3 * U,)


# -- masks: torch on each sequence's unpadded prefix ------------------------------------------

LENGTHS = [5, 3, 1]


def _padded(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    mask = np.arange(T)[None, :] < np.array(LENGTHS)[:, None]
    return x, mask


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("fused", [True, False])
def test_masked_steps_equal_torch_on_the_unpadded_prefix(kind, go_backwards, fused):
    x, mask = _padded()
    options = {} if fused else {"activation": lambda z: ops.tanh(z)}  # not fusable: cell loop
    layer = LAYERS[kind](U, go_backwards=go_backwards, return_sequences=True, **options)
    xt = torch.tensor(x, requires_grad=True)
    seq = layer(xt.detach().numpy(), mask=mask)
    module = torch_module(kind)
    pairs = torch_weights(layer.cell, module)
    upstream = np.random.default_rng(1).standard_normal((B, U)).astype(np.float32)

    x_ours = tensor(x, requires_grad=True)
    last = layer(x_ours, mask=mask)[:, -1]
    last.backward(upstream)
    total = 0
    for i, n in enumerate(LENGTHS):
        prefix = xt[i:i + 1, :n]
        out = module(prefix.flip(1) if go_backwards else prefix)[0]
        total = total + (out[0, -1] * torch.tensor(upstream[i])).sum()
        np.testing.assert_allclose(last.numpy()[i], out[0, -1].detach().numpy(), atol=1e-5)
        # the sequence holds the prefix's outputs, then repeats the last one over the padding
        processed = seq.numpy()[i, T - n:] if go_backwards else seq.numpy()[i, :n]
        np.testing.assert_allclose(processed, out[0].detach().numpy(), atol=1e-5)
    total.backward()
    np.testing.assert_allclose(x_ours.grad, xt.grad.numpy(), atol=1e-5)
    assert not x_ours.grad[~mask].any(), "a masked step got a gradient"
    for ours, theirs, convert in pairs:
        np.testing.assert_allclose(ours.grad, convert(theirs.grad), atol=1e-5,
                                   err_msg=ours.name)


def test_masked_steps_inside_a_sequence_carry_the_state():
    # mask holes in the middle: a masked step changes nothing, so removing it from the
    # sequence gives the same final output
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 6, F)).astype(np.float32)
    mask = np.array([[True, False, True, True, False, True]])
    layer = LSTM(U, return_sequences=True)
    seq = layer(x, mask=mask).numpy()
    kept = layer(x[:, mask[0]]).numpy()
    np.testing.assert_allclose(seq[:, -1], kept[:, -1], atol=1e-6)
    np.testing.assert_allclose(seq[:, 1], seq[:, 0], atol=0)  # the output repeats
    np.testing.assert_allclose(seq[:, 4], seq[:, 3], atol=0)


# -- initial_state --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_initial_state_and_its_gradient_match_torch(kind):

    rng = np.random.default_rng(3)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    states = [rng.standard_normal((B, U)).astype(np.float32)
              for _ in range(2 if kind == "lstm" else 1)]
    layer = LAYERS[kind](U, return_sequences=True)
    layer(x)
    module = torch_module(kind)
    torch_weights(layer.cell, module)
    ours = [tensor(s, requires_grad=True) for s in states]
    out = layer(x, initial_state=ours)
    theirs = [torch.tensor(s[None], requires_grad=True) for s in states]
    ref = module(torch.tensor(x), tuple(theirs) if kind == "lstm" else theirs[0])[0]
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-5)
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy()[0], atol=1e-5)


# -- the fused op and the cell loop agree -----------------------------------------------------

@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_before", "simple"])
@pytest.mark.parametrize("training", [False, True])
def test_fused_op_and_cell_loop_agree(kind, training):
    from glassnet.nn.layers.recurrent.cell_layer import fused_ops

    assert fused_ops is not None, "the fused recurrent ops are missing"
    rng = np.random.default_rng(4)
    x = rng.standard_normal(SHAPE)
    mask = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 0, 0], [0, 1, 1, 1, 1]], bool)
    options = {"return_sequences": True, "go_backwards": True, "dropout": 0.3,
               "recurrent_dropout": 0.4, "seed": 5, "dtype": "float64"}
    if kind == "gru_before":
        kind, options["reset_after"] = "gru", False
    fused = LAYERS[kind](U, **options)
    loop = LAYERS[kind](U, activation=lambda z: ops.tanh(z), **options)
    assert fused._fusable() and not loop._fusable()
    fused(x)
    loop(x)
    loop.set_weights(fused.get_weights())
    results = []
    for layer in (fused, loop):
        xt = tensor(x, requires_grad=True, dtype="float64")
        out = layer(xt, mask=mask, training=training)
        out.backward(np.cos(np.arange(out.size)).reshape(out.shape))
        results.append([out.numpy(), xt.grad, *(w.grad for w in layer.trainable_weights)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
