"""ONNX export of the sequence layers: each runs in onnxruntime like ``predict``, masks
included (right padding, left padding and holes), through public imports only."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.io import export_onnx
from glassnet.keras import layers

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RTOL, ATOL = 1e-4, 1e-5
_FEED_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32,
               "tensor(float)": np.float32, "tensor(bool)": bool}


def padded_ids(kind, batch=6, length=9, vocab=30, seed=0):
    """Token ids with padding 0: "right" (trailing), "left" (leading) or "holes" (anywhere);
    one row is all padding."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, (batch, length))
    lengths = [length, 5, 1, 0, 3, 7][:batch]
    for row, n in enumerate(lengths):
        if kind == "right":
            ids[row, n:] = 0
        elif kind == "left":
            ids[row, :length - n] = 0
        elif kind == "holes":
            ids[row, rng.random(length) < 0.4] = 0
    if kind == "holes":
        ids[3] = 0
    return ids


def randomize(model, scale=0.5, seed=1):
    """Weights drawn from N(0, scale): outputs far from zero, so agreement means something."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign((rng.normal(size=w.shape) * scale).astype(w.data.dtype))
    return model


def run_onnx(path, xs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.asarray(x).astype(_FEED_TYPES[i.type])
             for i, x in zip(session.get_inputs(), xs)}
    return session.run(None, feeds)[0]


def assert_exports_like_predict(model, xs, tmp_path, opset=17):
    xs = xs if isinstance(xs, list) else [xs]
    path = tmp_path / "model.onnx"
    proto = export_onnx(model, path, opset=opset)
    onnx.checker.check_model(onnx.load(str(path)))
    got = run_onnx(path, xs)
    want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    return proto


def attributes(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def op_types(proto):
    return {node.op_type for node in proto.graph.node}


def ids_model(*body, length=9, dtype="int32", vocab=30, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((length,), dtype=dtype),
                              layers.Embedding(vocab, 6, mask_zero=True), *body])
    return randomize(model)


def float_model(*body, shape=(9, 4), seed=0):
    keras.utils.set_random_seed(seed)
    return randomize(keras.Sequential([keras.Input(shape), *body]))


RECURRENT = {
    "lstm": lambda **kw: layers.LSTM(5, **kw),
    "gru": lambda **kw: layers.GRU(5, **kw),
    "gru_reset_before": lambda **kw: layers.GRU(5, reset_after=False, **kw),
    "simple_rnn": lambda **kw: layers.SimpleRNN(5, **kw),
    "rnn_lstm_cell": lambda **kw: layers.RNN(layers.LSTMCell(5), **kw),
    "stacked_cells": lambda **kw: layers.RNN(
        layers.StackedRNNCells([layers.GRUCell(4), layers.LSTMCell(5)]), **kw),
}


@pytest.mark.parametrize("padding", ["right", "left", "holes"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", sorted(RECURRENT))
def test_recurrent_layers_with_masks_match_predict(kind, return_sequences, go_backwards,
                                                   padding, tmp_path):
    layer = RECURRENT[kind](return_sequences=return_sequences, go_backwards=go_backwards)
    proto = assert_exports_like_predict(ids_model(layer), padded_ids(padding), tmp_path)
    assert op_types(proto) & {"LSTM", "GRU", "RNN"}


@pytest.mark.parametrize("kind", sorted(RECURRENT))
def test_recurrent_layers_without_a_mask(kind, tmp_path):
    x = np.random.default_rng(2).normal(size=(4, 9, 4))
    for flags in ({}, {"return_sequences": True, "go_backwards": True}):
        assert_exports_like_predict(float_model(RECURRENT[kind](**flags)), x, tmp_path)


@pytest.mark.parametrize("activation", ["relu", "softsign", "elu"])
def test_other_activations_are_the_operators_attributes(activation, tmp_path):
    x = np.random.default_rng(2).normal(size=(4, 9, 4))
    model = float_model(layers.LSTM(5, activation=activation, recurrent_activation="sigmoid",
                                     return_sequences=True),
                        layers.SimpleRNN(3, activation=activation))
    assert_exports_like_predict(model, x, tmp_path)


def test_gate_layouts_and_attributes(tmp_path):
    """LSTM gates i, f, c, o become ONNX's i, o, f, c; GRU's reset_after is
    linear_before_reset and its recurrent bias is ONNX's Rb."""
    model = ids_model(layers.LSTM(4, return_sequences=True), layers.GRU(3, return_sequences=True),
                      layers.GRU(2, reset_after=False))
    proto = assert_exports_like_predict(model, padded_ids("right"), tmp_path)
    nodes = {n.op_type: [] for n in proto.graph.node}
    for n in proto.graph.node:
        nodes[n.op_type].append(n)
    assert [attributes(n)["linear_before_reset"] for n in nodes["GRU"]] == [1, 0]
    init = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    lstm = model.layers[1].cell
    w = init[nodes["LSTM"][0].input[1]][0]
    u = lstm.units
    kernel = lstm.kernel.numpy()
    np.testing.assert_array_equal(w[u:2 * u], kernel[:, 3 * u:].T)  # ONNX o = Keras o
    np.testing.assert_array_equal(w[2 * u:3 * u], kernel[:, u:2 * u].T)  # ONNX f = Keras f
    gru = model.layers[2].cell
    b = init[nodes["GRU"][0].input[3]][0]
    np.testing.assert_array_equal(b[3 * gru.units:], gru.bias.numpy()[1])


