"""From the Keras 3 guide "Training & evaluation with the built-in methods": compile / fit with
validation_data and validation_split / evaluate / predict on the MNIST sample (digit-like noise
if it is not next to the repository); a custom loss function and a Loss subclass (CustomMSE); the
CategoricalTruePositives metric subclass (add_weight, update_state, result, reset_state); a layer
that calls add_loss; the LogisticEndpoint layer called as layer(targets, logits) with
compile(optimizer) and no loss; class_weight and the equivalent sample_weight; a two-input,
two-output model with loss/metric/loss_weights dicts and a None loss; the callbacks
EarlyStopping, ModelCheckpoint (save_best_only, and save_freq in batches), LearningRateScheduler,
and an ExponentialDecay schedule. Only the import changed."""

import os
import pathlib

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops

keras.utils.set_random_seed(3)

SAMPLE = pathlib.Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mnist10k.npz"
if SAMPLE.exists():
    with np.load(SAMPLE, allow_pickle=False) as f:
        images, labels = f["x"][:6000], f["y"][:6000]
else:  # ten prototypes plus noise
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 6000)
    images = np.clip(rng.integers(0, 255, (10, 28, 28))[labels]
                     + rng.normal(0, 60, (6000, 28, 28)), 0, 255)

# --- API overview: a first end-to-end example -----------------------------------------------
inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)

model = keras.Model(inputs=inputs, outputs=outputs)

# Preprocess the data (these are NumPy arrays)
x_train = images[:5000].reshape(5000, 784).astype("float32") / 255
x_test = images[5000:].reshape(1000, 784).astype("float32") / 255
y_train = labels[:5000].astype("float32")
y_test = labels[5000:].astype("float32")

# Reserve 1,000 samples for validation
x_val = x_train[-1000:]
y_val = y_train[-1000:]
x_train = x_train[:-1000]
y_train = y_train[:-1000]

model.compile(
    optimizer=keras.optimizers.RMSprop(),  # Optimizer
    # Loss function to minimize
    loss=keras.losses.SparseCategoricalCrossentropy(),
    # List of metrics to monitor
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)

print("Fit model on training data")
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=2,
    # We pass some validation for
    # monitoring validation loss and metrics
    # at the end of each epoch
    validation_data=(x_val, y_val),
    verbose=0,
)
print(history.history)
assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                   "val_sparse_categorical_accuracy"], history.history

# Evaluate the model on the test data using `evaluate`
print("Evaluate on test data")
results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
print("test loss, test acc:", results)
assert results[1] > 0.85, results

# Generate predictions (probabilities -- the output of the last layer)
# on new data using `predict`
print("Generate predictions for 3 samples")
predictions = model.predict(x_test[:3], verbose=0)
print("predictions shape:", predictions.shape)
assert predictions.shape == (3, 10)
np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


# --- Custom losses --------------------------------------------------------------------------
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

# We need to one-hot encode the labels to use MSE
y_train_one_hot = ops.one_hot(y_train, num_classes=10)
history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=2, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


loss = CustomMSE()
yt, yp = np.eye(10, dtype="float32")[:2], np.full((2, 10), 0.1, "float32")
expected = np.mean((yt - yp) ** 2, axis=-1) + 0.1 * np.mean((0.5 - yp) ** 2, axis=-1)
np.testing.assert_allclose(ops.convert_to_numpy(loss(yt, yp)), expected.mean(), rtol=1e-6)

model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)


# --- Custom metrics -------------------------------------------------------------------------
class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="ctp", shape=(), initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


metric = CategoricalTruePositives()
metric.update_state(np.array([[1], [2], [0]]), np.eye(3)[[1, 0, 0]])
metric.update_state(np.array([[2]]), np.eye(3)[[2]])
assert float(metric.result()) == 3.0, metric.result()
metric.reset_state()
assert float(metric.result()) == 0.0
assert [v.name for v in metric.variables] == ["ctp"]

model = get_uncompiled_model()
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[CategoricalTruePositives()],
)
# Labels as a column, the shape the metric above compares predictions with
history = model.fit(x_train, y_train[:, None], batch_size=64, epochs=3, verbose=0)
ctp = history.history["categorical_true_positives"]
print(ctp)
assert len(ctp) == 3 and ctp[0] < ctp[-1] <= len(x_train), ctp  # a count per epoch, reset


