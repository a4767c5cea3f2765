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


class GuideCategoricalTruePositives(keras.metrics.Metric):
    """Word for word the guide's metric, sample weights and the Keras 2 spelling included."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        self.true_positives.assign(0.0)


def test_guide_metric_with_sample_weights_in_fit_and_evaluate():
    rng = np.random.default_rng(2)
    x = rng.random((48, 5)).astype("float32")
    y = rng.integers(0, 4, (48, 1))
    w = rng.uniform(0.5, 1.5, (48, 1)).astype("float32")
    inputs = keras.Input(shape=(5,), name="digits")
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    outputs = keras.layers.Dense(4, activation="softmax", name="predictions")(hidden)
    model = keras.Model(inputs=inputs, outputs=outputs)
    metric = GuideCategoricalTruePositives()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  weighted_metrics=[metric])
    model.fit(x, y, sample_weight=w, batch_size=16, epochs=2, verbose=0)
    hits = model.predict(x, verbose=0).argmax(1) == y[:, 0]
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert logs["categorical_true_positives"] == pytest.approx(float(w[hits].sum()), rel=1e-5)


class WeightedMeanError(keras.metrics.Metric):
    """State with a shape, a callable initializer, add_variable's Keras 3 signature and the
    default reset_state."""

    def __init__(self, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.errors = self.add_variable((classes,), keras.initializers.Zeros(), name="errors")
        self.count = self.add_variable(shape=(), initializer="ones", dtype="float64",
                                       name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.errors.assign_add(np.abs(np.asarray(y_true) - np.asarray(y_pred)).sum(0))
        self.count.assign_add(len(y_true))

    def result(self):
        return self.errors.numpy() / self.count.numpy()


def test_variables_call_reset_states_and_config():
    m = WeightedMeanError(name="wme")
    assert [v.shape for v in m.variables] == [(3,), ()]
    assert m.variables[1].numpy().dtype == np.float64
    value = m(np.ones((2, 3)), np.zeros((2, 3)))  # __call__: update, then the result
    np.testing.assert_allclose(value, [2 / 3] * 3)
    m.reset_states()  # tf.keras 2's spelling
    np.testing.assert_array_equal(m.variables[0].numpy(), 0)
    assert float(m.variables[1].numpy()) == 1.0
    assert m.get_config() == {"name": "wme", "dtype": "float32"}
    clone = WeightedMeanError.from_config(m.get_config())
    assert clone.name == "wme" and clone.variables[0] is not m.variables[0]
