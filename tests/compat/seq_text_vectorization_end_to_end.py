"""keras.io "Text classification from scratch": reviews read from a folder tree with
text_dataset_from_directory (a validation split by seed), a TextVectorization layer with the
example's custom standardization (tf.strings.lower / regex_replace, dropping "<br />" and
punctuation) adapted on the text-only Dataset, vectorization inside the pipeline with .map,
an Embedding + Conv1D + GlobalMaxPooling1D classifier, and finally the end-to-end model that
takes raw strings (keras.Input(shape=(1,), dtype="string")). The IMDB download is replaced by
a folder of generated reviews the program writes into the working directory. Only the import
changed."""

import os
import re
import string

import numpy as np

import glassnet as tf
from glassnet import keras
from glassnet.keras import layers

keras.utils.set_random_seed(8)
rng = np.random.default_rng(8)

# Write reviews as aclImdb lays them out: <split>/<label>/<id>.txt
POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant", "delightful"]
NEGATIVE = ["awful", "boring", "dreadful", "tedious", "terrible", "clumsy"]
FILLER = ("the movie film plot actor actress scene story director camera music ending "
          "character script was is a an and of to it this that with very quite rather "
          "really some").split()


def review(label):
    words = list(rng.choice(FILLER, size=rng.integers(15, 40)))
    mood, other = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
    for word in rng.choice(mood, size=3):
        words.insert(rng.integers(0, len(words) + 1), word)
    words.insert(rng.integers(0, len(words) + 1), str(rng.choice(other)))  # one stray word
    text = " ".join(words)
    # Capitals, punctuation and HTML line breaks for the standardization to remove.
    return text.capitalize().replace(" and ", ", and ") + ".<br /><br />" + \
        str(rng.choice(FILLER)).upper() + "!"


