"""A metric written as Keras's guide "Training & evaluation with the built-in methods"
writes one: state Variables from add_variable, its own update_state, result, reset_state."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import ops


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"), "float32")
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


class Total(keras.metrics.Metric):  # no reset_state of its own: the default resets
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(name="total", initializer=1.0)

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(float(np.sum(y_true)))

    def result(self):
        return self.total


def test_guide_metric_counts_per_epoch_in_fit():
    rng = np.random.default_rng(0)
    x = rng.random((64, 4)).astype("float32")
    y = rng.integers(0, 3, (64, 1))
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile("rmsprop", "sparse_categorical_crossentropy",
                  metrics=[CategoricalTruePositives()])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    counts = history.history["categorical_true_positives"]
    assert len(counts) == 2 and all(0 <= c <= 64 and c == int(c) for c in counts)
    expected = float(np.sum(model.predict(x, verbose=0).argmax(1) == y[:, 0]))
    assert model.evaluate(x, y, verbose=0, return_dict=True)[
        "categorical_true_positives"] == expected


def test_default_reset_state_restores_initial_values():
    m = Total()
    assert [float(v) for v in m.variables] == [1.0]
    m.update_state(np.array([2.0, 3.0]), None)
    assert float(m.result()) == 6.0
    m.reset_state()
    assert float(m.result()) == 1.0
    with pytest.raises(ValueError, match="initializer must be"):
        m.add_variable(initializer="glorot")