# --- Handling losses and metrics that don't fit the standard signature ----------------------
class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

# Insert activity regularization as a layer
x = ActivityRegularizationLayer()(x)

x = layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, name="predictions")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)

# The displayed loss will be much higher than before
# due to the regularization component.
plain = get_compiled_model().evaluate(x_train[:256], y_train[:256], verbose=0)[0]
regularized = model.evaluate(x_train[:256], y_train[:256], verbose=0)
assert regularized > plain + 1.0, (regularized, plain)
model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it
        # to the layer using `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)

        # Return the inference-time prediction tensor (for `.predict()`).
        return ops.softmax(logits)


inputs = keras.Input(shape=(3,), name="inputs")
targets = keras.Input(shape=(10,), name="targets")
logits = keras.layers.Dense(10)(inputs)
predictions = LogisticEndpoint(name="predictions")(targets, logits)

model = keras.Model(inputs=[inputs, targets], outputs=predictions)
model.compile(optimizer="adam")  # No loss argument!

data = {
    "inputs": np.random.random((3, 3)),
    "targets": np.random.random((3, 10)),
}
history = model.fit(data, epochs=5, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0], history.history

# --- Automatically setting apart a validation holdout set -----------------------------------
model = get_compiled_model()
history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1, verbose=0)
assert "val_loss" in history.history and "val_sparse_categorical_accuracy" in history.history

# --- Using sample weighting and class weighting ---------------------------------------------
class_weight = {
    0: 1.0,
    1: 1.0,
    2: 1.0,
    3: 1.0,
    4: 1.0,
    # Set weight "2" for class "5",
    # making this class 2x more important
    5: 2.0,
    6: 1.0,
    7: 1.0,
    8: 1.0,
    9: 1.0,
}

print("Fit with class weight")
keras.utils.set_random_seed(11)
model = get_compiled_model()
start = model.get_weights()
by_class = model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1,
                     shuffle=False, verbose=0)
after_class_weight = model.get_weights()

# Here's the same example using `sample_weight` instead:
sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 2.0
print("Fit with sample weight")
model = get_compiled_model()
model.set_weights(start)
by_sample = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1,
                      shuffle=False, verbose=0)
np.testing.assert_allclose(by_class.history["loss"], by_sample.history["loss"], rtol=1e-4)
for a, b in zip(after_class_weight, model.get_weights()):
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)

# --- Passing data to multi-input, multi-output models ---------------------------------------
image_input = keras.Input(shape=(32, 32, 3), name="img_input")
timeseries_input = keras.Input(shape=(None, 10), name="ts_input")

x1 = layers.Conv2D(3, 3)(image_input)
x1 = layers.GlobalMaxPooling2D()(x1)

x2 = layers.Conv1D(3, 3)(timeseries_input)
x2 = layers.GlobalMaxPooling1D()(x2)

x = layers.concatenate([x1, x2])

score_output = layers.Dense(1, name="score_output")(x)
class_output = layers.Dense(5, name="class_output")(x)

model = keras.Model(
    inputs=[image_input, timeseries_input], outputs=[score_output, class_output]
)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "score_output": keras.losses.MeanSquaredError(),
        "class_output": keras.losses.CategoricalCrossentropy(),
    },
    metrics={
        "score_output": [
            keras.metrics.MeanAbsolutePercentageError(),
            keras.metrics.MeanAbsoluteError(),
        ],
        "class_output": [keras.metrics.CategoricalAccuracy()],
    },
    loss_weights={"score_output": 2.0, "class_output": 1.0},
)

# Generate dummy NumPy data
img_data = np.random.random_sample(size=(100, 32, 32, 3))
ts_data = np.random.random_sample(size=(100, 20, 10))
score_targets = np.random.random_sample(size=(100, 1))
class_targets = np.random.random_sample(size=(100, 5))

# Alternatively, fit on dicts
history = model.fit(
    {"img_input": img_data, "ts_input": ts_data},
    {"score_output": score_targets, "class_output": class_targets},
    batch_size=32,
    epochs=1,
    verbose=0,
)
print(sorted(history.history))
assert {"loss", "score_output_mean_absolute_error",
        "class_output_categorical_accuracy"} <= set(history.history), sorted(history.history)

# List loss version, with no loss for the score output
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[None, keras.losses.CategoricalCrossentropy()],
)
history = model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32,
                    epochs=1, verbose=0)
