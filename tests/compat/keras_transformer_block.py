"""A Transformer block as a custom layer: attention written with ops.einsum and
ops.softmax, checked against ops.dot_product_attention, then trained on a toy task
(is the sequence's sum positive?). Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops


class SelfAttention(layers.Layer):
    def __init__(self, num_heads, key_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.key_dim = num_heads, key_dim

    def build(self, input_shape):
        d = input_shape[-1]
        inner = self.num_heads * self.key_dim
        self.wq = self.add_weight(shape=(d, inner), initializer="glorot_uniform")
        self.wk = self.add_weight(shape=(d, inner), initializer="glorot_uniform")
        self.wv = self.add_weight(shape=(d, inner), initializer="glorot_uniform")
        self.wo = self.add_weight(shape=(inner, d), initializer="glorot_uniform")

    def heads(self, x):
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        return ops.reshape(x, (b, t, self.num_heads, self.key_dim))

    def call(self, x):
        q = self.heads(ops.matmul(x, self.wq))
        k = self.heads(ops.matmul(x, self.wk))
        v = self.heads(ops.matmul(x, self.wv))
        scores = ops.einsum("btnh,bsnh->bnts", q, k) / ops.sqrt(float(self.key_dim))
        weights = ops.softmax(scores, axis=-1)
        out = ops.einsum("bnts,bsnh->btnh", weights, v)
        reference = ops.dot_product_attention(q, k, v)
        assert np.allclose(ops.convert_to_numpy(out), ops.convert_to_numpy(reference),
                           atol=1e-5)
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        return ops.matmul(ops.reshape(out, (b, t, -1)), self.wo)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, **kwargs):
        super().__init__(**kwargs)
        self.att = SelfAttention(num_heads, embed_dim // num_heads)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"),
                                     layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        out1 = self.norm1(inputs + self.att(inputs))
        return self.norm2(out1 + self.ffn(out1))


keras.utils.set_random_seed(2)
rng = np.random.default_rng(2)
x = rng.standard_normal((512, 6, 1)).astype("float32")
y = (x.sum(axis=(1, 2)) > 0).astype("float32")

inputs = keras.Input(shape=(6, 1))
h = layers.Dense(16)(inputs)
h = TransformerBlock(16, 2, 32)(h)
h = layers.GlobalAveragePooling1D()(h)
outputs = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
              metrics=["accuracy"])
history = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
accuracy = history.history["accuracy"][-1]
assert accuracy > 0.85, history.history
print("ok", accuracy)
