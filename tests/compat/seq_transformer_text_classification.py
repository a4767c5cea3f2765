"""keras.io "Text classification with Transformer": a TransformerBlock (MultiHeadAttention,
feed-forward network, LayerNormalization, Dropout) and a TokenAndPositionEmbedding
(keras.ops.arange over positions) as custom layers, on synthetic reviews. A review is
positive when it holds more "good" tokens (id 3) than "bad" ones (id 4); every review holds
both, so no single word decides. Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


vocab_size = 500  # Only consider the top 500 words
maxlen = 24  # Only consider the first 24 words of each review
GOOD, BAD = 3, 4

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)


def make_reviews(n):
    """Reviews of random words with 1..4 "good" and 1..4 "bad" words, never as many of each;
    positive when "good" words are the majority."""
    x = rng.integers(5, vocab_size, size=(n, maxlen))
    n_good = rng.integers(1, 5, size=n)
    n_bad = (n_good + rng.integers(1, 4, size=n) - 1) % 4 + 1  # 1..4, never n_good
    order = np.argsort(rng.random((n, maxlen)), axis=1)  # distinct random slots per review
    slot = np.arange(maxlen)
    good_slots = slot[None, :] < n_good[:, None]
    bad_slots = (slot[None, :] >= n_good[:, None]) & (slot[None, :] < (n_good + n_bad)[:, None])
    rows = np.arange(n)[:, None].repeat(maxlen, axis=1)
    x[rows[good_slots], order[good_slots]] = GOOD
    x[rows[bad_slots], order[bad_slots]] = BAD
    return x, (n_good > n_bad).astype(int)


(x_train, y_train), (x_val, y_val) = make_reviews(2000), make_reviews(400)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

embed_dim = 32  # Embedding size for each token
num_heads = 2  # Number of attention heads
ff_dim = 32  # Hidden layer size in feed forward network inside transformer

inputs = layers.Input(shape=(maxlen,))
embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
x = embedding_layer(inputs)
transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
x = transformer_block(x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu")(x)
x = layers.Dropout(0.1)(x)
outputs = layers.Dense(2, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
model.summary()
assert tuple(x.shape) == (None, 20)
# token 500*32 + position 24*32; attention 4 projections of 32 -> 2 heads x 32 (+ biases);
# FFN 32*32+32 twice; two LayerNorms 2*32 each; head 32*20+20 and 20*2+2
attention = 3 * (32 * 64 + 64) + (64 * 32 + 32)
expected = 500 * 32 + 24 * 32 + attention + 2 * (32 * 32 + 32) + 2 * 64 + 32 * 20 + 20 + 42
assert model.count_params() == expected, (model.count_params(), expected)

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=4, validation_data=(x_val, y_val),
                    verbose=2)
print(history.history)
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history
# chance is 0.5; every review holds both tokens
assert history.history["val_accuracy"][-1] > 0.9, history.history

probabilities = model.predict(x_val[:5], verbose=0)
assert probabilities.shape == (5, 2)
np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
# Dropout is off in inference: two predictions agree
np.testing.assert_allclose(model.predict(x_val[:5], verbose=0), probabilities, atol=1e-6)
print("ok", history.history["val_accuracy"][-1])
