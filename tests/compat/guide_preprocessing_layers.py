"""From the Keras 3 guide "Working with preprocessing layers" (and the examples in the layers'
API reference): Normalization.adapt, TextVectorization.adapt, StringLookup with a vocabulary and
with output_mode="one_hot", IntegerLookup.adapt, CategoryEncoding (one_hot, multi_hot, count),
the hashing trick with Hashing + CategoryEncoding, and Discretization with bin boundaries and
adapt; then a structured-data model in the style of "Structured data classification from
scratch": the preprocessing layers adapted on the training features and applied inside a
functional model with one input per column, trained, saved and reloaded. Synthetic patient
records replace the heart-disease CSV. Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops

keras.utils.set_random_seed(12)


def numpy_of(t):
    return ops.convert_to_numpy(t)


# --- The adapt() method ---------------------------------------------------------------------
data = np.array(
    [
        [0.1, 0.2, 0.3],
        [0.8, 0.9, 1.0],
        [1.5, 1.6, 1.7],
    ]
)
layer = layers.Normalization()
layer.adapt(data)
normalized_data = layer(data)

print(f"Features mean: {numpy_of(normalized_data).mean():.2f}")
print(f"Features std: {numpy_of(normalized_data).std():.2f}")
np.testing.assert_allclose(numpy_of(normalized_data).mean(axis=0), 0.0, atol=1e-6)
np.testing.assert_allclose(numpy_of(normalized_data).std(axis=0), 1.0, rtol=1e-4)

data = [
    "ξεῖν᾽, ἦ τοι μὲν ὄνειροι ἀμήχανοι ἀκριτόμυθοι",
    "γίγνοντ᾽, οὐδέ τι πάντα τελείεται ἀνθρώποισι.",
    "δοιαὶ γάρ τε πύλαι ἀμενηνῶν εἰσὶν ὀνείρων:",
    "αἱ μὲν γὰρ κεράεσσι τετεύχαται, αἱ δ᾽ ἐλέφαντι:",
]
layer = layers.TextVectorization()
layer.adapt(data)
vectorized_text = layer(data)
print(vectorized_text)
vocabulary = layer.get_vocabulary()
assert vocabulary[:2] == ["", "[UNK]"], vocabulary[:4]
assert "αἱ" in vocabulary and "ξεῖν᾽" in vocabulary  # "," and ":" stripped
assert tuple(vectorized_text.shape) == (4, 8), vectorized_text.shape
assert numpy_of(vectorized_text)[0, 0] == vocabulary.index("ξεῖν᾽")

# --- Passing a vocabulary to StringLookup ---------------------------------------------------
vocab = ["a", "b", "c", "d"]
data = np.array([["a", "c", "d"], ["d", "z", "b"]])
layer = layers.StringLookup(vocabulary=vocab)
vectorized_data = layer(data)
print(vectorized_data)
np.testing.assert_array_equal(numpy_of(vectorized_data), [[1, 3, 4], [4, 0, 2]])

# --- Encoding string categorical features via one-hot encoding ------------------------------
# Define some toy data
data = np.array([["a"], ["b"], ["c"], ["b"], ["c"], ["a"]])

# Use StringLookup to build an index of the feature values and encode output.
lookup = layers.StringLookup(output_mode="one_hot")
lookup.adapt(data)

# Convert new test data (which includes unknown feature values)
test_data = np.array([["a"], ["b"], ["c"], ["d"], ["e"], [""]])
encoded_data = lookup(test_data)
print(encoded_data)
np.testing.assert_array_equal(
    numpy_of(encoded_data),
    [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]],
)
# most frequent first; ties in frequency in reverse order of value, as Keras sorts them
assert [str(v) for v in lookup.get_vocabulary()] == ["[UNK]", "c", "b", "a"]

# --- Encoding integer categorical features via one-hot encoding -----------------------------
# Define some toy data
data = np.array([[10], [20], [20], [10], [30], [0]])

# Use IntegerLookup to build an index of the feature values and encode output.
lookup = layers.IntegerLookup(output_mode="one_hot")
lookup.adapt(data)

# Convert new test data (which includes unknown feature values)
test_data = np.array([[10], [10], [20], [50], [60], [0]])
encoded_data = lookup(test_data)
print(encoded_data)
assert tuple(encoded_data.shape) == (6, 5)
assert (numpy_of(encoded_data).sum(axis=1) == 1).all()
np.testing.assert_array_equal(numpy_of(encoded_data)[3], numpy_of(encoded_data)[4])  # both OOV
assert numpy_of(encoded_data)[3, 0] == 1  # the OOV index comes first

# --- CategoryEncoding -----------------------------------------------------------------------
layer = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
np.testing.assert_array_equal(numpy_of(layer([3, 2, 0, 1])), np.eye(4)[[3, 2, 0, 1]])
layer = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
np.testing.assert_array_equal(numpy_of(layer([[0, 1], [0, 0], [1, 2], [3, 1]])),
                              [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
layer = layers.CategoryEncoding(num_tokens=4, output_mode="count")
count_weights = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
np.testing.assert_allclose(
    numpy_of(layer([[0, 1], [0, 0], [1, 2], [3, 1]], count_weights=count_weights)),
    [[0.1, 0.2, 0.0, 0.0], [0.2, 0.0, 0.0, 0.0], [0.0, 0.2, 0.3, 0.0], [0.0, 0.2, 0.0, 0.4]],
    rtol=1e-6)

# --- Applying the hashing trick to an integer categorical feature ---------------------------
# Sample data: 10,000 random integers with values between 0 and 100,000
data = np.random.randint(0, 100000, size=(10000, 1))

# Use the Hashing layer to hash the values to the range [0, 64]
hasher = layers.Hashing(num_bins=64, salt=1337)

# Use the CategoryEncoding layer to multi-hot encode the hashed values
encoder = layers.CategoryEncoding(num_tokens=64, output_mode="multi_hot")
encoded_data = encoder(hasher(data))
print(encoded_data.shape)
assert tuple(encoded_data.shape) == (10000, 64)
assert (numpy_of(encoded_data).sum(axis=1) == 1).all()
bins = numpy_of(hasher(data))
assert bins.min() >= 0 and bins.max() < 64 and len(np.unique(bins)) == 64
np.testing.assert_array_equal(numpy_of(hasher(data[:5])), bins[:5])  # deterministic

# The Hashing examples of the API reference: FarmHash64, as Keras computes it
layer = layers.Hashing(num_bins=3)
inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
np.testing.assert_array_equal(numpy_of(layer(inp)), [[1], [0], [1], [1], [2]])
layer = layers.Hashing(num_bins=3, mask_value="")
inp = [["A"], ["B"], [""], ["C"], ["D"]]
np.testing.assert_array_equal(numpy_of(layer(inp)), [[1], [1], [0], [2], [2]])
layer = layers.Hashing(num_bins=3, salt=133)
inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
np.testing.assert_array_equal(numpy_of(layer(inp)), [[0], [0], [2], [1], [0]])

# --- Discretization -------------------------------------------------------------------------
x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
np.testing.assert_array_equal(numpy_of(layer(x)), [[0, 2, 3, 1], [1, 3, 2, 1]])
layer = layers.Discretization(num_bins=4, epsilon=0.01)
layer.adapt(x)
# (what Keras 3.15 computes; its docstring prints the fixed-boundary result instead)
np.testing.assert_array_equal(numpy_of(layer(x)), [[0, 2, 3, 2], [1, 3, 3, 1]])

# --- Preprocessing inside a structured-data model -------------------------------------------
rng = np.random.default_rng(12)
n = 1200
age = rng.integers(29, 78, n).astype("float32")
chol = rng.normal(245, 50, n).astype("float32")
thal = rng.choice(np.array(["fixed", "normal", "reversible"]), n)
cp = rng.integers(0, 4, n)
patient_id = rng.integers(0, 10**6, n)
risk = 0.04 * (age - 53) + 0.01 * (chol - 245) + (thal == "reversible") * 1.5 + (cp == 3) * 1.0
target = (risk + rng.normal(0, 0.5, n) > 0.9).astype("float32")
train = slice(0, 1000)
val = slice(1000, None)

# Numerical features: normalized with statistics of the training split
age_norm = layers.Normalization(axis=None)
age_norm.adapt(age[train])
chol_norm = layers.Normalization(axis=None)
chol_norm.adapt(chol[train])
# Age also in quantile buckets, one-hot encoded
age_buckets = layers.Discretization(num_bins=4)
age_buckets.adapt(age[train])
# A string categorical feature and an integer one, both one-hot through a lookup; the strings
# are looked up in the input pipeline, as the Keras 3 guide does (fit takes numbers)
thal_lookup = layers.StringLookup(output_mode="one_hot")
thal_lookup.adapt(thal[train])
cp_lookup = layers.IntegerLookup(output_mode="one_hot")
cp_lookup.adapt(cp[train])
assert cp_lookup.vocabulary_size() == 5 and thal_lookup.vocabulary_size() == 4

inputs = {
    "age": keras.Input(shape=(1,), name="age"),
    "chol": keras.Input(shape=(1,), name="chol"),
    "thal": keras.Input(shape=(4,), name="thal"),
    "cp": keras.Input(shape=(1,), name="cp", dtype="int64"),
    "patient_id": keras.Input(shape=(1,), name="patient_id", dtype="int64"),
}
encoded = [
    age_norm(inputs["age"]),
    chol_norm(inputs["chol"]),
    layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(age_buckets(inputs["age"])),
    inputs["thal"],
    cp_lookup(inputs["cp"]),
    layers.CategoryEncoding(num_tokens=16, output_mode="one_hot")(
        layers.Hashing(num_bins=16)(inputs["patient_id"])),
]
all_features = layers.concatenate(encoded)
assert tuple(all_features.shape) == (None, 1 + 1 + 4 + 4 + 5 + 16), all_features.shape
x = layers.Dense(32, activation="relu")(all_features)
x = layers.Dropout(0.5)(x)
output = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, output)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])


def columns(rows):
    return {"age": age[rows, None], "chol": chol[rows, None],
            "thal": numpy_of(thal_lookup(thal[rows, None])),
            "cp": cp[rows, None], "patient_id": patient_id[rows, None]}


history = model.fit(columns(train), target[train], validation_data=(columns(val), target[val]),
                    batch_size=32, epochs=12, verbose=0)
print(history.history["val_accuracy"][-1])
assert history.history["loss"][-1] < history.history["loss"][0], history.history["loss"]
assert history.history["val_accuracy"][-1] > 0.75, history.history["val_accuracy"]

sample = {"age": np.array([[60.0]]), "chol": np.array([[300.0]]),
          "thal": numpy_of(thal_lookup(np.array([["reversible"]]))), "cp": np.array([[3]]),
          "patient_id": np.array([[123456]])}
probability = float(model.predict(sample, verbose=0)[0, 0])
print(f"This particular patient had a {100 * probability:.1f} percent probability of having "
      "a heart disease, as evaluated by our model.")
assert probability > 0.5, probability

model.save("heart.keras")
reloaded = keras.models.load_model("heart.keras")
np.testing.assert_allclose(reloaded.predict(columns(val), verbose=0),
                           model.predict(columns(val), verbose=0), rtol=1e-5, atol=1e-6)
print("ok")
