"""The recurrent cells alone (against torch.nn.LSTMCell/GRUCell/RNNCell), stacked cells
(against a 2-layer torch.nn.LSTM), and a user's own cell run by RNN (Keras's guide)."""

import numpy as np
import pytest
import torch

from glassnet import tensor
from glassnet.autograd import ops
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)

B, F, U = 3, 4, 5


def _swap_rz(a):
    u = a.shape[-1] // 3
    return np.concatenate([a[..., u:2 * u], a[..., :u], a[..., 2 * u:]], axis=-1)


def _torch_cell(cell):
    """The torch cell with ``cell``'s weights (Keras layouts converted)."""
    gru = isinstance(cell, GRUCell)
    order = _swap_rz if gru else (lambda a: a)
    module = {LSTMCell: torch.nn.LSTMCell, GRUCell: torch.nn.GRUCell,
              SimpleRNNCell: torch.nn.RNNCell}[type(cell)](F, U)
    bias = cell.bias.numpy()
    with torch.no_grad():
        module.weight_ih.copy_(torch.tensor(order(cell.kernel.numpy()).T))
        module.weight_hh.copy_(torch.tensor(order(cell.recurrent_kernel.numpy()).T))
        module.bias_ih.copy_(torch.tensor(order(bias[0]) if gru else bias))
        module.bias_hh.copy_(torch.tensor(order(bias[1])) if gru else torch.zeros_like(
            module.bias_hh))
    return module


@pytest.mark.parametrize("cell_class", [SimpleRNNCell, LSTMCell, GRUCell])
def test_one_step_of_a_cell_matches_torch(cell_class):
    rng = np.random.default_rng(0)
    cell = cell_class(U, bias_initializer="glorot_uniform")
    n_states = 2 if cell_class is LSTMCell else 1
    x = tensor(rng.standard_normal((B, F)), requires_grad=True)
    states = [tensor(rng.standard_normal((B, U)), requires_grad=True) for _ in range(n_states)]
    out, new_states = cell(x, states)
    assert isinstance(new_states, list) and len(new_states) == n_states
    module = _torch_cell(cell)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ts = [torch.tensor(s.numpy(), requires_grad=True) for s in states]
    ref = module(tx, tuple(ts)) if n_states == 2 else module(tx, ts[0])
    ref_states = list(ref) if n_states == 2 else [ref]
    for ours, theirs in zip(new_states, ref_states):
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(out.numpy(), ref_states[0].detach().numpy(), atol=1e-6)
    upstream = rng.standard_normal((B, U)).astype(np.float32)
    (new_states[-1] * upstream).sum().backward()
    (ref_states[-1] * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-5)
    for ours, theirs in zip(states, ts):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-5)
    order = _swap_rz if cell_class is GRUCell else np.asarray
    np.testing.assert_allclose(cell.kernel.grad, order(module.weight_ih.grad.numpy().T),
                               atol=1e-5)
    np.testing.assert_allclose(cell.recurrent_kernel.grad,
                               order(module.weight_hh.grad.numpy().T), atol=1e-5)


def test_a_cell_takes_a_single_state_tensor_and_returns_one():
    cell = GRUCell(U)
    out, h = cell(np.ones((B, F), "float32"), np.zeros((B, U), "float32"))
    assert h is out and out.shape == (B, U)


def test_a_cell_called_without_states_says_how_to_call_it():
    with pytest.raises(TypeError, match=r"cell\(inputs, states\)"):
        LSTMCell(U)(np.ones((B, F), "float32"))
    cell = LSTMCell(U)
    with pytest.raises(ValueError, match="expects 2 state"):
        cell(np.ones((B, F), "float32"), [np.zeros((B, U), "float32")])
    with pytest.raises(ValueError, match=r"expected one timestep of shape \(batch, 4\)"):
        cell(np.ones((B, 7), "float32"), [np.zeros((B, U), "float32")] * 2)


@pytest.mark.parametrize("layer_class,cell_class", [(LSTM, LSTMCell), (GRU, GRUCell),
                                                    (SimpleRNN, SimpleRNNCell)])
def test_rnn_of_a_cell_equals_the_layer(layer_class, cell_class):
    x = np.random.default_rng(1).standard_normal((B, 6, F)).astype(np.float32)
    layer = layer_class(U, return_sequences=True)
    rnn = RNN(cell_class(U), return_sequences=True)
    layer(x)
    rnn(x)
    rnn.set_weights(layer.get_weights())
    np.testing.assert_allclose(rnn(x).numpy(), layer(x).numpy(), atol=1e-6)


