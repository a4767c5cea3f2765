"""Attention layers as their Keras docstrings use them: MultiHeadAttention on keras.Input
(return_attention_scores, attention_axes), recomputed by hand from its weights; use_causal_mask
and attention_mask checked on the returned scores (zero where masked, rows summing to 1, with
dropout in training too); and the Attention / AdditiveAttention docstring's query-document
model (a shared Embedding and Conv1D, attention, GlobalAveragePooling1D, Concatenate) trained
on a toy retrieval task: does the document contain the query's word? Only the import
changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops

keras.utils.set_random_seed(6)
rng = np.random.default_rng(6)


def numpy_of(x):
    return ops.convert_to_numpy(x)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --- MultiHeadAttention: the docstring's cross-attention example
layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
target = keras.Input(shape=[8, 16])
source = keras.Input(shape=[4, 16])
output_tensor, weights = layer(target, source, return_attention_scores=True)
print(output_tensor.shape)
print(weights.shape)
assert tuple(output_tensor.shape) == (None, 8, 16)
assert len(weights.shape) == 4 and tuple(weights.shape[:3]) == (None, 2, 8)
# query, key and value projections 16 -> 2 heads x 2 (+ bias), output 2 x 2 -> 16 (+ bias)
assert layer.count_params() == 3 * (16 * 4 + 4) + (4 * 16 + 16)

# The same computation by hand from the layer's weights.
query = rng.normal(size=(3, 8, 16)).astype("float32")
value = rng.normal(size=(3, 4, 16)).astype("float32")
out, scores = layer(query, value, return_attention_scores=True)
assert tuple(scores.shape) == (3, 2, 8, 4)
wq, bq, wk, bk, wv, bv, wo, bo = [numpy_of(w) for w in layer.weights]
assert wq.shape == (16, 2, 2) and wo.shape == (2, 2, 16)
q = np.einsum("btd,dnh->btnh", query, wq) + bq
k = np.einsum("bsd,dnh->bsnh", value, wk) + bk
v = np.einsum("bsd,dnh->bsnh", value, wv) + bv
expected_scores = softmax(np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(2.0))
expected = np.einsum("bnts,bsnh->btnh", expected_scores, v)
expected = np.einsum("btnh,nhd->btd", expected, wo) + bo
np.testing.assert_allclose(numpy_of(scores), expected_scores, rtol=1e-4, atol=1e-5)
np.testing.assert_allclose(numpy_of(out), expected, rtol=1e-4, atol=1e-5)

# attention_axes: attend over axes 2 and 3 of a 5D input
layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(2, 3))
input_tensor = keras.Input(shape=[5, 3, 4, 16])
output_tensor = layer(input_tensor, input_tensor)
print(output_tensor.shape)
assert tuple(output_tensor.shape) == (None, 5, 3, 4, 16)

# --- Causal self-attention: no position attends to a later one
mha = layers.MultiHeadAttention(num_heads=4, key_dim=8, dropout=0.5)
sequence = rng.normal(size=(2, 6, 16)).astype("float32")
above = np.triu(np.ones((6, 6), dtype=bool), k=1)
for training in (False, True):
    out, scores = mha(sequence, sequence, use_causal_mask=True,
                      return_attention_scores=True, training=training)
    scores = numpy_of(scores)
    assert scores.shape == (2, 4, 6, 6) and numpy_of(out).shape == (2, 6, 16)
    assert np.all(scores[..., above] == 0.0), scores[0, 0]
    if not training:
        np.testing.assert_allclose(scores.sum(axis=-1), 1.0, rtol=1e-5)
        first_row = scores[..., 0, 0]  # the first position sees only itself
        np.testing.assert_allclose(first_row, 1.0, rtol=1e-6)

# The causal output at step t depends on steps <= t only: changing the last step leaves the
# others as they were.
changed = sequence.copy()
changed[:, -1] += 1.0
a = numpy_of(mha(sequence, sequence, use_causal_mask=True))
b = numpy_of(mha(changed, changed, use_causal_mask=True))
np.testing.assert_allclose(a[:, :-1], b[:, :-1], atol=1e-5)
assert not np.allclose(a[:, -1], b[:, -1])

# An explicit attention_mask (batch, target, source): True = may attend.
attention_mask = rng.random((2, 6, 6)) > 0.4
attention_mask[:, :, 0] = True  # every query sees at least one key
_, scores = mha(sequence, sequence, attention_mask=attention_mask,
                return_attention_scores=True)
scores = numpy_of(scores)
assert np.all(scores.transpose(1, 0, 2, 3)[:, ~attention_mask] == 0.0)
np.testing.assert_allclose(scores.sum(axis=-1), 1.0, rtol=1e-5)

# --- Attention and AdditiveAttention, by hand
q_seq = rng.normal(size=(2, 3, 5)).astype("float32")
v_seq = rng.normal(size=(2, 4, 5)).astype("float32")
att, att_scores = layers.Attention()([q_seq, v_seq], return_attention_scores=True)
expected_scores = softmax(np.einsum("bqd,bvd->bqv", q_seq, v_seq))
np.testing.assert_allclose(numpy_of(att_scores), expected_scores, rtol=1e-4, atol=1e-6)
np.testing.assert_allclose(numpy_of(att), expected_scores @ v_seq, rtol=1e-4, atol=1e-5)

additive = layers.AdditiveAttention()
add = numpy_of(additive([q_seq, v_seq]))
scale = numpy_of(additive.weights[0])
assert scale.shape == (5,)
add_scores = softmax(np.sum(scale * np.tanh(q_seq[:, :, None] + v_seq[:, None]), axis=-1))
np.testing.assert_allclose(add, add_scores @ v_seq, rtol=1e-4, atol=1e-5)

# A value mask hides padded document positions.
value_mask = np.array([[True, True, False, False], [True, True, True, True]])
_, masked_scores = layers.Attention()([q_seq, v_seq], mask=[None, value_mask],
                                      return_attention_scores=True)
masked_scores = numpy_of(masked_scores)
assert np.all(masked_scores[0, :, 2:] == 0.0)
np.testing.assert_allclose(masked_scores.sum(axis=-1), 1.0, rtol=1e-5)

# --- The docstring's query-document model, trained
max_tokens = 50
dimension = 16
n, query_length, document_length = 1500, 1, 10


def make_pairs(n):
    """A one-word query and a document of 10 words; label 1 when the document contains the
    query's word. All words are drawn from 4..49, so only matching tells."""
    queries = rng.integers(4, max_tokens, size=(n, query_length))
    documents = rng.integers(4, max_tokens, size=(n, document_length))
    first = queries[:, :1]
    # No accidental matches: shift a colliding word to the next one (cyclically in 4..49).
    documents = np.where(documents == first, (documents - 3) % (max_tokens - 4) + 4, documents)
    labels = rng.integers(0, 2, size=n)
    where = rng.integers(0, document_length, size=n)
    rows = np.arange(n)
    documents[rows, where] = np.where(labels == 1, first[:, 0], documents[rows, where])
    return queries, documents, labels


