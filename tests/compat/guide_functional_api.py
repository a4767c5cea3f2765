"""From the Keras 3 guide "The Functional API": an MNIST MLP trained, saved and reloaded; the
encoder/autoencoder built from the same graph of layers; an ensemble with layers.average; the
"ticket classification" model with three inputs and two outputs trained with loss lists and loss
dicts plus loss_weights; a toy ResNet with layers.add (parameter count as the guide prints it);
a shared Embedding; feature extraction from every layer's output; a custom layer with
get_config/from_config; and a layer called on two tensors, layer(a, b), inside a functional model.
Data are small (the MNIST sample, random tickets, random images). Only the import changed."""

import pathlib

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops

keras.utils.set_random_seed(1)

# --- When to use the functional API ---------------------------------------------------------
inputs = keras.Input(shape=(784,))
assert tuple(inputs.shape) == (None, 784), inputs.shape
img_inputs = keras.Input(shape=(32, 32, 3))
assert tuple(img_inputs.shape) == (None, 32, 32, 3)

dense = layers.Dense(64, activation="relu")
x = dense(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
model.summary()
assert model.name == "mnist_model"
assert model.count_params() == 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10  # 55,050

# --- Training, evaluation, and inference ----------------------------------------------------
SAMPLE = pathlib.Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mnist10k.npz"
if SAMPLE.exists():
    with np.load(SAMPLE, allow_pickle=False) as f:
        images, labels = f["x"][:3000], f["y"][:3000].astype("int64")
else:  # ten prototypes plus noise, learnable the same way
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 3000)
    images = np.clip(rng.integers(0, 255, (10, 28, 28))[labels]
                     + rng.normal(0, 60, (3000, 28, 28)), 0, 255).astype("uint8")
x_train = images[:2500].reshape(2500, 784).astype("float32") / 255
x_test = images[2500:].reshape(500, 784).astype("float32") / 255
y_train, y_test = labels[:2500], labels[2500:]

model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_split=0.2, verbose=0)
assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"], history.history
assert history.history["loss"][-1] < history.history["loss"][0]
test_scores = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", test_scores[0])
print("Test accuracy:", test_scores[1])
assert test_scores[1] > 0.8, test_scores

# --- Save and serialize ---------------------------------------------------------------------
model.save("my_model.keras")
expected = model.predict(x_test[:16], verbose=0)
del model
# Recreate the exact same model purely from the file:
model = keras.models.load_model("my_model.keras")
np.testing.assert_allclose(model.predict(x_test[:16], verbose=0), expected, rtol=1e-5, atol=1e-5)

# --- Use the same graph of layers to define multiple models ---------------------------------
encoder_input = keras.Input(shape=(28, 28, 1), name="img")
x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
encoder_output = layers.GlobalMaxPooling2D()(x)

encoder = keras.Model(encoder_input, encoder_output, name="encoder")
encoder.summary()

x = layers.Reshape((4, 4, 1))(encoder_output)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
x = layers.UpSampling2D(3)(x)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)

autoencoder = keras.Model(encoder_input, decoder_output, name="autoencoder")
autoencoder.summary()
assert tuple(encoder.output.shape) == (None, 16), encoder.output.shape
assert tuple(autoencoder.output.shape) == (None, 28, 28, 1), autoencoder.output.shape
assert encoder.count_params() == 18672, encoder.count_params()
assert autoencoder.count_params() == 28241, autoencoder.count_params()

# --- All models are callable, just like layers ----------------------------------------------
decoder_input = keras.Input(shape=(16,), name="encoded_img")
x = layers.Reshape((4, 4, 1))(decoder_input)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
x = layers.UpSampling2D(3)(x)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")

autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
encoded_img = encoder(autoencoder_input)
decoded_img = decoder(encoded_img)
autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
assert autoencoder.predict(images[:4, :, :, None] / 255.0, verbose=0).shape == (4, 28, 28, 1)
assert [layer.name for layer in autoencoder.layers] == ["img", "encoder", "decoder"]


