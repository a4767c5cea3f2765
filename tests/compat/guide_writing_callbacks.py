"""From the Keras 3 guide "Writing your own callbacks": a CustomCallback overriding every hook
(train/test/predict begin and end, epoch begin and end, batch begin and end) and printing the
keys of the logs each receives, for fit, evaluate and predict; LossAndErrorPrintingCallback
reading logs["loss"] and logs["mean_absolute_error"]; EarlyStoppingAtMinLoss that keeps the best
weights with get_weights, sets self.model.stop_training and restores them with set_weights; and
CustomLearningRateScheduler setting self.model.optimizer.learning_rate each epoch. On the MNIST
sample (digit-like noise if it is not next to the repository). Only the import changed."""

import pathlib

import numpy as np

from glassnet import keras

keras.utils.set_random_seed(2)


# Define the Keras model to add callbacks to
def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


SAMPLE = pathlib.Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mnist10k.npz"
if SAMPLE.exists():
    with np.load(SAMPLE, allow_pickle=False) as f:
        images, labels = f["x"][:2000], f["y"][:2000]
else:  # ten prototypes plus noise
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 2000)
    images = np.clip(rng.integers(0, 255, (10, 28, 28))[labels]
                     + rng.normal(0, 60, (2000, 28, 28)), 0, 255)

# Load example MNIST data and pre-process it
x_train = images[:1000].reshape(-1, 784).astype("float32") / 255.0
x_test = images[1000:].reshape(-1, 784).astype("float32") / 255.0

# Limit the data to 1000 samples
y_train = labels[:1000].astype("float32")
y_test = labels[1000:].astype("float32")

# --- Basic example: every hook, and the keys of its logs ------------------------------------
events = []


class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        keys = list(logs.keys())
        events.append(("train_begin", keys))
        print(f"Starting training; got log keys: {keys}")

    def on_train_end(self, logs=None):
        keys = list(logs.keys())
        events.append(("train_end", keys))
        print(f"Stop training; got log keys: {keys}")

    def on_epoch_begin(self, epoch, logs=None):
        keys = list(logs.keys())
        events.append(("epoch_begin", keys))
        print(f"Start epoch {epoch} of training; got log keys: {keys}")

    def on_epoch_end(self, epoch, logs=None):
        keys = list(logs.keys())
        events.append(("epoch_end", keys))
        print(f"End epoch {epoch} of training; got log keys: {keys}")

    def on_test_begin(self, logs=None):
        keys = list(logs.keys())
        events.append(("test_begin", keys))
        print(f"Start testing; got log keys: {keys}")

    def on_test_end(self, logs=None):
        keys = list(logs.keys())
        events.append(("test_end", keys))
        print(f"Stop testing; got log keys: {keys}")

    def on_predict_begin(self, logs=None):
        keys = list(logs.keys())
        events.append(("predict_begin", keys))
        print(f"Start predicting; got log keys: {keys}")

    def on_predict_end(self, logs=None):
        keys = list(logs.keys())
        events.append(("predict_end", keys))
        print(f"Stop predicting; got log keys: {keys}")

    def on_train_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        events.append(("train_batch_begin", keys))
        print(f"...Training: start of batch {batch}; got log keys: {keys}")

    def on_train_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        events.append(("train_batch_end", keys))
        print(f"...Training: end of batch {batch}; got log keys: {keys}")

    def on_test_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        events.append(("test_batch_begin", keys))
        print(f"...Evaluating: start of batch {batch}; got log keys: {keys}")

    def on_test_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        events.append(("test_batch_end", keys))
        print(f"...Evaluating: end of batch {batch}; got log keys: {keys}")

    def on_predict_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        events.append(("predict_batch_begin", keys))
        print(f"...Predicting: start of batch {batch}; got log keys: {keys}")

    def on_predict_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        events.append(("predict_batch_end", keys))
        print(f"...Predicting: end of batch {batch}; got log keys: {keys}")


model = get_model()
model.fit(
    x_train,
    y_train,
    batch_size=128,
    epochs=1,
    verbose=0,
    validation_split=0.5,
    callbacks=[CustomCallback()],
)
metric_keys = ["loss", "mean_absolute_error"]
# 500 training samples in 4 batches, then 500 validation samples in 4 batches
expected = ([("train_begin", []), ("epoch_begin", [])]
            + [("train_batch_begin", []), ("train_batch_end", metric_keys)] * 4
            + [("test_begin", [])]
            + [("test_batch_begin", []), ("test_batch_end", metric_keys)] * 4
            + [("test_end", metric_keys),
               ("epoch_end", metric_keys + ["val_loss", "val_mean_absolute_error"]),
               ("train_end", metric_keys + ["val_loss", "val_mean_absolute_error"])])
