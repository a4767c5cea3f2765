"""Sequence layers in ``.keras`` files: every kind round-trips with identical predictions, a
user's cell comes back through custom_objects at any depth, and crafted configs for these
classes are refused before anything is allocated or read."""

import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from glassnet import keras
from glassnet.io.errors import UnsafeFileError
from glassnet.keras import layers

RNG = np.random.default_rng(0)
IDS = RNG.integers(1, 20, (5, 7))
IDS[0, 4:] = 0
IDS[1, :2] = 0
IDS[2, 3] = 0
SEQUENCES = RNG.normal(size=(5, 7, 4)).astype(np.float32)


class MinimalRNNCell(layers.Layer):
    """The cell of Keras's RNN guide: h_t = x_t W + h_{t-1} U."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel",
                                                shape=(self.units, self.units))

    def call(self, inputs, states):
        out = keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(states[0],
                                                                       self.recurrent_kernel)
        return out, [out]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


CUSTOM = {"MinimalRNNCell": MinimalRNNCell}


def round_trip(model, x, tmp_path, **load_args):
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", **load_args)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6, atol=1e-7)
    return loaded


def on_ids(*body):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((7,), dtype="int32"),
                             layers.Embedding(20, 6, mask_zero=True), *body])


def on_sequences(*body, shape=(7, 4)):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(shape), *body])


SEQUENTIAL_CASES = {
    "lstm": lambda: on_ids(layers.LSTM(5)),
    "gru": lambda: on_ids(layers.GRU(5, return_sequences=True)),
    "gru_reset_before": lambda: on_ids(layers.GRU(5, reset_after=False, go_backwards=True)),
    "simple_rnn": lambda: on_ids(layers.SimpleRNN(5, activation="relu")),
    **{f"bidirectional_{mode}": (lambda mode=mode: on_ids(
        layers.Bidirectional(layers.LSTM(5, return_sequences=True), merge_mode=mode),
        layers.GlobalAveragePooling1D())) for mode in ("concat", "sum", "mul", "ave")},
    "bidirectional_backward_layer": lambda: on_ids(layers.Bidirectional(
        layers.LSTM(5), backward_layer=layers.GRU(5, go_backwards=True))),
    "rnn_lstm_cell": lambda: on_sequences(layers.RNN(layers.LSTMCell(4))),
    "stacked_cells": lambda: on_sequences(layers.RNN(layers.StackedRNNCells(
        [layers.LSTMCell(4), layers.GRUCell(3)]), return_sequences=True)),
    "cell_list": lambda: on_sequences(layers.RNN([layers.SimpleRNNCell(4), layers.GRUCell(3)])),
    "time_distributed": lambda: on_sequences(layers.TimeDistributed(layers.Dense(3))),
    "repeat_vector": lambda: on_sequences(layers.LSTM(4), layers.RepeatVector(3),
                                          layers.LSTM(2, return_sequences=True)),
    "conv1d_transpose": lambda: on_sequences(layers.Conv1DTranspose(3, 3, strides=2,
                                                                    padding="same")),
    "masking": lambda: on_sequences(layers.Masking(), layers.GRU(3)),
}


@pytest.mark.parametrize("case", sorted(SEQUENTIAL_CASES))
def test_sequential_models_round_trip(case, tmp_path):
    model = SEQUENTIAL_CASES[case]()
    x = IDS if model.layers[0].__class__.__name__ == "Embedding" else SEQUENCES
    loaded = round_trip(model, x, tmp_path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]


def test_a_users_cell_comes_back_through_custom_objects(tmp_path):
    model = on_sequences(layers.RNN(MinimalRNNCell(4)))
    loaded = round_trip(model, SEQUENCES, tmp_path, custom_objects=CUSTOM)
    assert isinstance(loaded.layers[0].cell, MinimalRNNCell)
    with pytest.raises(ValueError, match="unknown layer class 'MinimalRNNCell'.*custom_objects"):
        keras.models.load_model(tmp_path / "m.keras")


def test_a_users_cell_inside_a_stack_comes_back_through_custom_objects(tmp_path):
    model = on_sequences(layers.RNN([MinimalRNNCell(4), layers.GRUCell(3)],
                                    return_sequences=True))
    loaded = round_trip(model, SEQUENCES, tmp_path, custom_objects=CUSTOM)
    first, second = loaded.layers[0].cell.cells
    assert isinstance(first, MinimalRNNCell) and isinstance(second, layers.GRUCell)


def test_stateful_layers_load_with_their_states_at_zero(tmp_path):
    """As Keras: the carried states are not saved; a loaded model starts as after
    reset_states()."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(batch_shape=(5, 7, 4)),
                              layers.LSTM(3, stateful=True)])
    first = model.predict(SEQUENCES, verbose=0)
    second = model.predict(SEQUENCES, verbose=0)
    assert not np.allclose(first, second)
    model.save(tmp_path / "s.keras")
    loaded = keras.models.load_model(tmp_path / "s.keras")
    assert loaded.layers[0].stateful
    np.testing.assert_allclose(loaded.predict(SEQUENCES, verbose=0), first, rtol=1e-6)