only_class = model.evaluate([img_data, ts_data], [score_targets, class_targets], verbose=0)
class_loss = keras.losses.CategoricalCrossentropy()(
    class_targets, model.predict([img_data, ts_data], verbose=0)[1])
np.testing.assert_allclose(np.ravel(only_class)[0], float(class_loss), rtol=1e-4)

# --- Using callbacks ------------------------------------------------------------------------
model = get_compiled_model()

callbacks = [
    keras.callbacks.EarlyStopping(
        # Stop training when `val_loss` is no longer improving
        monitor="val_loss",
        # "no longer improving" being defined as "no better than 1e-2 less"
        min_delta=1e-2,
        # "no longer improving" being further defined as "for at least 2 epochs"
        patience=2,
        verbose=1,
    )
]
history = model.fit(
    x_train,
    y_train,
    epochs=20,
    batch_size=64,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=0,
)
print("stopped after", len(history.history["loss"]), "epochs")
assert len(history.history["loss"]) < 20, history.history["val_loss"]

# --- Checkpointing models -------------------------------------------------------------------
model = get_compiled_model()

callbacks = [
    keras.callbacks.ModelCheckpoint(
        # Path where to save the model
        # The two parameters below mean that we will overwrite
        # the current checkpoint if and only if
        # the `val_loss` score has improved.
        # The saved model name will include the current epoch.
        filepath="mymodel_{epoch}.keras",
        save_best_only=True,  # Only save a model if `val_loss` has improved.
        monitor="val_loss",
        verbose=1,
    )
]
history = model.fit(
    x_train, y_train, epochs=2, batch_size=64, callbacks=callbacks, validation_split=0.2,
    verbose=0,
)
assert os.path.exists("mymodel_1.keras")
val_losses = history.history["val_loss"]
assert os.path.exists("mymodel_2.keras") == (val_losses[1] < val_losses[0])
best = f"mymodel_{int(np.argmin(val_losses)) + 1}.keras"
restored = keras.models.load_model(best)  # validation_split held out the last 20%
np.testing.assert_allclose(restored.evaluate(x_train[-800:], y_train[-800:], verbose=0)[0],
                           min(val_losses), rtol=1e-4)

# Prepare a directory to store all the checkpoints.
checkpoint_dir = "./ckpt"
if not os.path.exists(checkpoint_dir):
    os.makedirs(checkpoint_dir)


def make_or_restore_model():
    # Either restore the latest model, or create a fresh one
    # if there is no checkpoint available.
    checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
    if checkpoints:
        latest_checkpoint = max(checkpoints, key=os.path.getctime)
        print("Restoring from", latest_checkpoint)
        return keras.models.load_model(latest_checkpoint)
    print("Creating a new model")
    return get_compiled_model()


model = make_or_restore_model()
callbacks = [
    # This callback saves the model every 20 batches.
    # We include the training loss in the saved model name.
    keras.callbacks.ModelCheckpoint(
        filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras", save_freq=20
    )
]
model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=callbacks, verbose=0)
saved = sorted(os.listdir(checkpoint_dir))
print(saved)
# 63 batches: a save after batches 20, 40 and 60 (names may repeat when the loss does)
assert 1 <= len(saved) <= 3 and all(n.startswith("model-loss=") and n.endswith(".keras")
                                    for n in saved), saved
model = make_or_restore_model()
assert isinstance(model, keras.Model) and model.optimizer is not None

# --- Using learning rate schedules ----------------------------------------------------------
initial_learning_rate = 0.1
lr_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
)
optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
assert abs(float(lr_schedule(100000)) - 0.096) < 1e-6
assert abs(float(lr_schedule(99999)) - 0.1) < 1e-6


def scheduler(epoch, lr):
    if epoch < 1:
        return lr
    return lr * 0.5


model = get_compiled_model()
history = model.fit(x_train[:512], y_train[:512], epochs=3, verbose=0,
                    callbacks=[keras.callbacks.LearningRateScheduler(scheduler)])
np.testing.assert_allclose(history.history["learning_rate"], [1e-3, 5e-4, 2.5e-4], rtol=1e-5)
np.testing.assert_allclose(float(ops.convert_to_numpy(model.optimizer.learning_rate)), 2.5e-4,
                           rtol=1e-5)
print("ok")