assert [e[0] for e in events] == [e[0] for e in expected], [e[0] for e in events]
for got, want in zip(events, expected):
    assert sorted(got[1]) == sorted(want[1]), (got, want)

events.clear()
res = model.evaluate(
    x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()]
)
assert [e[0] for e in events] == (["test_begin"] + ["test_batch_begin", "test_batch_end"] * 8
                                  + ["test_end"]), [e[0] for e in events]
assert sorted(events[-1][1]) == metric_keys

events.clear()
res = model.predict(x_test, batch_size=128, callbacks=[CustomCallback()], verbose=0)
assert [e[0] for e in events] == (["predict_begin"]
                                  + ["predict_batch_begin", "predict_batch_end"] * 8
                                  + ["predict_end"]), [e[0] for e in events]
assert events[2][1] == ["outputs"], events[2]
assert res.shape == (1000, 1)


# --- Usage of logs dict ---------------------------------------------------------------------
class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print(
            "Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"])
        )

    def on_test_batch_end(self, batch, logs=None):
        print(
            "Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"])
        )

    def on_epoch_end(self, epoch, logs=None):
        print(
            "The average loss for epoch {} is {:7.2f} "
            "and mean absolute error is {:7.2f}.".format(
                epoch, logs["loss"], logs["mean_absolute_error"]
            )
        )


model = get_model()
history = model.fit(
    x_train,
    y_train,
    batch_size=128,
    epochs=2,
    verbose=0,
    callbacks=[LossAndErrorPrintingCallback()],
)

res = model.evaluate(
    x_test,
    y_test,
    batch_size=128,
    verbose=0,
    callbacks=[LossAndErrorPrintingCallback()],
)
assert len(history.history["loss"]) == 2 and np.isfinite(res).all()


# --- Usage of self.model attribute: early stopping at minimum loss --------------------------
class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    """Stop training when the loss is at its min, i.e. the loss stops decreasing.

    Arguments:
        patience: Number of epochs to wait after min has been hit. After this
        number of no improvement, training stops.
    """

    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        # best_weights to store the weights at which the minimum loss occurs.
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # The number of epoch it has waited when loss is no longer minimum.
        self.wait = 0
        # The epoch the training stops at.
        self.stopped_epoch = 0
        # Initialize the best as infinity.
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            # Record the best weights if current results is better (less).
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                print("Restoring model weights from the end of the best epoch.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


model = get_model()
early = EarlyStoppingAtMinLoss()
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=30,
    verbose=0,
    callbacks=[LossAndErrorPrintingCallback(), early],
)
losses = history.history["loss"]
print(losses)
# RMSprop at 0.1 overshoots on this problem, so the loss rises well before 30 epochs
assert 0 < early.stopped_epoch < 29 and len(losses) == early.stopped_epoch + 1, losses
assert early.best == min(losses) and losses[-1] >= early.best
for kept, now in zip(early.best_weights, model.get_weights()):
    np.testing.assert_array_equal(kept, now)


# --- Learning rate scheduling ---------------------------------------------------------------
class CustomLearningRateScheduler(keras.callbacks.Callback):
    """Learning rate scheduler which sets the learning rate according to schedule.

    Arguments:
        schedule: a function that takes an epoch index
            (integer, indexed from 0) and current learning rate
            as inputs and returns a new learning rate as output (float).
    """

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        # Get the current learning rate from model's optimizer.
        lr = self.model.optimizer.learning_rate
        # Call schedule function to get the scheduled learning rate.
        scheduled_lr = self.schedule(epoch, lr)
        # Set the value back to the optimizer before this epoch starts
        self.model.optimizer.learning_rate = scheduled_lr
        seen.append(float(np.array(self.model.optimizer.learning_rate)))
        print(f"\nEpoch {epoch}: Learning rate is {float(np.array(scheduled_lr))}.")


LR_SCHEDULE = [
    # (epoch to start, learning rate) tuples
    (3, 0.05),
    (6, 0.01),
    (9, 0.005),
    (12, 0.001),
]


def lr_schedule(epoch, lr):
    """Helper function to retrieve the scheduled learning rate based on epoch."""
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


seen = []
model = get_model()
model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=15,
    verbose=0,
    callbacks=[
        LossAndErrorPrintingCallback(),
        CustomLearningRateScheduler(lr_schedule),
    ],
)
np.testing.assert_allclose(seen, [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3
                           + [0.001] * 3, rtol=1e-6)
np.testing.assert_allclose(float(np.array(model.optimizer.learning_rate)), 0.001, rtol=1e-6)
print("ok")
