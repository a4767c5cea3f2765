"""The Keras guide "Writing a training loop from scratch" (tf.keras version), with only the
import changed: a functional model, a tf.data pipeline, a GradientTape step compiled with
@tf.function, and metrics driven by update_state / result / reset_state. The data is a
synthetic 4-class problem standing in for MNIST (no download)."""

# ruff: noqa: UP031 - the guide's own %-formatting, kept as written

import time

import numpy as np

import glassnet as tf
from glassnet import keras
from glassnet.keras import layers

start = time.time()
keras.utils.set_random_seed(0)

# Four Gaussian clusters in 32 dimensions.
rng = np.random.default_rng(0)
centers = rng.normal(scale=2.0, size=(4, 32)).astype("float32")
y_all = rng.integers(0, 4, size=3000)
x_all = (centers[y_all] + rng.normal(size=(3000, 32))).astype("float32")
x_train, y_train = x_all[:2500], y_all[:2500]
x_val, y_val = x_all[2500:], y_all[2500:]

inputs = keras.Input(shape=(32,), name="digits")
x1 = layers.Dense(64, activation="relu")(inputs)
x2 = layers.Dense(64, activation="relu")(x1)
outputs = layers.Dense(4, name="predictions")(x2)
model = keras.Model(inputs=inputs, outputs=outputs)

# Instantiate an optimizer.
optimizer = keras.optimizers.SGD(learning_rate=1e-2)
# Instantiate a loss function.
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

# Prepare the metrics.
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()

batch_size = 64
# Prepare the training dataset.
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_dataset = train_dataset.shuffle(buffer_size=1024).batch(batch_size)

# Prepare the validation dataset.
val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
val_dataset = val_dataset.batch(batch_size)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y, logits)
    return loss_value


@tf.function
def test_step(x, y):
    val_logits = model(x, training=False)
    val_acc_metric.update_state(y, val_logits)


epochs = 3
losses = []
for epoch in range(epochs):
    print("\nStart of epoch %d" % (epoch,))
    start_time = time.time()

    # Iterate over the batches of the dataset.
    for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
        loss_value = train_step(x_batch_train, y_batch_train)

        # Log every 20 batches.
        if step % 20 == 0:
            print("Training loss (for one batch) at step %d: %.4f" % (step, float(loss_value)))
            print("Seen so far: %d samples" % ((step + 1) * batch_size))
        losses.append(float(loss_value))

    # Display metrics at the end of each epoch.
    train_acc = train_acc_metric.result()
    print("Training acc over epoch: %.4f" % (float(train_acc),))

    # Reset training metrics at the end of each epoch
    train_acc_metric.reset_state()

    # Run a validation loop at the end of each epoch.
    for x_batch_val, y_batch_val in val_dataset:
        test_step(x_batch_val, y_batch_val)

    val_acc = val_acc_metric.result()
    val_acc_metric.reset_state()
    print("Validation acc: %.4f" % (float(val_acc),))
    print("Time taken: %.2fs" % (time.time() - start_time))

steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
assert len(losses) == epochs * steps_per_epoch, len(losses)
assert np.mean(losses[-10:]) < np.mean(losses[:10]), "the loss did not go down"
assert float(val_acc) > 0.9, f"validation accuracy {float(val_acc):.3f} is below 0.9"
assert time.time() - start < 10, "the program took more than 10 s"
print("ok")
