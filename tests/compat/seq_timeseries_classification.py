"""keras.io "Timeseries classification from scratch": a fully convolutional network (three
Conv1D + BatchNormalization + ReLU blocks, GlobalAveragePooling1D, softmax) with the example's
ModelCheckpoint / ReduceLROnPlateau / EarlyStopping callbacks and validation_split, the best
model reloaded from its .keras file for the test set; then an LSTM classifier on the same data.
FordA's engine recordings are replaced by generated ones: class 1 hums at a lower pitch than
class 0, under noise as strong as the signal, labels -1/1 as in the UCR files. Only the import
changed."""

import numpy as np

from glassnet import keras

keras.utils.set_random_seed(1)
rng = np.random.default_rng(1)
LENGTH = 64


def readucr(n):
    """Stands in for reading FordA_TRAIN.tsv / FordA_TEST.tsv: (n, LENGTH) series, labels
    -1/1."""
    y = rng.choice([-1, 1], size=n)
    cycles = np.where(y == 1, rng.uniform(2, 3, n), rng.uniform(4, 5, n))
    t = np.arange(LENGTH) / LENGTH
    phase = rng.uniform(0, 2 * np.pi, n)
    x = np.sin(2 * np.pi * cycles[:, None] * t[None, :] + phase[:, None])
    x = x + rng.normal(0, 0.7, x.shape)
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    return x.astype("float32"), y


x_train, y_train = readucr(600)
x_test, y_test = readucr(300)

classes = np.unique(np.concatenate((y_train, y_test), axis=0))
assert classes.tolist() == [-1, 1]

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

num_classes = len(np.unique(y_train))

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

y_train[y_train == -1] = 0
y_test[y_test == -1] = 0


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
model.summary()
# three Conv1D (3*in*64 + 64), three BatchNormalization (4*64, half of it moving statistics)
assert model.count_params() == (3 * 1 * 64 + 64) + 2 * (3 * 64 * 64 + 64) + 3 * 256 + 130
assert len(model.non_trainable_weights) == 6

epochs = 20
batch_size = 16

callbacks = [
    keras.callbacks.ModelCheckpoint(
        "best_model.keras", save_best_only=True, monitor="val_loss"
    ),
    keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
    ),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
]
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=2,
)
print(history.history)
assert sorted(history.history) == ["learning_rate", "loss", "sparse_categorical_accuracy",
                                   "val_loss", "val_sparse_categorical_accuracy"], history.history
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history

model = keras.models.load_model("best_model.keras")

test_loss, test_acc = model.evaluate(x_test, y_test)

print("Test accuracy", test_acc)
print("Test loss", test_loss)
# The checkpoint holds the epoch with the lowest val_loss; evaluating it on the validation
# part again gives that loss back.
best = int(np.argmin(history.history["val_loss"]))
x_val, y_val = x_train[480:], y_train[480:]
val_loss, _ = model.evaluate(x_val, y_val, verbose=0)
assert abs(val_loss - history.history["val_loss"][best]) < 1e-4, (val_loss, best)
# Chance is 0.5 (the classes are balanced); the network must tell the hums apart.
assert test_acc > 0.9, test_acc

# The same data through a recurrent classifier.
inputs = keras.Input(shape=(LENGTH, 1))
x = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
rnn = keras.Model(inputs, outputs)
rnn.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
            metrics=["sparse_categorical_accuracy"])
rnn_history = rnn.fit(x_train, y_train, batch_size=32, epochs=8, validation_split=0.2,
                      verbose=2)
_, rnn_acc = rnn.evaluate(x_test, y_test, verbose=0)
print("LSTM test accuracy", rnn_acc)
assert rnn_acc > 0.8, (rnn_acc, rnn_history.history)
print("ok", test_acc, rnn_acc)
