"""Recurrent layers: stateful carry-over, return_state, dropout masks, initial weights,
regularizers, masks passed on."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import tensor
from glassnet.autograd import ops
from glassnet.nn.layers.recurrent import GRU, LSTM, RNN, LSTMCell, SimpleRNN

B, T, F, U = 3, 6, 4, 5


def _x(seed=0, shape=(B, T, F)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("make", [lambda: LSTM(U, stateful=True, return_sequences=True),
                                  lambda: GRU(U, stateful=True, return_sequences=True),
                                  lambda: SimpleRNN(U, stateful=True, return_sequences=True),
                                  lambda: RNN([LSTMCell(U), LSTMCell(2)], stateful=True,
                                              return_sequences=True)])
def test_stateful_carry_over_equals_one_call_on_the_whole_sequence(make):
    x = _x()
    layer, whole = make(), make()
    first = layer(x[:, :2]).numpy()
    second = layer(x[:, 2:]).numpy()
    whole(x)
    whole.set_weights(layer.get_weights())
    whole.reset_states()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole(x).numpy(),
                               atol=1e-6)


def test_stateful_states_are_values_reset_to_zeros_and_not_weights():
    x = _x()
    layer = LSTM(U, stateful=True)
    out1 = layer(x).numpy()
    assert len(layer.weights) == 3, "the carried states are not weights"
    h, c = layer.states
    assert h.shape == (B, U) and np.abs(h.numpy()).sum() > 0 and not h.requires_grad
    out2 = layer(x).numpy()
    assert not np.allclose(out1, out2), "the second batch starts from the first's states"
    layer.reset_states()
    assert not layer.states[0].numpy().any()
    np.testing.assert_allclose(layer(x).numpy(), out1, atol=1e-6)
    layer.reset_state()
    layer.reset_states([np.ones((B, U), "float32"), np.zeros((B, U), "float32")])
    assert layer.states[0].numpy().all()


def test_stateful_batch_size_is_fixed():
    layer = GRU(U, stateful=True)
    layer(_x())
    with pytest.raises(ValueError, match="Expected batch size: 3. Received batch size: 2"):
        layer(_x(shape=(2, T, F)))
    fixed = GRU(U, stateful=True, batch_input_shape=(2, None, F))
    fixed.build((None, None, F))
    assert fixed.states[0].shape == (2, U)


def test_backprop_stops_at_the_carried_state():
    layer = LSTM(U, stateful=True)
    layer(_x())
    x = tensor(_x(1), requires_grad=True)
    layer(x).sum().backward()
    assert x.grad is not None and layer.states[0]._ctx is None


@pytest.mark.parametrize("layer_class,n_states", [(LSTM, 2), (GRU, 1), (SimpleRNN, 1)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state_shapes(layer_class, n_states, return_sequences):
    layer = layer_class(U, return_state=True, return_sequences=return_sequences)
    out, *states = layer(_x())
    assert out.shape == ((B, T, U) if return_sequences else (B, U))
    assert [s.shape for s in states] == [(B, U)] * n_states
    np.testing.assert_array_equal(states[0].numpy(),
                                  (out[:, -1] if return_sequences else out).numpy())
    assert layer.compute_output_shape((None, T, F)) == [
        (None, T, U) if return_sequences else (None, U), *[(None, U)] * n_states]


def test_keras2_list_input_carries_the_initial_states():
    x, h0, c0 = _x(), np.ones((B, U), "float32"), np.zeros((B, U), "float32")
    layer = LSTM(U)
    np.testing.assert_allclose(layer([x, h0, c0]).numpy(),
                               layer(x, initial_state=[h0, c0]).numpy())


def test_initial_state_of_the_wrong_shape_is_refused():
    layer = LSTM(U)
    with pytest.raises(ValueError, match=r"`initial_state` must be 2 tensor\(s\) of shape"):
        layer(_x(), initial_state=[np.zeros((B, U), "float32")])
    with pytest.raises(ValueError, match=r"Received shape\(s\) \[\(3, 2\), \(3, 5\)\]"):
        layer(_x(), initial_state=[np.zeros((B, 2)), np.zeros((B, U))])


# -- dropout --------------------------------------------------------------------------------

@pytest.mark.parametrize("fused", [True, False])
def test_one_dropout_mask_per_sequence(fused):
    # kernel = I, no recurrence: each step's output is tanh(x_t * mask), so with x = 1 every
    # step shows the same mask
    activation = "tanh" if fused else (lambda z: ops.tanh(z))
    layer = SimpleRNN(F, activation=activation, dropout=0.5, return_sequences=True, seed=3)
    x = np.ones((8, T, F), "float32")
    layer(x)
    layer.set_weights([np.eye(F), np.zeros((F, F)), np.zeros(F)])
    out = layer(x, training=True).numpy()
    np.testing.assert_array_equal(out, np.repeat(out[:, :1], T, axis=1))
    values = np.unique(np.round(out, 6))
    np.testing.assert_allclose(values, [0.0, np.round(np.tanh(2.0), 6)])
    assert not np.array_equal(out, layer(x, training=True).numpy()), "new masks per call"
    np.testing.assert_allclose(layer(x).numpy(), np.tanh(1.0), rtol=1e-6)  # inference


def test_dropout_masks_are_seeded():
    x = _x()
    a, b = LSTM(U, dropout=0.3, recurrent_dropout=0.3, seed=7), LSTM(U, dropout=0.3,
                                                                      recurrent_dropout=0.3,
                                                                      seed=7)
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
    gn.seed(11)
    c = GRU(U, dropout=0.5)
    c(x)
    first = c(x, training=True).numpy()
    gn.seed(11)
    d = GRU(U, dropout=0.5)
    d(x)
    np.testing.assert_array_equal(first, d(x, training=True).numpy())


def test_recurrent_dropout_changes_the_training_output_only():
    x = _x()
    layer = GRU(U, recurrent_dropout=0.5, seed=1)
    plain = layer(x).numpy()
    assert not np.allclose(layer(x, training=True).numpy(), plain)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), plain)


# -- initial weights and penalties ------------------------------------------------------------

def test_initializers_as_keras():
    layer = LSTM(U)
    layer(_x())
    bias = layer.cell.bias.numpy()
    np.testing.assert_array_equal(bias[U:2 * U], 1.0)  # unit_forget_bias
    assert not bias[:U].any() and not bias[2 * U:].any()
    recurrent = layer.cell.recurrent_kernel.numpy()  # orthogonal: (U, 4U), rows orthonormal
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(U), atol=1e-5)
    limit = np.sqrt(6 / (F + 4 * U))  # glorot_uniform
    assert np.abs(layer.cell.kernel.numpy()).max() <= limit
    no_forget = LSTM(U, unit_forget_bias=False)
    no_forget(_x())
    assert not no_forget.cell.bias.numpy().any()


def test_regularizers_add_losses():
    layer = LSTM(U, kernel_regularizer="l2", recurrent_regularizer=gn.keras.regularizers.L1(0.1),
                 bias_regularizer="l2", activity_regularizer="l2")
    out = layer(_x())
    assert len(layer.losses) == 4
    expected = 0.1 * np.abs(layer.cell.recurrent_kernel.numpy()).sum()
    assert any(np.isclose(float(t.numpy()), expected, rtol=1e-5) for t in layer.losses)
    assert np.isclose(float(layer.losses[-1].numpy()),  # per sample, as Keras 3
                      0.01 * (out.numpy() ** 2).sum() / out.shape[0], rtol=1e-5)


# -- masks passed on ---------------------------------------------------------------------------

def test_the_mask_rides_on_the_output_of_a_sequence():
    x = tensor(_x())
    mask = np.ones((B, T), bool)
    mask[0, 4:] = False
    x._keras_mask = tensor(mask)
    seq = LSTM(U, return_sequences=True)(x)
    np.testing.assert_array_equal(seq._keras_mask.numpy(), mask)
    assert getattr(LSTM(U)(x), "_keras_mask", None) is None
    out, h, c = LSTM(U, return_sequences=True, return_state=True)(x)
    assert out._keras_mask is not None and getattr(h, "_keras_mask", None) is None
    # the mask was used: the padded steps of sample 0 repeat its step 3
    np.testing.assert_array_equal(seq.numpy()[0, 4:], np.repeat(seq.numpy()[0, 3:4], 2, 0))


def test_zero_output_for_mask():
    mask = np.ones((B, T), bool)
    mask[1, 3:] = False
    out = LSTM(U, return_sequences=True, zero_output_for_mask=True)(_x(), mask=mask).numpy()
    assert not out[1, 3:].any() and out[1, :3].all()