@pytest.mark.parametrize("padding", ["right", "holes"])
def test_a_masked_sequence_gives_what_its_unpadded_steps_give(padding, tmp_path):
    """Keras's mask semantics, checked on the exported graph alone: a row with padding (at
    the end or anywhere) ends in the state the same steps reach without it."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((None,), dtype="int64")
    x = layers.Embedding(30, 6, mask_zero=True)(inp)
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
    model = randomize(keras.Model(inp, layers.GRU(3, go_backwards=True)(x)))
    export_onnx(model, tmp_path / "m.onnx")
    ids = padded_ids(padding, length=9)
    got = run_onnx(tmp_path / "m.onnx", [ids])
    for row in (1, 2, 4, 5):
        kept = ids[row][ids[row] != 0][None]
        alone = run_onnx(tmp_path / "m.onnx", [kept])
        np.testing.assert_allclose(got[row], alone[0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got, model.predict(ids, verbose=0), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_is_one_operator_in_both_directions(merge_mode, return_sequences,
                                                          tmp_path):
    model = ids_model(layers.Bidirectional(layers.LSTM(5, return_sequences=return_sequences),
                                           merge_mode=merge_mode))
    proto = assert_exports_like_predict(model, padded_ids("holes"), tmp_path)
    (node,) = [n for n in proto.graph.node if n.op_type == "LSTM"]
    assert attributes(node)["direction"] == b"bidirectional"


@pytest.mark.parametrize("padding", ["right", "holes"])
def test_bidirectional_with_a_backward_layer_of_another_kind(padding, tmp_path):
    model = ids_model(layers.Bidirectional(
        layers.LSTM(5, return_sequences=True),
        backward_layer=layers.GRU(5, go_backwards=True, return_sequences=True)),
        layers.Bidirectional(layers.SimpleRNN(3), merge_mode="sum"))
    proto = assert_exports_like_predict(model, padded_ids(padding), tmp_path)
    assert {"LSTM", "GRU", "RNN"} <= op_types(proto)


def test_stacked_layers_and_global_average_pooling_with_a_mask(tmp_path):
    model = ids_model(layers.Bidirectional(layers.GRU(5, return_sequences=True)),
                      layers.LSTM(4, return_sequences=True), layers.Dense(3),
                      layers.GlobalAveragePooling1D(), layers.Dense(2, activation="softmax"))
    for padding in ("right", "left", "holes"):
        assert_exports_like_predict(model, padded_ids(padding), tmp_path)


def test_masking_layer(tmp_path):
    x = np.random.default_rng(3).normal(size=(5, 9, 4))
    x[0, 6:] = 0.0
    x[1, :3] = 0.0
    x[2, 4] = 0.0
    x[3] = 0.0
    model = float_model(layers.Masking(0.0), layers.LSTM(5, return_sequences=True),
                        layers.GRU(3))
    assert_exports_like_predict(model, x, tmp_path)


@pytest.mark.parametrize("dtype,elem", [("int32", "INT32"), ("int64", "INT64")])
def test_token_ids_are_an_integer_graph_input(dtype, elem, tmp_path):
    model = ids_model(layers.LSTM(3), dtype=dtype)
    proto = assert_exports_like_predict(model, padded_ids("right"), tmp_path)
    (graph_input,) = proto.graph.input
    assert graph_input.type.tensor_type.elem_type == getattr(onnx.TensorProto, elem)
    assert "Gather" in op_types(proto)


def test_float_ids_are_cast_and_opset_18_reduces_take_axes_as_inputs(tmp_path):
    model = ids_model(layers.GRU(3, return_sequences=True), layers.GlobalAveragePooling1D(),
                      dtype="float32")
    proto = assert_exports_like_predict(model, padded_ids("holes").astype("float32"),
                                        tmp_path, opset=18)
    (graph_input,) = proto.graph.input
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT


def test_time_distributed_and_repeat_vector(tmp_path):
    x = np.random.default_rng(4).normal(size=(4, 9, 4))
    model = float_model(layers.TimeDistributed(layers.Dense(3, activation="relu")),
                        layers.LSTM(4), layers.RepeatVector(5),
                        layers.GRU(3, return_sequences=True),
                        layers.TimeDistributed(layers.Dense(2)))
    assert_exports_like_predict(model, x, tmp_path)


def test_layer_normalization_is_the_opset_17_operator(tmp_path):
    x = np.random.default_rng(5).normal(size=(4, 9, 4))
    model = float_model(layers.LayerNormalization(epsilon=1e-6), layers.Dense(3),
                        layers.LayerNormalization(center=False))
    proto = assert_exports_like_predict(model, x, tmp_path)
    assert "LayerNormalization" in op_types(proto)
    with pytest.raises(ValueError, match="LayerNormalization needs opset 17"):
        export_onnx(model, tmp_path / "old.onnx", opset=16)


@pytest.mark.parametrize("arguments", [
    {"kernel_size": 3, "strides": 2, "padding": "same"},
    {"kernel_size": 3, "strides": 2},
    {"kernel_size": 2, "strides": 4, "padding": "same"},
    {"kernel_size": 4, "strides": 3, "padding": "same", "output_padding": 1},
    {"kernel_size": 3, "strides": 2, "output_padding": 1, "activation": "relu"},
    {"kernel_size": 3, "dilation_rate": 2, "padding": "same", "use_bias": False},
])
def test_conv1d_transpose(arguments, tmp_path):
    x = np.random.default_rng(6).normal(size=(3, 7, 4))
    proto = assert_exports_like_predict(float_model(layers.Conv1DTranspose(3, **arguments),
                                                    shape=(7, 4)), x, tmp_path)
    assert "ConvTranspose" in op_types(proto)


def transformer_block(length=9, causal=False, use_gate=False, vocab=30, seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((length,), dtype="int64")
    x = layers.Embedding(vocab, 8, mask_zero=True)(inp)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4, use_gate=use_gate)(
        x, x, use_causal_mask=causal)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attended]))
    ffn = layers.Dense(8)(layers.Dense(16, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, ffn]))
    return inp, x


@pytest.mark.parametrize("length", [9, None])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_with_padding_and_causal_masks(length, causal, tmp_path):
    inp, x = transformer_block(length, causal)
    model = randomize(keras.Model(inp, x))
    for padding in ("right", "holes"):
        proto = assert_exports_like_predict(model, padded_ids(padding), tmp_path)
    assert {"MatMul", "Softmax", "Transpose", "Reshape"} <= op_types(proto)
    assert ("Trilu" in op_types(proto)) == (causal and length is None)


def test_multi_head_attention_gate_cross_attention_and_attention_mask(tmp_path):
    keras.utils.set_random_seed(0)
    inp, x = transformer_block(use_gate=True)
    assert_exports_like_predict(randomize(keras.Model(inp, x)), padded_ids("holes"), tmp_path)
    query, value, key = keras.Input((5, 6)), keras.Input((7, 4)), keras.Input((7, 3))
    allowed = keras.Input((5, 7), dtype="bool")
    out = layers.MultiHeadAttention(3, 2, value_dim=5, output_shape=(2, 4))(
        query, value, key, attention_mask=allowed)
    model = randomize(keras.Model([query, value, key, allowed], out))
    rng = np.random.default_rng(7)
    mask = rng.random((4, 5, 7)) > 0.3
    mask[0, 1] = False  # a query that may attend to nothing: zeros, as Keras
    xs = [rng.normal(size=(4, 5, 6)), rng.normal(size=(4, 7, 4)), rng.normal(size=(4, 7, 3)),
          mask]
    assert_exports_like_predict(model, xs, tmp_path)


@pytest.mark.parametrize("make", [
    lambda: layers.Attention(),
    lambda: layers.Attention(use_scale=True),
    lambda: layers.Attention(score_mode="concat", use_scale=True),
    lambda: layers.AdditiveAttention(),
    lambda: layers.AdditiveAttention(use_scale=False),
], ids=["dot", "dot_scaled", "concat", "additive", "additive_unscaled"])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_and_additive_attention(make, causal, tmp_path):
    keras.utils.set_random_seed(0)
    query, value = keras.Input((9,), dtype="int32"), keras.Input((7,), dtype="int32")
    embed = layers.Embedding(30, 4, mask_zero=True)
    out = make()([embed(query), embed(value)], use_causal_mask=causal)
    model = randomize(keras.Model([query, value], layers.GlobalAveragePooling1D()(out)))
    xs = [padded_ids("holes"), padded_ids("right", length=7, seed=1)]
    assert_exports_like_predict(model, xs, tmp_path)


class SumCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))

    def call(self, inputs, states):
        out = keras.ops.matmul(inputs, self.kernel) + states[0]
        return out, [out]


def test_layers_without_an_onnx_form_are_listed_in_one_error(tmp_path):
    vectorizer = layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vectorizer.adapt(["a b c", "c d e"])
    text = keras.Input((1,), dtype="string")
    x = layers.Embedding(20, 4, mask_zero=True)(vectorizer(text))
    joined = layers.Concatenate()([layers.RNN(SumCell(3), return_sequences=True)(x),
                                   layers.LSTM(3, return_sequences=True)(x)])
    model = keras.Model(text, joined)
    with pytest.raises(ValueError, match="no ONNX export") as info:
        export_onnx(model, tmp_path / "x.onnx")
    message = str(info.value)
    assert "TextVectorization: string preprocessing" in message
    assert "the cell SumCell has no ONNX operator" in message
    assert "(LSTM:" not in message and not (tmp_path / "x.onnx").exists()
    models = {
        "ConvLSTM2D: a convolutional recurrence": keras.Sequential(
            [keras.Input((4, 5, 6, 2)), layers.ConvLSTM2D(2, 3)]),
        "stateful": keras.Sequential([keras.Input(batch_shape=(2, 5, 3)),
                                      layers.LSTM(2, stateful=True)]),
        "return_state": keras.Sequential([keras.Input((5, 3)), layers.GRU(2, return_state=True)]),
        "merge_mode=None": keras.Sequential([keras.Input((5, 3)), layers.Bidirectional(
            layers.LSTM(2), merge_mode=None)]),
    }
    for reason, model in models.items():
        with pytest.raises(ValueError, match=reason):
            export_onnx(model, tmp_path / "x.onnx")


# -- as a user would: train, export, serve padded batches -----------------------------------

def padded_texts(n, vocab, maxlen, rng, padding):
    lengths = rng.integers(3, maxlen + 10, n)
    rows = [list(rng.integers(1, vocab, m)) for m in lengths]
    return keras.utils.pad_sequences(rows, maxlen=maxlen, padding=padding, truncating=padding)


def test_imdb_style_bidirectional_lstm_trains_exports_and_serves(tmp_path):
    vocab, maxlen = 500, 40
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab, 16, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(8))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    x_train = padded_texts(128, vocab, maxlen, rng, "post")
    model.fit(x_train, rng.integers(0, 2, 128), batch_size=32, epochs=1, verbose=0)
    path = tmp_path / "imdb.onnx"
    model.export(path, format="onnx")
    for padding in ("post", "pre"):
        batch = padded_texts(16, vocab, maxlen, rng, padding)
        np.testing.assert_allclose(run_onnx(path, [batch.astype(np.int64)]),
                                   model.predict(batch, verbose=0), rtol=RTOL, atol=ATOL)


def test_transformer_classifier_trains_exports_and_serves(tmp_path):
    vocab, maxlen = 300, 32
    rng = np.random.default_rng(1)
    inp, x = transformer_block(maxlen, vocab=vocab)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(layers.Dense(16, activation="relu")(x))
    model = keras.Model(inp, layers.Dense(2, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x_train = padded_texts(128, vocab, maxlen, rng, "post")
    model.fit(x_train, rng.integers(0, 2, 128), batch_size=32, epochs=1, verbose=0)
    path = tmp_path / "transformer.onnx"
    model.export(path, format="onnx")
    batch = padded_texts(16, vocab, maxlen, rng, "post")
    np.testing.assert_allclose(run_onnx(path, [batch]), model.predict(batch, verbose=0),
                               rtol=RTOL, atol=ATOL)


def test_merged_masks_follow_keras(tmp_path):
    """Concatenate (features) keeps a step any input keeps; Add keeps one every input keeps."""
    keras.utils.set_random_seed(0)
    a, c = keras.Input((9,), dtype="int32"), keras.Input((9,), dtype="int32")
    x, y = layers.Embedding(30, 3, mask_zero=True)(a), layers.Embedding(30, 3, mask_zero=True)(c)
    joined = layers.LSTM(4, return_sequences=True)(layers.Concatenate()([x, y]))
    added = layers.GRU(4, return_sequences=True)(layers.Add()([x, y]))
    model = randomize(keras.Model([a, c], layers.Concatenate()([joined, added])))
    xs = [padded_ids("holes"), padded_ids("holes", seed=5)]
    assert_exports_like_predict(model, xs, tmp_path)