def test_stacked_cells_match_a_two_layer_torch_lstm():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((B, 6, F)).astype(np.float32)
    layer = RNN([LSTMCell(U), LSTMCell(U)], return_sequences=True, return_state=True)
    seq, first, second = layer(x)
    assert isinstance(layer.cell, StackedRNNCells)
    assert layer.cell.state_size == [[U, U], [U, U]] and len(first) == 2 and len(second) == 2
    module = torch.nn.LSTM(F, U, num_layers=2, batch_first=True)
    with torch.no_grad():
        for k, cell in enumerate(layer.cell.cells):
            getattr(module, f"weight_ih_l{k}").copy_(torch.tensor(cell.kernel.numpy().T))
            getattr(module, f"weight_hh_l{k}").copy_(
                torch.tensor(cell.recurrent_kernel.numpy().T))
            getattr(module, f"bias_ih_l{k}").copy_(torch.tensor(cell.bias.numpy()))
            getattr(module, f"bias_hh_l{k}").zero_()
    ref, (h, c) = module(torch.tensor(x))
    np.testing.assert_allclose(seq.numpy(), ref.detach().numpy(), atol=1e-6)
    for k, (hk, ck) in enumerate([first, second]):
        np.testing.assert_allclose(hk.numpy(), h[k].detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(ck.numpy(), c[k].detach().numpy(), atol=1e-6)


def test_stacked_cells_of_different_kinds_give_nested_states():
    # As Keras 3 (TensorFlow 2.21): a list per cell of several states, a tensor per cell of one.
    layer = RNN([LSTMCell(4), GRUCell(3)], return_state=True)
    out, lstm_states, gru_state = layer(np.ones((2, 5, F), "float32"))
    assert out.shape == (2, 3)
    assert [s.shape for s in lstm_states] == [(2, 4), (2, 4)]
    assert gru_state.shape == (2, 3)  # a cell of one state (an int state_size): the tensor
    assert layer.compute_output_shape((None, 5, F)) == [(None, 3), [(None, 4), (None, 4)],
                                                        (None, 3)]
    clone = RNN.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


class MinimalRNNCell(Layer):
    """Keras's guide's custom cell: output = x @ kernel + h @ recurrent_kernel."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), "uniform")
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units),
                                                "uniform")

    def get_config(self):
        return {**super().get_config(), "units": self.units}

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def test_a_users_cell_runs_in_rnn_with_backprop_through_time():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((B, 6, F)).astype(np.float32)
    mask = np.ones((B, 6), bool)
    mask[1, 4:] = False
    layer = RNN(MinimalRNNCell(U), return_sequences=True, go_backwards=True)
    xt = tensor(x, requires_grad=True)
    out = layer(xt, mask=mask)
    kernel, recurrent = (torch.tensor(w.numpy(), requires_grad=True) for w in layer.weights)
    tx = torch.tensor(x, requires_grad=True)
    h, prev, outs = torch.zeros(B, U), torch.zeros(B, U), []
    for t in reversed(range(6)):
        new = tx[:, t] @ kernel + h @ recurrent
        keep = torch.tensor(mask[:, t:t + 1])
        h = torch.where(keep, new, h)
        prev = torch.where(keep, new, prev)
        outs.append(prev)
    ref = torch.stack(outs, dim=1)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-5)
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(layer.weights[0].grad, kernel.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(layer.weights[1].grad, recurrent.grad.numpy(), atol=1e-4)
    clone = RNN.from_config(layer.get_config(), custom_objects={"MinimalRNNCell":
                                                                MinimalRNNCell})
    assert isinstance(clone.cell, MinimalRNNCell)


def test_a_cell_without_state_size_is_refused():
    class NoState(Layer):
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match="RNN: the RNN cell should have a `state_size`"):
        RNN(NoState())
    with pytest.raises(ValueError, match="should have a `call` method"):
        RNN(object())
    with pytest.raises(ValueError, match="StackedRNNCells: `cells` must be a non-empty"):
        StackedRNNCells([])


def test_unknown_cell_class_in_a_config_names_custom_objects():
    config = RNN(MinimalRNNCell(U)).get_config()
    with pytest.raises(ValueError, match="custom_objects"):
        RNN.from_config(config)
