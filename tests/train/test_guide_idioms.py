"""Idioms of the Keras guides that must work as written."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers, ops


def test_every_callback_hook_gets_a_logs_dict():
    seen = {}

    class Keys(keras.callbacks.Callback):
        def _record(self, hook, logs):
            seen.setdefault(hook, list(logs.keys()))  # the guide's `list(logs.keys())`

        def on_train_begin(self, logs=None):
            self._record("train_begin", logs)

        def on_epoch_begin(self, epoch, logs=None):
            self._record("epoch_begin", logs)

        def on_test_begin(self, logs=None):
            self._record("test_begin", logs)

        def on_predict_begin(self, logs=None):
            self._record("predict_begin", logs)

        def on_predict_end(self, logs=None):
            self._record("predict_end", logs)

    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[Keys()])
    model.evaluate(x, y, verbose=0, callbacks=[Keys()])
    model.predict(x, verbose=0, callbacks=[Keys()])
    assert set(seen) == {"train_begin", "epoch_begin", "test_begin", "predict_begin",
                         "predict_end"}


def test_functional_merge_functions_and_float_labels_to_one_hot():
    a, b = keras.Input((3,)), keras.Input((2,))
    merged = layers.concatenate([a, b])
    out = layers.add([layers.Dense(4)(merged), layers.Dense(4)(a)])
    model = keras.Model([a, b], out)
    assert model.predict([np.ones((5, 3)), np.ones((5, 2))], verbose=0).shape == (5, 4)
    labels = np.array([1.0, 2.0], "float32")  # y_train as float32, as in the guide
    np.testing.assert_array_equal(ops.one_hot(labels, 3).numpy(), np.eye(3)[[1, 2]])


def test_fit_without_trainable_weights_warns_and_goes_on():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Activation("relu")(inputs))
    model.compile("adam", "mse")
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        history = model.fit(np.ones((8, 4)), np.ones((8, 4)), epochs=2, verbose=0)
    assert history.history["loss"] == [0.0, 0.0]


def test_metrics_as_one_list_per_output():
    inputs = keras.Input((3,))
    score = layers.Dense(1, name="score")(inputs)
    klass = layers.Dense(2, activation="softmax", name="klass")(inputs)
    model = keras.Model(inputs, [score, klass])
    model.compile("adam", ["mse", "categorical_crossentropy"],
                  metrics=[[keras.metrics.MeanAbsolutePercentageError(),
                            keras.metrics.MeanAbsoluteError()],
                           [keras.metrics.CategoricalAccuracy()]])
    x = np.random.default_rng(0).random((16, 3)).astype("float32")
    y = [np.ones((16, 1), "float32"), np.eye(2, dtype="float32")[np.arange(16) % 2]]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {"score_mean_absolute_percentage_error", "score_mean_absolute_error",
            "klass_categorical_accuracy"} <= set(logs)
    with pytest.raises(ValueError, match="one list per output"):
        model.compile("adam", ["mse", "mse"], metrics=[["mae"]])
        model.evaluate(x, y, verbose=0)
