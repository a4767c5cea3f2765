"""From the Keras 3 guide "Save, serialize, and export models": model.save("x.keras") and
keras.models.load_model; registered custom objects (a custom layer and a custom activation
function) loaded with no arguments, with custom_objects, and inside custom_object_scope;
get_config / from_config for a layer, a Sequential and a functional model;
keras.layers.serialize / deserialize; to_json / model_from_json; keras.models.clone_model;
weights copied layer to layer and from a functional to a subclassed model; save_weights /
load_weights with ".weights.h5"; extracting the layers of a pretrained model into a new
Sequential; and the legacy HDF5 format, model.save("x.h5"). Only the import changed."""

import json
import os

import numpy as np

from glassnet import keras

keras.utils.set_random_seed(4)


# --- Saving: the whole model in one .keras file ---------------------------------------------
def get_model():
    # Create a simple model.
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


model = get_model()

# Train the model.
test_input = np.random.random((128, 32))
test_target = np.random.random((128, 1))
model.fit(test_input, test_target, verbose=0)

# Calling `save('my_model.keras')` creates a zip archive `my_model.keras`.
model.save("my_model.keras")

# It can be used to reconstruct the model identically.
reconstructed_model = keras.models.load_model("my_model.keras")

# Let's check:
np.testing.assert_allclose(
    model.predict(test_input, verbose=0), reconstructed_model.predict(test_input, verbose=0)
)
# The optimizer state came along: one more step gives the same weights in both
model.fit(test_input, test_target, epochs=1, shuffle=False, verbose=0)
reconstructed_model.fit(test_input, test_target, epochs=1, shuffle=False, verbose=0)
np.testing.assert_allclose(model.get_weights()[0], reconstructed_model.get_weights()[0],
                           rtol=1e-5, atol=1e-6)

# The functional spellings do the same
keras.saving.save_model(model, "again.keras")
np.testing.assert_allclose(keras.saving.load_model("again.keras").predict(test_input, verbose=0),
                           model.predict(test_input, verbose=0))


# --- Custom objects -------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="MyLayers")
class CustomLayer(keras.layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
def custom_fn(x):
    return x**2


# Create the model.
def get_model():
    inputs = keras.Input(shape=(4,))
    mid = CustomLayer(0.5)(inputs)
    outputs = keras.layers.Dense(1, activation=custom_fn)(mid)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="mean_squared_error")
    return model


# Train the model.
def train_model(model):
    input = np.random.random((4, 4))
    target = np.random.random((4, 1))
    model.fit(input, target, verbose=0)
    return model


test_input = np.random.random((4, 4))
test_target = np.random.random((4, 1))

model = get_model()
model = train_model(model)
model.save("custom_model.keras")

# Now, we can simply load without worrying about our custom objects.
reconstructed_model = keras.models.load_model("custom_model.keras")

# Let's check:
np.testing.assert_allclose(
    model.predict(test_input, verbose=0), reconstructed_model.predict(test_input, verbose=0)
)
assert isinstance(reconstructed_model.layers[1], CustomLayer)
assert reconstructed_model.layers[1].factor == 0.5
assert reconstructed_model.layers[2].activation is custom_fn
assert keras.saving.get_registered_name(CustomLayer) == "MyLayers>CustomLayer"
assert keras.saving.get_registered_name(custom_fn) == "my_package>custom_fn"
assert keras.saving.get_registered_object("my_package>custom_fn") is custom_fn
assert keras.activations.deserialize(keras.activations.serialize(custom_fn)) is custom_fn

# Passing custom objects to load_model()
model = get_model()
model.save("custom_model.keras")

# Upon loading, pass a dict containing the custom objects used in the
# `custom_objects` argument of `keras.models.load_model()`.
reconstructed_model = keras.models.load_model(
    "custom_model.keras",
    custom_objects={"CustomLayer": CustomLayer, "custom_fn": custom_fn},
)
np.testing.assert_allclose(
    model.predict(test_input, verbose=0), reconstructed_model.predict(test_input, verbose=0)
)

# Using a custom object scope
with keras.saving.custom_object_scope({"CustomLayer": CustomLayer, "custom_fn": custom_fn}):
    reconstructed_model = keras.models.load_model("custom_model.keras")
np.testing.assert_allclose(
    model.predict(test_input, verbose=0), reconstructed_model.predict(test_input, verbose=0)
)

# --- Model serialization: get_config / from_config ------------------------------------------
layer = keras.layers.Dense(3, activation="relu")
layer_config = layer.get_config()
print(layer_config)
assert layer_config["units"] == 3 and layer_config["activation"] == "relu"
new_layer = keras.layers.Dense.from_config(layer_config)
assert new_layer.units == 3 and new_layer.get_config()["activation"] == "relu"