def get_model():
    inputs = keras.Input(shape=(128,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


model1 = get_model()
model2 = get_model()
model3 = get_model()

inputs = keras.Input(shape=(128,))
y1 = model1(inputs)
y2 = model2(inputs)
y3 = model3(inputs)
outputs = layers.average([y1, y2, y3])
ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
probe = np.random.default_rng(2).standard_normal((5, 128)).astype("float32")
mean_of_three = (model1.predict(probe, verbose=0) + model2.predict(probe, verbose=0)
                 + model3.predict(probe, verbose=0)) / 3
np.testing.assert_allclose(ensemble_model.predict(probe, verbose=0), mean_of_three, atol=1e-5)

# --- Models with multiple inputs and outputs ------------------------------------------------
num_tags = 12  # Number of unique issue tags
num_words = 10000  # Size of vocabulary obtained when preprocessing text data
num_departments = 4  # Number of departments for predictions

title_input = keras.Input(shape=(None,), name="title")  # Variable-length sequence of ints
body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
tags_input = keras.Input(shape=(num_tags,), name="tags")  # Binary vectors of size `num_tags`

# Embed each word in the title into a 64-dimensional vector
title_features = layers.Embedding(num_words, 64)(title_input)
# Embed each word in the text into a 64-dimensional vector
body_features = layers.Embedding(num_words, 64)(body_input)

# Reduce sequence of embedded words in the title into a single 128-dimensional vector
title_features = layers.LSTM(128)(title_features)
# Reduce sequence of embedded words in the body into a single 32-dimensional vector
body_features = layers.LSTM(32)(body_features)

# Merge all available features into a single large vector via concatenation
x = layers.concatenate([title_features, body_features, tags_input])

# Stick a logistic regression for priority prediction on top of the features
priority_pred = layers.Dense(1, name="priority")(x)
# Stick a department classifier on top of the features
department_pred = layers.Dense(num_departments, name="department")(x)

# Instantiate an end-to-end model predicting both priority and department
model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)
assert model.count_params() == 10000 * 64 * 2 + 4 * 128 * (64 + 128 + 1) + 4 * 32 * (64 + 32 + 1) \
    + (128 + 32 + 12 + 1) * (1 + num_departments)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[
        keras.losses.BinaryCrossentropy(from_logits=True),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    ],
    loss_weights=[1.0, 0.2],
)

# Dummy input data
title_data = np.random.randint(num_words, size=(256, 10))
body_data = np.random.randint(num_words, size=(256, 30))
tags_data = np.random.randint(2, size=(256, num_tags)).astype("float32")

# Dummy target data
priority_targets = np.random.random(size=(256, 1))
dept_targets = np.random.randint(2, size=(256, num_departments))

history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=2,
    batch_size=32,
    verbose=0,
)
assert np.isfinite(history.history["loss"]).all(), history.history

# The same model compiled with dicts keyed by the output names
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)
history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=3,
    batch_size=32,
    verbose=0,
)
assert history.history["loss"][-1] < history.history["loss"][0], history.history["loss"]
preds = model.predict({"title": title_data[:8], "body": body_data[:8], "tags": tags_data[:8]},
                      verbose=0)
assert isinstance(preds, dict) and sorted(preds) == ["department", "priority"], type(preds)
assert preds["priority"].shape == (8, 1) and preds["department"].shape == (8, num_departments)

# --- A toy ResNet model ---------------------------------------------------------------------
inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)

x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])

x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_3_output = layers.add([x, block_2_output])

x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)

model = keras.Model(inputs, outputs, name="toy_resnet")
model.summary()
assert model.count_params() == 223242, model.count_params()  # as the guide's summary prints

rng = np.random.default_rng(3)
x_train = rng.random((128, 32, 32, 3)).astype("float32")
y_train = keras.utils.to_categorical(rng.integers(0, 10, (128, 1)), 10)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    metrics=["acc"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=1, validation_split=0.2, verbose=0)
assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"], history.history