def transformer_block():
    keras.utils.set_random_seed(0)
    inp = keras.Input((7,), dtype="int32")
    x = layers.Embedding(20, 8, mask_zero=True)(inp)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization()(layers.Add()([x, attended]))
    x = layers.LayerNormalization()(layers.Add()([x, layers.Dense(8)(
        layers.Dense(16, activation="relu")(x))]))
    return keras.Model(inp, layers.Dense(3)(x))


def test_a_transformer_block_keeps_its_causal_mask(tmp_path):
    model = transformer_block()
    loaded = round_trip(model, IDS, tmp_path)
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        config = json.loads(z.read("config.json"))
    (entry,) = [e for e in config["config"]["layers"] if e["class_name"] == "MultiHeadAttention"]
    assert entry["calls"][0]["kwargs"] == {"use_causal_mask": True}
    later = IDS.copy()
    later[:, 5:] = 3  # the later steps change; causal attention keeps the earlier outputs
    np.testing.assert_allclose(loaded.predict(later, verbose=0)[:, :5],
                               loaded.predict(IDS, verbose=0)[:, :5], rtol=1e-5, atol=1e-6)


def test_attention_layers_in_a_functional_model(tmp_path):
    keras.utils.set_random_seed(0)
    query, value = keras.Input((7, 4)), keras.Input((6, 4))
    dot = layers.Attention(use_scale=True, score_mode="concat")([query, value])
    additive = layers.AdditiveAttention()([query, value], use_causal_mask=True)
    model = keras.Model([query, value], layers.Concatenate()([dot, additive]))
    round_trip(model, [SEQUENCES, SEQUENCES[:, :6]], tmp_path)


def test_text_vectorization_carries_its_adapted_vocabulary(tmp_path):
    texts = np.array([["the cat sat on the mat"], ["a dog ate my homework"], ["the end"]])
    vectorizer = layers.TextVectorization(max_tokens=40, output_sequence_length=6)
    vectorizer.adapt(texts[:, 0])
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(1,), dtype="string")
    x = layers.Embedding(40, 4, mask_zero=True)(vectorizer(inp))
    model = keras.Model(inp, layers.Dense(2)(layers.GRU(3)(x)))
    loaded = round_trip(model, texts, tmp_path)
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        config = json.loads(z.read("config.json"))
    (entry,) = [e for e in config["config"]["layers"] if e["class_name"] == "TextVectorization"]
    assert entry["config"]["vocabulary"] == vectorizer.get_vocabulary()[2:]
    (restored,) = [layer for layer in loaded.layers
                   if isinstance(layer, layers.TextVectorization)]
    assert restored.get_vocabulary() == vectorizer.get_vocabulary()


# -- crafted configs ------------------------------------------------------------------------

def edited(model, tmp_path, edit):
    """``model`` saved, its config.json changed by ``edit(config)``, written back."""
    model.save(tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config)
    path = tmp_path / "crafted.keras"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def entry(config, class_name):
    return next(e["config"] for e in config["config"]["layers"]
                if e["class_name"] == class_name)


def refused(path, match, error=ValueError):
    tracemalloc.start()
    try:
        with pytest.raises(error, match=match) as info:
            keras.models.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 20 << 20
    return info.value


@pytest.mark.parametrize("units,match", [
    ("5", "expected a positive integer for `units`. Received: units='5'"),
    (5.5, "expected a positive integer for `units`. Received: units=5.5"),
    ([5], r"expected a positive integer for `units`. Received: units=\[5\]"),
    (True, "expected a positive integer for `units`. Received: units=True"),
    (0, "expected a positive integer for `units`. Received: units=0"),
])
def test_units_of_the_wrong_type_are_refused(units, match, tmp_path):
    path = edited(on_ids(layers.LSTM(5)), tmp_path,
                  lambda c: entry(c, "LSTM").__setitem__("units", units))
    refused(path, "LSTM: " + match)


@pytest.mark.parametrize("model,where", [
    (lambda: on_sequences(layers.Bidirectional(layers.LSTM(3))), ("Bidirectional", "layer")),
    (lambda: on_sequences(layers.Bidirectional(layers.LSTM(3))),
     ("Bidirectional", "backward_layer")),
    (lambda: on_sequences(layers.RNN(layers.LSTMCell(3))), ("RNN", "cell")),
    (lambda: on_sequences(layers.TimeDistributed(layers.Dense(3))), ("TimeDistributed", "layer")),
], ids=["bidirectional", "backward_layer", "rnn_cell", "time_distributed"])
def test_a_nested_config_naming_an_unknown_class_is_refused(model, where, tmp_path):
    outer, key = where

    def edit(config):
        entry(config, outer)[key]["class_name"] = "os.system"

    path = edited(model(), tmp_path, edit)
    refused(path, r"unknown layer class 'os.system'.*custom_objects")