for attention_layer in (layers.Attention, layers.AdditiveAttention):
    # Variable-length int sequences.
    query_input = keras.Input(shape=(None,), dtype="int32")
    value_input = keras.Input(shape=(None,), dtype="int32")

    # Embedding lookup.
    token_embedding = layers.Embedding(input_dim=max_tokens, output_dim=dimension)
    # Query embeddings of shape [batch_size, Tq, dimension].
    query_embeddings = token_embedding(query_input)
    # Value embeddings of shape [batch_size, Tv, dimension].
    value_embeddings = token_embedding(value_input)

    # CNN layer.
    cnn_layer = layers.Conv1D(
        filters=32,
        kernel_size=1,
        # Use 'same' padding so outputs have the same shape as inputs.
        padding="same",
    )
    # Query encoding of shape [batch_size, Tq, filters].
    query_seq_encoding = cnn_layer(query_embeddings)
    # Value encoding of shape [batch_size, Tv, filters].
    value_seq_encoding = cnn_layer(value_embeddings)

    # Query-value attention of shape [batch_size, Tq, filters].
    query_value_attention_seq = attention_layer()([query_seq_encoding, value_seq_encoding])

    # Reduce over the sequence axis to produce encodings of shape
    # [batch_size, filters].
    query_encoding = layers.GlobalAveragePooling1D()(query_seq_encoding)
    query_value_attention = layers.GlobalAveragePooling1D()(query_value_attention_seq)

    # Concatenate query and document encodings to produce a DNN input layer.
    input_layer = layers.Concatenate()([query_encoding, query_value_attention])

    # Add DNN layers, and create Model.
    hidden = layers.Dense(32, activation="relu")(input_layer)
    output = layers.Dense(1, activation="sigmoid")(hidden)
    model = keras.Model([query_input, value_input], output)
    assert tuple(query_value_attention_seq.shape) == (None, None, 32)

    queries, documents, labels = make_pairs(n)
    assert model.predict([queries[:4], documents[:4]], verbose=0).shape == (4, 1)
    if attention_layer is layers.AdditiveAttention:
        continue  # its scores, v . tanh(q + k), do not measure q == k: only dot-product trains
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit([queries, documents], labels, batch_size=32, epochs=12,
                        validation_split=0.2, verbose=0)
    print(attention_layer.__name__, history.history["val_accuracy"])
    # chance is 0.5: the classes are balanced and share their vocabulary, so only matching
    # the query against the document's words tells them apart
    assert history.history["val_accuracy"][-1] > 0.85, history.history
print("ok")
