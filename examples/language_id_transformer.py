"""Which language is a word in? A small transformer over its letters, Keras style.

    python3 examples/language_id_transformer.py                          # 10,000 words each
    python3 examples/language_id_transformer.py --words 2000 --epochs 3  # a quick look

The data are those of ``language_id_rnn.py`` (``glassnet.datasets.wordlang``: nine languages,
the same number of words each, so chance is 1/9). The model is the one of Keras's guide "Text
classification with Transformer", with its two custom layers written here, and the padding
masked all the way:

    TokenAndPositionEmbedding   a vector per letter plus a vector per position; the output
                                carries the mask "this step is a letter" (code != 0)
    TransformerEncoder          self-attention (padding left out of the keys), then a Dense
                                feed-forward network, each with dropout, a residual
                                connection and LayerNormalization
    GlobalAveragePooling1D      the mean over the word's letters (the mask again)
    Dense(9, softmax)

With the defaults it reaches a test accuracy of 0.791 (Keras on TensorFlow: 0.804), below the
bidirectional GRU's 0.866 on the same words: with 72,000 short sequences the recurrence's
built-in sense of order and of the word's ending is worth more than attention's reach.
"""

import argparse
import time

import numpy as np

from glassnet import keras
from glassnet.datasets import wordlang
from glassnet.keras import layers, ops


class TokenAndPositionEmbedding(layers.Layer):
    """``embedding(token) + embedding(position)``, and the mask ``token != 0``.

    Attention by itself does not see order; the learned position vectors tell it where in
    the word each letter is (words are padded after, so position 0 is the first letter).
    """

    def __init__(self, max_length, vocabulary_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.vocabulary_size = vocabulary_size
        self.embed_dim = embed_dim
        self.token_embedding = layers.Embedding(vocabulary_size, embed_dim)
        self.position_embedding = layers.Embedding(max_length, embed_dim)

    def call(self, inputs):
        positions = ops.arange(0, ops.shape(inputs)[-1], 1)
        return self.token_embedding(inputs) + self.position_embedding(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length,
                "vocabulary_size": self.vocabulary_size, "embed_dim": self.embed_dim}


class TransformerEncoder(layers.Layer):
    """One post-norm encoder block (Vaswani et al. 2017):

        y = LayerNorm(x + Dropout(MultiHeadAttention(x, x)))
        z = LayerNorm(y + Dropout(Dense(embed_dim)(Dense(ff_dim, relu)(y))))

    A padded step is never attended to; its own output is left to the mask (passed on).
    """

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
        self.attention = layers.MultiHeadAttention(num_heads=num_heads,
                                                   key_dim=embed_dim // num_heads)
        self.feed_forward = keras.Sequential([layers.Dense(ff_dim, activation="relu"),
                                              layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)
        self.supports_masking = True

    def call(self, inputs, mask=None, training=None):
        attention_mask = None
        if mask is not None:
            # (batch, queries, keys): every query may look at the letters, not the padding
            keys = ops.expand_dims(ops.cast(mask, "bool"), 1)
            attention_mask = ops.repeat(keys, ops.shape(inputs)[1], axis=1)
        attended = self.attention(inputs, inputs, attention_mask=attention_mask,
                                  training=training)
        y = self.norm1(inputs + self.dropout1(attended, training=training))
        return self.norm2(y + self.dropout2(self.feed_forward(y), training=training))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim,
                "num_heads": self.num_heads, "ff_dim": self.ff_dim, "rate": self.rate}


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of each training epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def build_model(max_length, num_classes, embed_dim=64, num_heads=4, ff_dim=128, blocks=2,
                rate=0.1):
    inputs = keras.Input((max_length,), dtype="int32", name="characters")
    x = TokenAndPositionEmbedding(max_length, len(wordlang.get_vocabulary()), embed_dim)(inputs)
    for _ in range(blocks):
        x = TransformerEncoder(embed_dim, num_heads, ff_dim, rate)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(rate)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="language")(x)
    return keras.Model(inputs, outputs, name="language_id_transformer")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000, help="words per language")
    parser.add_argument("--max-length", type=int, default=16, help="longest word kept")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--embed-dim", type=int, default=64, help="width of every step")
    parser.add_argument("--heads", type=int, default=4, help="attention heads")
    parser.add_argument("--ff-dim", type=int, default=128, help="feed-forward hidden units")
    parser.add_argument("--blocks", type=int, default=2, help="encoder blocks")
    parser.add_argument("--seed", type=int, default=0, help="weights and shuffling")
    parser.add_argument("--data-seed", type=int, default=0, help="which words, and the split")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = wordlang.load_data(
        max_words_per_language=args.words, max_length=args.max_length, seed=args.data_seed)
    names = wordlang.CLASS_NAMES
    print(f"{len(x_train)} training and {len(x_test)} test words in {len(names)} languages; "
          f"guessing one language: {1 / len(names):.3f}")

    model = build_model(args.max_length, len(names), embed_dim=args.embed_dim,
                        num_heads=args.heads, ff_dim=args.ff_dim, blocks=args.blocks)
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=0.1, callbacks=[timer], verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy {accuracy:.4f} (chance {1 / len(names):.3f}); "
          f"{np.median(timer.seconds):.1f} s an epoch")
    samples = ["computer", "ordinateur", "rechner", "ordenador", "elaboratore", "computador",
               "rekenaar", "dator", "komputer"]
    guesses = model.predict(wordlang.encode(samples, args.max_length), verbose=0).argmax(-1)
    print("  " + ", ".join(f"{w} -> {names[g]}" for w, g in zip(samples, guesses)))
    return {"accuracy": accuracy, "chance": 1 / len(names), "epoch_seconds": timer.seconds,
            "train_size": len(x_train), "test_size": len(x_test)}


if __name__ == "__main__":
    main()
