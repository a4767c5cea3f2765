"""keras.io "Bidirectional LSTM on IMDB": Embedding, two stacked Bidirectional(LSTM(64,
return_sequences=True)) layers, a last Bidirectional(LSTM(64)) and a sigmoid, on
variable-length reviews padded with pad_sequences. The IMDB download is replaced by synthetic
reviews whose label is whether the "great" token (id 3) occurs; padding is masked by
Embedding(mask_zero=True), so a padded review predicts what the unpadded one does. Only the
import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers

max_features = 2000  # Only consider the top 2k words
maxlen = 40  # Only consider the first 40 words of each review
GREAT = 3

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)


def make_reviews(n):
    """Reviews of 8..40 random words; half of them contain GREAT somewhere, label 1."""
    reviews, labels = [], []
    for i in range(n):
        words = rng.integers(4, max_features, size=rng.integers(8, maxlen + 1))
        label = i % 2
        if label:
            words[rng.integers(0, len(words))] = GREAT
        reviews.append(words.tolist())
        labels.append(label)
    return reviews, np.array(labels)


(x_train, y_train), (x_val, y_val) = make_reviews(768), make_reviews(256)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
raw_val = x_val
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)
assert x_train.shape == (768, maxlen) and x_train.dtype == np.int32
assert x_train[0, 0] == 0  # pre-padding, as Keras

# Input for variable-length sequences of integers
inputs = keras.Input(shape=(None,), dtype="int32")
# Embed each integer in a 32-dimensional vector
x = layers.Embedding(max_features, 32, mask_zero=True)(inputs)
# Add 2 bidirectional LSTMs
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(64))(x)
# Add a classifier
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.summary()

# Embedding 2000*32, each BiLSTM 2 * 4 * (in*64 + 64*64 + 64), Dense 129
expected = 2000 * 32 + 2 * 4 * (32 * 64 + 64 * 64 + 64) + 2 * 4 * (128 * 64 + 64 * 64 + 64) + 129
assert model.count_params() == expected, (model.count_params(), expected)

model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
              metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=16, epochs=4, validation_data=(x_val, y_val),
                    verbose=2)
print(history.history)

losses = history.history["loss"]
assert losses[-1] < 0.5 * losses[0], losses
assert history.history["val_accuracy"][-1] > 0.85, history.history  # chance is 0.5
loss, accuracy = model.evaluate(x_val, y_val, verbose=0)
assert abs(accuracy - history.history["val_accuracy"][-1]) < 1e-6

# The mask makes padding invisible: one review, padded or not, gets the same prediction.
review = np.array([raw_val[1]], dtype="int32")
padded = keras.utils.pad_sequences([raw_val[1]], maxlen=maxlen)
p_raw = model.predict(review, verbose=0)
p_pad = model.predict(padded, verbose=0)
assert p_raw.shape == (1, 1)
np.testing.assert_allclose(p_raw, p_pad, atol=1e-5)
print("ok", accuracy)
