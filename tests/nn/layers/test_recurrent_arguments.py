"""Recurrent layers: bad arguments and inputs name the layer and the argument; configs are
Keras's and round-trip."""

import numpy as np
import pytest

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

LAYERS = [SimpleRNN, LSTM, GRU]
CELLS = [SimpleRNNCell, LSTMCell, GRUCell]


@pytest.mark.parametrize("cls", LAYERS + CELLS)
@pytest.mark.parametrize("arguments,message", [
    ({"units": 0}, "expected a positive integer for `units`. Received: units=0"),
    ({"units": 2.5}, "expected a positive integer for `units`. Received: units=2.5"),
    ({"units": 4, "dropout": 1.5}, r"`dropout` must be a number in \[0, 1\)"),
    ({"units": 4, "recurrent_dropout": -0.1}, "Received: recurrent_dropout=-0.1"),
    ({"units": 4, "activation": "nope"}, "invalid `activation`"),
    ({"units": 4, "use_bias": "yes"}, "expected a boolean"),
    ({"units": 4, "kernel_initializer": "nope"}, "invalid `kernel_initializer`"),
    ({"units": 4, "kernel_constraint": "max_norm"}, "`kernel_constraint` is not supported"),
    ({"units": 4, "seed": -1}, "non-negative integer for `seed`"),
])
def test_bad_arguments_name_the_layer_and_the_argument(cls, arguments, message):
    with pytest.raises(ValueError, match=message) as info:
        cls(**arguments)
    assert str(info.value).startswith(cls.__name__ + ":")


@pytest.mark.parametrize("flag", ["return_sequences", "return_state", "go_backwards",
                                  "stateful", "unroll"])
def test_flags_must_be_booleans(flag):
    with pytest.raises(ValueError, match=f"LSTM: expected a boolean .* `{flag}`"):
        LSTM(4, **{flag: "yes"})


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="GRU: expected a boolean .* `reset_after`"):
        GRU(4, reset_after=1)
    with pytest.raises(ValueError, match="LSTM: `use_cudnn` must be one of"):
        LSTM(4, use_cudnn="yes")
    with pytest.raises(ValueError, match="LSTM: `implementation` must be 1 or 2"):
        LSTM(4, implementation=3)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        LSTM(4, time_steps=3)


@pytest.mark.parametrize("cls", LAYERS)
def test_a_2d_input_is_refused_in_keras_words(cls):
    layer = cls(4)
    with pytest.raises(ValueError, match=rf'Input 0 of layer "{layer.name}" is incompatible '
                                         r"with the layer: expected ndim=3, found ndim=2. "
                                         r"Full shape received: \(32, 8\)"):
        layer(np.ones((32, 8), "float32"))


def test_inputs_after_the_first_must_fit():
    layer = LSTM(4)
    layer(np.ones((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected 3 input features, received input of shape "
                                         r"\(2, 5, 7\)"):
        layer(np.ones((2, 5, 7), "float32"))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=4"):
        layer(np.ones((2, 5, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"the mask must have shape \(batch, timesteps\) = "
                                         r"\(2, 5\). Received: mask of shape \(2, 4\)"):
        layer(np.ones((2, 5, 3), "float32"), mask=np.ones((2, 4), bool))


KERAS_LSTM_CONFIG = {
    "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
    "stateful", "unroll", "zero_output_for_mask", "units", "activation",
    "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout", "seed"}


def test_config_keys_are_keras():
    assert set(LSTM(4).get_config()) == KERAS_LSTM_CONFIG
    gru = set(GRU(4).get_config())
    assert gru == KERAS_LSTM_CONFIG - {"unit_forget_bias"} | {"reset_after"}
    assert set(SimpleRNN(4).get_config()) == KERAS_LSTM_CONFIG - {
        "unit_forget_bias", "recurrent_activation"}
    config = LSTM(4).get_config()
    assert config["activation"] == "tanh" and config["recurrent_activation"] == "sigmoid"
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"


@pytest.mark.parametrize("make", [
    lambda: LSTM(4, return_sequences=True, go_backwards=True, dropout=0.2, seed=3,
                 kernel_regularizer="l2", input_shape=(5, 3)),
    lambda: GRU(4, reset_after=False, stateful=True, activation="relu"),
    lambda: SimpleRNN(4, return_state=True, use_bias=False, bias_initializer="ones"),
    lambda: RNN(StackedRNNCells([LSTMCell(3), GRUCell(2)]), unroll=True),
    lambda: LSTMCell(3, recurrent_dropout=0.1),
])
def test_config_round_trips(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


def test_keras2_spellings():
    layer = LSTM(4, input_dim=3, input_length=5, implementation=1)
    assert layer.batch_input_shape == (None, 5, 3)
    assert LSTM(4).units == 4 and GRU(4).reset_after and LSTM(4).unit_forget_bias
