"""train_step, test_step, predict_step and compute_loss are public and honoured, as in the
Keras guide "Customizing what happens in fit()"; the regularization penalty is added in one
place, so fit, validation and evaluate report the same loss for the same weights."""

import numpy as np
import pytest

from glassnet import keras

RNG = np.random.default_rng(0)
X = RNG.standard_normal((64, 5)).astype(np.float32)
Y = (X[:, :1] * 2 - X[:, 1:2]).astype(np.float32)


class CustomModel(keras.Model):
    """The guide's model: its own train_step, written with the public pieces."""

    steps_seen = 0

    def train_step(self, data):
        x, y = data
        self.steps_seen += 1
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable = self.trainable_weights
        self.optimizer.apply([v.grad for v in trainable], trainable)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(float(loss.data))
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def functional(cls=keras.Model, **dense_kwargs):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5,))
    outputs = keras.layers.Dense(1, **dense_kwargs)(keras.layers.Dense(8)(inputs))
    return cls(inputs, outputs)


def test_an_overridden_train_step_is_what_fit_runs():
    model = functional(CustomModel)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, batch_size=16, epochs=3, verbose=0)
    assert model.steps_seen == 12
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "mean_absolute_error" in history.history or "mae" in history.history


def test_an_overridden_test_step_and_predict_step_are_what_evaluate_and_predict_run():
    class Doubling(keras.Model):
        def predict_step(self, data):
            return self(data[0], training=False) * 2

        def test_step(self, data):
            return {"answer": 42.0}

    model = functional(Doubling)
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               2 * model(X).numpy(), rtol=1e-6)
    assert model.evaluate(X, Y, verbose=0, return_dict=True) == {"answer": 42.0}


def test_compile_without_a_loss_when_the_model_computes_its_own():
    class OwnLoss(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            return ((y_pred - y) ** 2).mean()

    model = functional(OwnLoss)
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    history = model.fit(X, Y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    plain = functional()
    plain.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"No loss to compute. Provide a `loss` argument in "
                                         r"`compile\(\)`"):
        plain.fit(X, Y, verbose=0)


def test_keras2_spellings_inside_a_custom_train_step():
    class Keras2(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_weights],
                                 self.trainable_weights)
            self.zero_grad()
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    model = functional(Keras2)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=2, verbose=0)


def test_fit_validation_and_evaluate_include_the_same_regularization():
    model = functional(activity_regularizer=keras.regularizers.L2(10.0),
                       kernel_regularizer=keras.regularizers.L1(1.0))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")  # weights never change
    history = model.fit(X, Y, batch_size=64, epochs=1, validation_data=(X, Y), verbose=0)
    evaluated = model.evaluate(X, Y, batch_size=64, verbose=0)
    plain = float(((model.predict(X, verbose=0) - Y) ** 2).mean())
    assert evaluated > plain * 1.5  # the penalties are in
    np.testing.assert_allclose(history.history["loss"][0], evaluated, rtol=1e-5)
    np.testing.assert_allclose(history.history["val_loss"][0], evaluated, rtol=1e-5)


def test_nested_activity_regularizers_count():
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(
        3, activity_regularizer=keras.regularizers.L2(1.0))])
    outer = keras.Sequential([keras.Input((5,)), inner, keras.layers.Dense(1)])
    outer(X)
    assert len(outer.losses) == 1


def test_the_keras3_torch_backend_guide_spelling_of_gradients():
    class GuideModel(keras.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    model = functional(GuideModel)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_user_metric_objects_start_from_zero_in_every_call():
    model = functional()
    accuracy = keras.metrics.MeanAbsoluteError()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=[accuracy])
    model.evaluate(X[:16], Y[:16], verbose=0)  # before any fit
    history = model.fit(X, Y, batch_size=64, epochs=2, verbose=0)
    first, second = history.history["mean_absolute_error"]
    assert first == second  # nothing changes the weights: evaluate's counts did not leak in
    assert accuracy.result() == second  # fit counted on the user's own instance


def test_metrics_given_as_strings_are_logged_under_those_strings():
    model = functional()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse", "mean_absolute_error"])
    history = model.fit(X, Y, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "mae", "mean_absolute_error", "mse"]
