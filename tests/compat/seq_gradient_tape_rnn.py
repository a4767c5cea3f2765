"""The TensorFlow guide "Writing a training loop from scratch", over a recurrent model: a
tf.data pipeline (from_tensor_slices, shuffle, batch), a @tf.function train step with
tf.GradientTape, gradients clipped by global norm (as RNN loops do), optimizer.apply_gradients,
metrics updated and reset by hand, and a validation loop. The model is an Embedding + LSTM +
Dense classifier of generated sequences: which of three "keyword" tokens occurs most often.
The tape's gradient is also checked against a finite difference. Only the import changed."""

import numpy as np

import glassnet as tf
from glassnet import keras
from glassnet.keras import layers

keras.utils.set_random_seed(12)
rng = np.random.default_rng(12)

vocab, length, n = 30, 16, 2400


def make_data(n):
    """Sequences of filler tokens 4..29 holding each keyword 1, 2, 3 between 0 and 4 times
    (one of them strictly most often); the label is that keyword, as 0, 1 or 2."""
    counts = rng.integers(0, 5, size=(4 * n, 3))
    top = counts.max(axis=1, keepdims=True)
    counts = counts[(counts == top).sum(axis=1) == 1][:n]  # keep the samples with no tie
    x = rng.integers(4, vocab, size=(n, length))
    slots = np.argsort(rng.random((n, length)), axis=1)  # distinct random positions
    first = np.concatenate([np.zeros((n, 1), int), np.cumsum(counts, axis=1)], axis=1)
    rank = np.arange(length)[None, :]
    for keyword in range(3):  # vectorised over samples and positions
        put = (rank >= first[:, keyword:keyword + 1]) & (rank < first[:, keyword + 1:keyword + 2])
        rows = np.nonzero(put)[0]
        x[rows, slots[put]] = keyword + 1
    return x, np.argmax(counts, axis=1)


x_all, y_all = make_data(n)
x_train, y_train = x_all[:2000], y_all[:2000]
x_val, y_val = x_all[2000:], y_all[2000:]
baseline = np.bincount(y_train).max() / len(y_train)
print("majority baseline", baseline)

inputs = keras.Input(shape=(length,), dtype="int32", name="tokens")
x = layers.Embedding(vocab, 16)(inputs)
x = layers.LSTM(32)(x)
outputs = layers.Dense(3, name="predictions")(x)
model = keras.Model(inputs=inputs, outputs=outputs)

# Instantiate an optimizer.
optimizer = keras.optimizers.Adam(learning_rate=1e-2)
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

# The tape's gradient against a central difference, on one weight of the LSTM's kernel.
x_probe, y_probe = x_train[:8], y_train[:8]
kernel = model.layers[2].trainable_weights[0]
with tf.GradientTape() as tape:
    probe_loss = loss_fn(y_probe, model(x_probe, training=False))
grad = tape.gradient(probe_loss, kernel)
original = kernel.numpy().copy()
eps = 1e-2
shifted = original.copy()
shifted[3, 5] += eps
kernel.assign(shifted)
plus = float(loss_fn(y_probe, model(x_probe, training=False)))
shifted[3, 5] -= 2 * eps
kernel.assign(shifted)
minus = float(loss_fn(y_probe, model(x_probe, training=False)))
kernel.assign(original)
numeric = (plus - minus) / (2 * eps)
analytic = float(np.asarray(grad)[3, 5])
print("gradient", analytic, "finite difference", numeric)
assert abs(analytic - numeric) < 1e-3 + 0.05 * abs(numeric), (analytic, numeric)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y, logits)
    return loss_value


@tf.function
def test_step(x, y):
    val_logits = model(x, training=False)
    val_acc_metric.update_state(y, val_logits)


epochs = 3
epoch_losses, val_accuracies = [], []
for epoch in range(epochs):
    print(f"\nStart of epoch {epoch}")
    losses = []
    # Iterate over the batches of the dataset.
    for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
        loss_value = train_step(x_batch_train, y_batch_train)
        losses.append(float(loss_value))
        # Log every 10 batches.
        if step % 10 == 0:
            print(f"Training loss (for one batch) at step {step}: {float(loss_value):.4f}")
    assert step == 31  # 2000 samples in batches of 64
    epoch_losses.append(np.mean(losses))

    # Display metrics at the end of each epoch.
    train_acc = train_acc_metric.result()
    print(f"Training acc over epoch: {float(train_acc):.4f}")

    # Reset training metrics at the end of each epoch
    train_acc_metric.reset_state()

    # Run a validation loop at the end of each epoch.
    for x_batch_val, y_batch_val in val_dataset:
        test_step(x_batch_val, y_batch_val)

    val_acc = val_acc_metric.result()
    val_acc_metric.reset_state()
    val_accuracies.append(float(val_acc))
    print(f"Validation acc: {float(val_acc):.4f}")

print("epoch losses", epoch_losses, "validation accuracy", val_accuracies)
assert epoch_losses[-1] < 0.5 * epoch_losses[0], epoch_losses
assert val_accuracies[-1] > max(0.85, baseline + 0.4), (val_accuracies, baseline)

# The metric the loop accumulated is the accuracy of a plain predict.
predicted = np.argmax(model.predict(x_val, verbose=0), axis=-1)
assert abs((predicted == y_val).mean() - val_accuracies[-1]) < 1e-6
assert int(optimizer.iterations.numpy()) == epochs * 32
print("ok", val_accuracies[-1])