serialized_layer_config = keras.layers.serialize(layer)
print(serialized_layer_config)
assert serialized_layer_config["class_name"] == "Dense"
assert serialized_layer_config["config"]["units"] == 3
new_layer = keras.layers.deserialize(serialized_layer_config)
assert type(new_layer) is keras.layers.Dense and new_layer.units == 3

model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
config = model.get_config()
new_model = keras.Sequential.from_config(config)
assert [type(x).__name__ for x in new_model.layers] == ["Dense"]
assert new_model.count_params() == 33

inputs = keras.Input((32,))
outputs = keras.layers.Dense(1)(inputs)
model = keras.Model(inputs, outputs)
config = model.get_config()
new_model = keras.Model.from_config(config)
assert new_model.count_params() == 33 and tuple(new_model.output.shape) == (None, 1)

# to_json() and keras.models.model_from_json()
model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
json_config = model.to_json()
assert json.loads(json_config)["class_name"] == "Sequential"
new_model = keras.models.model_from_json(json_config)
assert new_model.count_params() == 33

# clone_model: the same architecture, fresh weights
new_model = keras.models.clone_model(model)
assert new_model is not model and new_model.count_params() == 33
assert not np.allclose(new_model.get_weights()[0], model.get_weights()[0])
assert new_model.layers[0] is not model.layers[0]


# --- Transferring weights from one model to another -----------------------------------------
def create_layer():
    layer = keras.layers.Dense(64, activation="relu", name="dense_2")
    layer.build((None, 784))
    return layer


layer_1 = create_layer()
layer_2 = create_layer()

# Copy weights from layer 1 to layer 2
layer_2.set_weights(layer_1.get_weights())
for a, b in zip(layer_1.get_weights(), layer_2.get_weights()):
    np.testing.assert_array_equal(a, b)

# Create a simple functional model
inputs = keras.Input(shape=(784,), name="digits")
x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = keras.layers.Dense(10, name="predictions")(x)
functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")


# Define a subclassed model with the same architecture
class SubclassedModel(keras.Model):
    def __init__(self, output_dim, name=None):
        super().__init__(name=name)
        self.output_dim = output_dim
        self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
        self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
        self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

    def call(self, inputs):
        x = self.dense_1(inputs)
        x = self.dense_2(x)
        x = self.dense_3(x)
        return x

    def get_config(self):
        return {"output_dim": self.output_dim, "name": self.name}


subclassed_model = SubclassedModel(10)
# Call the subclassed model once to create the weights.
subclassed_model(np.ones((1, 784)))

# Copy weights from functional_model to subclassed_model.
subclassed_model.set_weights(functional_model.get_weights())

assert len(functional_model.weights) == len(subclassed_model.weights)
for a, b in zip(functional_model.weights, subclassed_model.weights):
    np.testing.assert_allclose(a.numpy(), b.numpy())

# --- Saving weights to disk and loading them back -------------------------------------------
# Runnable example
sequential_model = keras.Sequential(
    [
        keras.Input(shape=(784,), name="digits"),
        keras.layers.Dense(64, activation="relu", name="dense_1"),
        keras.layers.Dense(64, activation="relu", name="dense_2"),
        keras.layers.Dense(10, name="predictions"),
    ]
)
sequential_model.save_weights("my_model.weights.h5")
kept = sequential_model.get_weights()
sequential_model.set_weights([np.zeros_like(w) for w in kept])
sequential_model.load_weights("my_model.weights.h5")
for a, b in zip(kept, sequential_model.get_weights()):
    np.testing.assert_array_equal(a, b)


def create_functional_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")


functional_model = create_functional_model()
functional_model.save_weights("pretrained.weights.h5")

# In a separate program:
pretrained_model = create_functional_model()
pretrained_model.load_weights("pretrained.weights.h5")
probe = np.random.random((3, 784)).astype("float32")
np.testing.assert_allclose(pretrained_model.predict(probe, verbose=0),
                           functional_model.predict(probe, verbose=0), rtol=1e-6)

# Create a new model by extracting layers from the original model:
extracted_layers = pretrained_model.layers[:-1]
extracted_layers.append(keras.layers.Dense(5, name="dense_3"))
model = keras.Sequential(extracted_layers)
model.summary()
assert model.predict(probe, verbose=0).shape == (3, 5)
assert model.count_params() == 784 * 64 + 64 + 64 * 64 + 64 + 64 * 5 + 5

# --- The legacy HDF5 format -----------------------------------------------------------------
model = get_model()
model = train_model(model)
model.save("my_h5_model.h5")
assert os.path.getsize("my_h5_model.h5") > 0
reconstructed_model = keras.models.load_model("my_h5_model.h5")
np.testing.assert_allclose(
    model.predict(test_input, verbose=0), reconstructed_model.predict(test_input, verbose=0),
    rtol=1e-6,
)
assert isinstance(reconstructed_model.layers[1], CustomLayer)
print("ok")
