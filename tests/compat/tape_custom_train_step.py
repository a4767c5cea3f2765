"""The Keras guide "Customizing what happens in fit()" (tf.keras 2 version), with only the
import changed: a keras.Model subclass whose train_step uses a GradientTape,
``self.compiled_loss``, ``self.optimizer.apply_gradients`` and ``self.compiled_metrics``, then
trained by the ordinary ``fit``."""

import numpy as np

import glassnet as tf
from glassnet import keras


class CustomModel(keras.Model):
    def train_step(self, data):
        # Unpack the data. Its structure depends on your model and
        # on what you pass to `fit()`.
        x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            # Compute the loss value
            # (the loss function is configured in `compile()`)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        # Update weights
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        # Update metrics (includes the metric that tracks the loss)
        self.compiled_metrics.update_state(y, y_pred)
        # Return a dict mapping metric names to current value
        return {m.name: m.result() for m in self.metrics}


keras.utils.set_random_seed(0)

# A separable two-class problem: the label says whether the features sum above zero.
rng = np.random.default_rng(0)
x = rng.normal(size=(1000, 32)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")

# Construct and compile an instance of CustomModel
inputs = keras.Input(shape=(32,))
hidden = keras.layers.Dense(16, activation="relu",
                            kernel_regularizer=keras.regularizers.l2(1e-4))(inputs)
outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

weights_before = [w.copy() for w in model.get_weights()]
# Just use `fit` as usual
history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
print(history.history)

assert any(not np.array_equal(a, b) for a, b in zip(weights_before, model.get_weights()))
accuracy = float(np.mean((model.predict(x, verbose=0) > 0.5) == y))
print("accuracy:", accuracy)
assert accuracy > 0.9, f"training accuracy {accuracy:.3f} is below 0.9"
acc_history = history.history["accuracy"]
assert acc_history[-1] > acc_history[0], acc_history
loss_history = history.history["loss"]  # logged by compiled_loss, as tf.keras 2 does
assert loss_history[0] > loss_history[-1] > 0.0, loss_history
print("ok")
