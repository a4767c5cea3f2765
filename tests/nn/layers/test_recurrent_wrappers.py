"""Bidirectional, TimeDistributed and RepeatVector."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import tensor
from glassnet.nn.layers import Dense
from glassnet.nn.layers.recurrent import (
    GRU,
    LSTM,
    Bidirectional,
    RepeatVector,
    SimpleRNN,
    TimeDistributed,
)

B, T, F, U = 3, 5, 4, 3


def _x(seed=0, shape=(B, T, F)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _halves(layer, x, **kwargs):
    """The forward and backward layers run by hand, the backward output back in time order."""
    forward = layer.forward_layer(x, **kwargs)
    backward = layer.backward_layer(x, **kwargs)
    if layer.return_sequences:
        backward = backward[:, ::-1]
    return forward.numpy(), backward.numpy()


@pytest.mark.parametrize("merge_mode,merge", [
    ("concat", lambda a, b: np.concatenate([a, b], -1)), ("sum", np.add),
    ("mul", np.multiply), ("ave", lambda a, b: (a + b) / 2)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_merge_modes(merge_mode, merge, return_sequences):
    layer = check_layer(lambda: Bidirectional(GRU(U, return_sequences=return_sequences),
                                              merge_mode=merge_mode), (B, T, F))
    x = _x()
    np.testing.assert_allclose(layer(x).numpy(), merge(*_halves(layer, x)), atol=1e-6)
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert [w.shape for w in layer.weights] == [(F, 3 * U), (U, 3 * U), (2, 3 * U)] * 2


def test_merge_mode_none_returns_both_and_their_masks():
    layer = Bidirectional(LSTM(U, return_sequences=True), merge_mode=None)
    x = tensor(_x())
    mask = np.ones((B, T), bool)
    mask[2, 3:] = False
    x._keras_mask = tensor(mask)
    forward, backward = layer(x)
    assert forward.shape == backward.shape == (B, T, U)
    np.testing.assert_array_equal(forward._keras_mask.numpy(), mask)
    assert layer.compute_output_shape((None, T, F)) == [(None, T, U), (None, T, U)]
    # both directions skip the padding and output zeros there (Keras's zero_output_for_mask)
    assert not forward.numpy()[2, 3:].any() and not backward.numpy()[2, 3:].any()
    np.testing.assert_allclose(forward.numpy()[2, :3],
                               layer.forward_layer(_x()[2:, :3]).numpy()[0], atol=1e-6)


def test_a_masked_bidirectional_summary_equals_the_unpadded_sequence():
    x = _x()
    mask = np.ones((B, T), bool)
    mask[0, 2:] = False
    layer = Bidirectional(LSTM(U))
    out = layer(x, mask=mask).numpy()
    np.testing.assert_allclose(out[0], layer(x[:1, :2]).numpy()[0], atol=1e-6)


def test_return_state_gives_forward_then_backward_states():
    layer = Bidirectional(LSTM(U, return_state=True))
    out, h_fw, c_fw, h_bw, c_bw = layer(_x())
    assert out.shape == (B, 2 * U)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([h_fw.numpy(), h_bw.numpy()], -1))
    assert layer.compute_output_shape((None, T, F)) == [(None, 2 * U), *[(None, U)] * 4]
    states = [np.full((B, U), 0.5, "float32")] * 4
    again = layer(_x(), initial_state=states)
    assert not np.allclose(again[0].numpy(), out.numpy())


def test_backward_layer_and_its_checks():
    layer = Bidirectional(LSTM(U), backward_layer=GRU(U, go_backwards=True))
    assert isinstance(layer.backward_layer, GRU)
    assert layer(_x()).shape == (B, 2 * U)
    with pytest.raises(ValueError, match="different `go_backwards`"):
        Bidirectional(LSTM(U), backward_layer=LSTM(U))
    with pytest.raises(ValueError, match="same value for attribute `return_sequences`"):
        Bidirectional(LSTM(U), backward_layer=LSTM(U, go_backwards=True,
                                                   return_sequences=True))
    with pytest.raises(ValueError, match=r"Bidirectional: invalid merge mode.*merge_mode='max'"):
        Bidirectional(LSTM(U), merge_mode="max")
    with pytest.raises(ValueError, match="with a `Layer` instance"):
        Bidirectional("lstm")
    clone = Bidirectional.from_config(layer.get_config())
    assert isinstance(clone.backward_layer, GRU) and clone.get_config() == layer.get_config()


def test_stateful_bidirectional_resets_both_directions():
    layer = Bidirectional(SimpleRNN(U, stateful=True))
    first = layer(_x()).numpy()
    assert len(layer.states) == 2
    assert not np.allclose(layer(_x()).numpy(), first)
    layer.reset_states()
    np.testing.assert_allclose(layer(_x()).numpy(), first, atol=1e-6)
    with pytest.raises(AttributeError, match="must be stateful"):
        Bidirectional(LSTM(U)).reset_states()


# -- TimeDistributed and RepeatVector --------------------------------------------------------

def _dense_weights(layer, module):
    dense = layer.layer
    with torch.no_grad():
        module.weight.copy_(torch.tensor(dense.kernel.numpy().T))
        module.bias.copy_(torch.tensor(dense.bias.numpy()))
    return [(dense.kernel, module.weight, lambda g: g.numpy().T),
            (dense.bias, module.bias, lambda g: g.numpy())]


def test_time_distributed_dense_matches_torch_linear_on_every_step():
    # torch's Linear already maps the last axis of (batch, time, features)
    check_layer(lambda: TimeDistributed(Dense(2, bias_initializer="glorot_uniform")),
                (B, T, F), expected_output_shape=(B, T, 2), expected_params=F * 2 + 2,
                torch_module=torch.nn.Linear(F, 2), torch_weights=_dense_weights)


def test_time_distributed_over_images_and_a_recurrent_layer():
    # a 4-D input: each timestep is (6, 2) and the wrapped LSTM reads it as a sequence
    layer = TimeDistributed(LSTM(U))
    x = _x(shape=(B, T, 6, 2))
    out = layer(x)
    assert out.shape == (B, T, U)
    np.testing.assert_allclose(out.numpy()[:, 2], layer.layer(x[:, 2]).numpy(), atol=1e-6)
    assert layer.compute_output_shape((None, T, 6, 2)) == (None, T, U)


def test_time_distributed_passes_the_mask_on():
    x = tensor(_x())
    mask = np.ones((B, T), bool)
    mask[:, -1] = False
    x._keras_mask = tensor(mask)
    out = TimeDistributed(Dense(2))(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), mask)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(Dense(2)).build((None, F))
    with pytest.raises(ValueError, match="with a `Layer` instance"):
        TimeDistributed(lambda v: v)


def test_repeat_vector():
    layer = check_layer(lambda: RepeatVector(3), (B, F), expected_output_shape=(B, 3, F),
                        expected_params=0)
    x = _x(shape=(B, F))
    np.testing.assert_array_equal(layer(x).numpy()[:, 1], x)
    with pytest.raises(ValueError, match="positive integer. Received: n=0"):
        RepeatVector(0)
    with pytest.raises(TypeError, match="expected an integer value for `n`"):
        RepeatVector(2.5)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        RepeatVector(2)(_x())


def test_bidirectional_reads_keras2_list_input_as_initial_states():
    layer = Bidirectional(GRU(U))
    states = [np.full((B, U), 0.3, "float32"), np.full((B, U), -0.2, "float32")]
    np.testing.assert_allclose(layer([_x(), *states]).numpy(),
                               layer(_x(), initial_state=states).numpy())


def test_bidirectional_wraps_an_rnn_of_a_users_own_cell_and_saves(tmp_path):
    from glassnet import keras

    class MinimalRNNCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units, self.state_size = units, units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            h = keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(
                states[0], self.recurrent_kernel)
            return h, [h]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = keras.Sequential([keras.Input((3, 5)),
                              keras.layers.Bidirectional(keras.layers.RNN(MinimalRNNCell(4)))])
    x = np.random.default_rng(0).standard_normal((2, 3, 5)).astype("float32")
    assert model.predict(x, verbose=0).shape == (2, 8)
    model.save(tmp_path / "bidi.keras")
    loaded = keras.models.load_model(tmp_path / "bidi.keras",
                                     custom_objects={"MinimalRNNCell": MinimalRNNCell})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