for split, count in (("train", 1000), ("test", 200)):
    for label, name in ((0, "neg"), (1, "pos")):
        folder = os.path.join("aclImdb", split, name)
        os.makedirs(folder, exist_ok=True)
        for i in range(count // 2):
            with open(os.path.join(folder, f"{i}_{label}.txt"), "w") as f:
                f.write(review(label))

batch_size = 32
raw_train_ds = keras.utils.text_dataset_from_directory(
    "aclImdb/train",
    batch_size=batch_size,
    validation_split=0.2,
    subset="training",
    seed=1337,
)
raw_val_ds = keras.utils.text_dataset_from_directory(
    "aclImdb/train",
    batch_size=batch_size,
    validation_split=0.2,
    subset="validation",
    seed=1337,
)
raw_test_ds = keras.utils.text_dataset_from_directory("aclImdb/test", batch_size=batch_size)

print(f"Number of batches in raw_train_ds: {raw_train_ds.cardinality()}")
print(f"Number of batches in raw_val_ds: {raw_val_ds.cardinality()}")
print(f"Number of batches in raw_test_ds: {raw_test_ds.cardinality()}")
assert int(raw_train_ds.cardinality()) == 25  # 800 training files in batches of 32
assert int(raw_val_ds.cardinality()) == 7 and int(raw_test_ds.cardinality()) == 7

# It's important to take a look at your raw data to ensure your normalization
# and tokenization will work as expected. We can do that by taking a few
# examples from the training set and looking at them.
for text_batch, label_batch in raw_train_ds.take(1):
    for i in range(2):
        print(text_batch.numpy()[i])
        print(label_batch.numpy()[i])
    assert text_batch.numpy().shape == (batch_size,)
    assert sorted(set(label_batch.numpy().tolist())) == [0, 1]


# Having looked at our data above, we see that the raw text contains HTML break
# tags of the form '<br />'. These tags will not be removed by the default
# standardizer (which doesn't strip HTML). Because of this, we will need to
# create a custom standardization function.
def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(
        stripped_html, f"[{re.escape(string.punctuation)}]", ""
    )


# Model constants.
max_features = 2000
embedding_dim = 128
sequence_length = 60

# Now that we have our custom standardization, we can instantiate our text
# vectorization layer. We are using this layer to normalize, split, and map
# strings to integers, so we set our 'output_mode' to 'int'.
# Note that we're using the default split function,
# and the custom standardization defined above.
# We also set an explicit maximum sequence length, since the CNNs later in our
# model won't support ragged sequences.
vectorize_layer = keras.layers.TextVectorization(
    standardize=custom_standardization,
    max_tokens=max_features,
    output_mode="int",
    output_sequence_length=sequence_length,
)

# Now that the vectorize_layer has been created, call `adapt` on a text-only
# dataset to create the vocabulary. You don't have to batch, but for very large
# datasets this means you're not keeping spare copies of the dataset in memory.

# Let's make a text-only dataset (no labels):
text_ds = raw_train_ds.map(lambda x, y: x)
# Let's call `adapt`:
vectorize_layer.adapt(text_ds)

vocabulary = vectorize_layer.get_vocabulary()
print("vocabulary size", len(vocabulary), vocabulary[:8])
assert vocabulary[:2] == ["", "[UNK]"]
assert "great" in vocabulary and "br" not in vocabulary and "movie." not in vocabulary
assert len(vocabulary) == 2 + len(set(POSITIVE + NEGATIVE + FILLER))


def vectorize_text(text, label):
    text = tf.expand_dims(text, -1)
    return vectorize_layer(text), label


# Vectorize the data.
train_ds = raw_train_ds.map(vectorize_text)
val_ds = raw_val_ds.map(vectorize_text)
test_ds = raw_test_ds.map(vectorize_text)

# Do async prefetching / buffering of the data for best performance on GPU.
train_ds = train_ds.cache().prefetch(buffer_size=10)
val_ds = val_ds.cache().prefetch(buffer_size=10)
test_ds = test_ds.cache().prefetch(buffer_size=10)

for x_batch, _ in train_ds.take(1):
    assert tuple(x_batch.shape) == (batch_size, sequence_length), x_batch.shape

# A integer input for vocab indices.
inputs = keras.Input(shape=(None,), dtype="int64")

# Next, we add a layer to map those vocab indices into a space of dimensionality
# 'embedding_dim'.
x = layers.Embedding(max_features, embedding_dim)(inputs)
x = layers.Dropout(0.5)(x)

# Conv1D + global max pooling
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.GlobalMaxPooling1D()(x)

# We add a vanilla hidden layer:
x = layers.Dense(128, activation="relu")(x)
x = layers.Dropout(0.5)(x)

# We project onto a single unit output layer, and squash it with a sigmoid:
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)

model = keras.Model(inputs, predictions)

# Compile the model with binary crossentropy loss and an adam optimizer.
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

epochs = 6

# Fit the model using the train and test datasets.
history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=2)
print(history.history)
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history

test_loss, test_accuracy = model.evaluate(test_ds)
print("test accuracy", test_accuracy)
assert test_accuracy > 0.9, test_accuracy  # the classes are balanced: chance is 0.5

# A string input
inputs = keras.Input(shape=(1,), dtype="string")
# Turn strings into vocab indices
indices = vectorize_layer(inputs)
# Turn vocab indices into predictions
outputs = model(indices)

# Our end to end model
end_to_end_model = keras.Model(inputs, outputs)
end_to_end_model.compile(
    loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"]
)

# Test it with `raw_test_ds`, which yields raw strings
end_to_end_loss, end_to_end_accuracy = end_to_end_model.evaluate(raw_test_ds)
assert abs(end_to_end_accuracy - test_accuracy) < 1e-6, (end_to_end_accuracy, test_accuracy)
assert abs(end_to_end_loss - test_loss) < 1e-4, (end_to_end_loss, test_loss)

reviews = tf.constant([["A WONDERFUL, brilliant film.<br />Superb!"],
                       ["Boring and dreadful: a terrible, tedious plot."]])
scores = end_to_end_model.predict(reviews, verbose=0)
print("raw review scores", scores.ravel())
assert scores.shape == (2, 1) and scores[0, 0] > 0.5 > scores[1, 0], scores
print("ok", test_accuracy)