def test_an_unknown_class_inside_a_stack_is_refused(tmp_path):
    model = on_sequences(layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)]))

    def edit(config):
        entry(config, "RNN")["cell"]["config"]["cells"][1]["class_name"] = "subprocess.Popen"

    refused(edited(model, tmp_path, edit), "unknown layer class 'subprocess.Popen'")


def _set(path_keys, value):
    def edit(config):
        target = entry(config, path_keys[0])
        for key in path_keys[1:-1]:
            target = target[key]
        target[path_keys[-1]] = value
    return edit


@pytest.mark.parametrize("model,keys", [
    (lambda: on_ids(layers.LSTM(5)), ("LSTM", "units")),
    (lambda: on_ids(layers.GRU(5)), ("Embedding", "input_dim")),
    (lambda: on_sequences(layers.Bidirectional(layers.GRU(3))),
     ("Bidirectional", "layer", "config", "units")),
    (lambda: on_sequences(layers.RNN(layers.LSTMCell(3))), ("RNN", "cell", "config", "units")),
    (lambda: on_sequences(layers.TimeDistributed(layers.Dense(3))),
     ("TimeDistributed", "layer", "config", "units")),
    (lambda: on_sequences(layers.Conv1DTranspose(3, 2)), ("Conv1DTranspose", "filters")),
], ids=["lstm", "embedding", "bidirectional", "rnn_cell", "time_distributed",
        "conv1d_transpose"])
def test_huge_sizes_are_refused_before_allocating(model, keys, tmp_path):
    path = edited(model(), tmp_path, _set(keys, 10**12))
    refused(path, "asks for more weights than model.weights.npz holds", UnsafeFileError)


def test_huge_attention_heads_are_refused_before_allocating(tmp_path):
    path = edited(transformer_block(), tmp_path, _set(("MultiHeadAttention", "num_heads"), 10**9))
    refused(path, "asks for more weights than model.weights.npz holds", UnsafeFileError)


@pytest.mark.parametrize("kwargs,match", [
    ({"use_causal_mask": "yes"}, "expected a boolean"),
    ({"query_mask": [[1, 0]]}, "`query_mask` cannot be given"),
    ({"evil": 1}, "unexpected keyword argument 'evil'"),
    ({"__class__": 1}, "unexpected keyword argument '__class__'"),
    ("use_causal_mask", "expected a mapping of argument names"),
])
def test_crafted_call_arguments_are_refused(kwargs, match, tmp_path):
    def edit(config):
        (mha,) = [e for e in config["config"]["layers"] if e["class_name"] == "MultiHeadAttention"]
        mha["calls"][0]["kwargs"] = kwargs

    refused(edited(transformer_block(), tmp_path, edit), match)


def text_model():
    vectorizer = layers.TextVectorization(max_tokens=50, output_sequence_length=6)
    vectorizer.adapt(["a b c", "b c d"])
    inp = keras.Input((1,), dtype="string")
    return keras.Model(inp, layers.Embedding(50, 4)(vectorizer(inp)))


@pytest.mark.parametrize("changes,match", [
    ({"vocabulary": "/etc/passwd"}, "gives `vocabulary` as the path '/etc/passwd'"),
    ({"vocabulary": [f"w{i}" for i in range(20_000)]},
     "holds 20000 tokens, more than its max_tokens=50"),
    ({"output_mode": "multi_hot", "output_sequence_length": None, "pad_to_max_tokens": True,
      "max_tokens": 10**12}, "pads to max_tokens=1000000000000, over the 16777216 columns"),
])
def test_crafted_text_vectorization_configs_are_refused(changes, match, tmp_path):
    path = edited(text_model(), tmp_path,
                  lambda c: entry(c, "TextVectorization").update(changes))
    refused(path, match)


def test_a_lookup_padded_to_a_huge_width_is_refused_before_allocating(tmp_path):
    lookup = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="tf_idf",
                                 idf_weights=[1.0, 2.0, 3.0], max_tokens=10,
                                 pad_to_max_tokens=True)
    inp = keras.Input((3,), dtype="string")
    path = edited(keras.Model(inp, lookup(inp)), tmp_path,
                  _set(("StringLookup", "max_tokens"), 10**9))  # 4 GB of idf weights
    refused(path, "pads to max_tokens=1000000000")