# --- Shared layers --------------------------------------------------------------------------
# Embedding for 1000 unique words mapped to 128-dimensional vectors
shared_embedding = layers.Embedding(1000, 128)
# Variable-length sequence of integers
text_input_a = keras.Input(shape=(None,), dtype="int32")
# Variable-length sequence of integers
text_input_b = keras.Input(shape=(None,), dtype="int32")
# Reuse the same layer to encode both inputs
encoded_input_a = shared_embedding(text_input_a)
encoded_input_b = shared_embedding(text_input_b)
two_texts = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
assert len(two_texts.weights) == 1  # one table, used twice
ea, eb = two_texts.predict([np.array([[3, 4]]), np.array([[4, 3]])], verbose=0)
np.testing.assert_allclose(ea[0, ::-1], eb[0])

# --- Extract and reuse nodes in the graph of layers -----------------------------------------
base = keras.Sequential([
    keras.Input(shape=(8,)),
    layers.Dense(16, activation="relu", name="dense_a"),
    layers.Dense(12, activation="relu", name="dense_b"),
    layers.Dense(3, name="logits"),
])
features_list = [layer.output for layer in base.layers]
feat_extraction_model = keras.Model(inputs=base.inputs, outputs=features_list)
img = np.random.random((2, 8)).astype("float32")
extracted_features = feat_extraction_model(img)
assert [tuple(f.shape) for f in extracted_features] == [(2, 16), (2, 12), (2, 3)]
np.testing.assert_allclose(ops.convert_to_numpy(extracted_features[-1]),
                           base.predict(img, verbose=0), atol=1e-5)


# --- Extend the API using custom layers -----------------------------------------------------
class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


inputs = keras.Input((4,))
outputs = CustomDense(10)(inputs)

model = keras.Model(inputs, outputs)
config = model.get_config()

new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
assert new_model.layers[-1].__class__ is CustomDense and new_model.layers[-1].units == 10
assert new_model.output.shape[-1] == 10


# A layer whose call takes two tensors, called as layer(a, b) on symbolic inputs
class WeightedSum(layers.Layer):
    def build(self, a_shape, b_shape):
        self.alpha = self.add_weight(shape=(), initializer="zeros", name="alpha")

    def call(self, a, b):
        gate = ops.sigmoid(self.alpha)
        return gate * a + (1.0 - gate) * b


a = keras.Input((6,))
b = keras.Input((6,))
mixed = WeightedSum()(a, b)
pair_model = keras.Model([a, b], layers.Dense(2)(mixed))
assert tuple(mixed.shape) == (None, 6)
xa, xb = np.ones((3, 6), "float32"), np.zeros((3, 6), "float32")
np.testing.assert_allclose(ops.convert_to_numpy(pair_model.layers[2](xa, xb)), 0.5 * xa)
assert pair_model.predict([xa, xb], verbose=0).shape == (3, 2)


# --- Mix-and-match API styles ---------------------------------------------------------------
units = 32
timesteps = 10
input_dim = 5

# Define a Functional model
inputs = keras.Input((None, units))
x = layers.GlobalAveragePooling1D()(inputs)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)


class CustomRNN(layers.Layer):
    def __init__(self):
        super().__init__()
        self.units = units
        self.projection_1 = layers.Dense(units=units, activation="tanh")
        self.projection_2 = layers.Dense(units=units, activation="tanh")
        # Our previously-defined Functional model
        self.classifier = model

    def call(self, inputs):
        outputs = []
        state = ops.zeros(shape=(inputs.shape[0], self.units))
        for t in range(inputs.shape[1]):
            x = inputs[:, t, :]
            h = self.projection_1(x)
            y = h + self.projection_2(state)
            state = y
            outputs.append(y)
        features = ops.stack(outputs, axis=1)
        return self.classifier(features)


rnn_model = CustomRNN()
out = rnn_model(ops.zeros((1, timesteps, input_dim)))
assert tuple(out.shape) == (1, 1), out.shape
print("ok")
