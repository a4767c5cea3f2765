"""From the Keras 3 guide "Customizing what happens in fit() with TensorFlow": a train_step
override with tf.GradientTape, self.compute_loss, self.optimizer.apply and the model's metrics
(the "loss" tracker and the compiled metrics); a lower-level version with its own
keras.metrics.Mean(name="loss") and MeanAbsoluteError listed in the `metrics` property so fit
resets them each epoch, compiled with an optimizer only; sample_weight unpacked from the data;
and a test_step override used by evaluate. Only the import changed."""

import numpy as np

import glassnet as tf
from glassnet import keras

keras.utils.set_random_seed(9)


# --- A first simple example -----------------------------------------------------------------
class CustomModel(keras.Model):
    def train_step(self, data):
        # Unpack the data. Its structure depends on your model and
        # on what you pass to `fit()`.
        x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            # Compute the loss value
            # (the loss function is configured in `compile()`)
            loss = self.compute_loss(y=y, y_pred=y_pred)

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)

        # Update weights
        self.optimizer.apply(gradients, trainable_vars)

        # Update metrics (includes the metric that tracks the loss)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)

        # Return a dict mapping metric names to current value
        return {m.name: m.result() for m in self.metrics}


# Construct and compile an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])

# Just use `fit` as usual
rng = np.random.default_rng(9)
true_w = rng.standard_normal((32, 1))
x = rng.random((1000, 32))
y = x @ true_w * 0.2 + rng.random((1000, 1)) * 0.1
history = model.fit(x, y, epochs=3, verbose=0)
print(history.history)
assert sorted(history.history) == ["loss", "mae"], history.history
assert history.history["loss"][2] < history.history["loss"][0], history.history

# --- Going lower-level ----------------------------------------------------------------------
class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            # Compute our own loss
            loss = self.loss_fn(y, y_pred)

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)

        # Update weights
        self.optimizer.apply(gradients, trainable_vars)

        # Compute our own metrics
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {
            "loss": self.loss_tracker.result(),
            "mae": self.mae_metric.result(),
        }

    @property
    def metrics(self):
        # We list our `Metric` objects here so that `reset_states()` can be
        # called automatically at the start of each epoch
        # or at the start of `evaluate()`.
        return [self.loss_tracker, self.mae_metric]


# Construct an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)

# We don't pass a loss or metrics here.
model.compile(optimizer="adam")

# Just use `fit` as usual -- you can use callbacks, etc.
epoch_losses = []


class BatchLosses(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        epoch_losses.append(self.seen)


history = model.fit(x, y, epochs=5, verbose=0, callbacks=[BatchLosses()])
print(history.history)
assert sorted(history.history) == ["loss", "mae"], history.history
assert history.history["loss"][-1] < history.history["loss"][0], history.history
# The trackers were reset at each epoch: each epoch's running mean starts afresh, so the
# first batch of epoch 2 reports that batch's loss alone, far below epoch 1's running mean.
assert epoch_losses[1][0] < epoch_losses[0][-1], (epoch_losses[0][-1], epoch_losses[1][0])
assert float(model.loss_tracker.result()) == history.history["loss"][-1]


# --- Supporting sample_weight & class_weight ------------------------------------------------
class CustomModel(keras.Model):
    def train_step(self, data):
        # Unpack the data. Its structure depends on your model and
        # on what you pass to `fit()`.
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            # Compute the loss value.
            # The loss function is configured in `compile()`.
            loss = self.compute_loss(
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
            )

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)

        # Update weights
        self.optimizer.apply(gradients, trainable_vars)

        # Update the metrics.
        # Metrics are configured in `compile()`.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)

        # Return a dict mapping metric names to current value.
        # Note that it will include the loss (tracked in self.metrics).
        return {m.name: m.result() for m in self.metrics}


# Construct and compile an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])

# You can now use sample_weight argument
sw = np.random.random((1000, 1))
history = model.fit(x, y, sample_weight=sw, epochs=3, verbose=0)
assert sorted(history.history) == ["loss", "mae"], history.history
assert history.history["loss"][-1] < history.history["loss"][0], history.history

# Zero weight on every sample: the weighted loss and metrics are zero
history = model.fit(x, y, sample_weight=np.zeros((1000, 1)), epochs=1, verbose=0)
assert history.history["loss"][0] == 0.0, history.history


# --- Providing your own evaluation step -----------------------------------------------------
class CustomModel(keras.Model):
    def test_step(self, data):
        # Unpack the data
        x, y = data
        # Compute predictions
        y_pred = self(x, training=False)
        # Updates the metrics tracking the loss
        loss = self.compute_loss(y=y, y_pred=y_pred)
        # Update the metrics.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        # Return a dict mapping metric names to current value.
        # Note that it will include the loss (tracked in self.metrics).
        return {m.name: m.result() for m in self.metrics}


# Construct an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(loss="mse", metrics=["mae"])

# Evaluate with our custom test_step
results = model.evaluate(x, y, batch_size=200, verbose=0)
print(results)
predictions = model.predict(x, verbose=0)
np.testing.assert_allclose(results[0], np.mean((predictions - y) ** 2), rtol=1e-4)
np.testing.assert_allclose(results[1], np.mean(np.abs(predictions - y)), rtol=1e-4)
print("ok")
