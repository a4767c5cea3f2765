"""add_loss / add_metric beyond a layer's call: Model.add_loss on symbolic tensors (tf.keras 2
and Keras 3's ``model.add_loss(ops.sum(outputs))``), callables, add_metric logged under its
name and averaged over the epoch, and compile() without a loss when the model adds its own."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers, ops

X = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
Y = np.zeros((12, 2), "float32")


class Penalized(layers.Layer):
    """Dense(2) that adds the mean square of its output as a loss and logs its mean."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(2, kernel_initializer="ones")

    def call(self, x):
        y = self.dense(x)
        self.add_loss(ops.mean(ops.square(y)))
        self.add_metric(ops.mean(y), name="mean_output")
        return y


def test_functional_model_add_loss_on_symbolic_tensors_is_computed_each_step():
    keras.utils.set_random_seed(0)
    x = keras.Input((3,))
    hidden = layers.Dense(4, kernel_initializer="ones", name="hidden")(x)
    out = layers.Dense(2, kernel_initializer="zeros", name="out")(hidden)
    model = keras.Model(x, out)
    model.add_loss(0.5 * ops.mean(ops.square(hidden)))
    model.compile(optimizer="sgd", loss="mse")
    expected = 0.5 * np.mean(np.square(X @ np.ones((3, 4))))
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(expected, rel=1e-5)
    (term,) = model.losses  # the latest call's value
    assert float(term.data) == pytest.approx(expected, rel=1e-5)
    history = model.fit(X, Y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]  # the penalty is trained


def test_a_loss_only_branch_trains_its_own_layers():
    x = keras.Input((3,))
    out = layers.Dense(2)(x)
    side = layers.Dense(1, name="side")(x)  # used only by the added loss
    model = keras.Model(x, out)
    model.add_loss(ops.mean(ops.square(side - 1.0)))
    assert "side" in [layer.name for layer in model.layers]
    model.compile(optimizer="adam", loss="mse")
    before = model.get_layer("side").get_weights()[0].copy()
    model.fit(X, Y, epochs=2, verbose=0)
    assert not np.array_equal(model.get_layer("side").get_weights()[0], before)


def test_add_loss_of_a_tensor_from_elsewhere_is_refused():
    x = keras.Input((3,))
    model = keras.Model(x, layers.Dense(2)(x))
    stranger = layers.Dense(1)(keras.Input((3,)))
    with pytest.raises(ValueError, match=r"add_loss: the tensor .* is not computed from the "
                                         r"model's inputs"):
        model.add_loss(ops.mean(stranger))
    assert model.predict(X, verbose=0).shape == (12, 2)  # the model is unchanged
    with pytest.raises(ValueError, match="only a functional Model built on those inputs"):
        layers.Dense(2).add_loss(ops.mean(x))


def test_callable_losses_are_called_each_time():
    x = keras.Input((3,))
    dense = layers.Dense(2, kernel_initializer="ones")
    model = keras.Model(x, dense(x))
    model.add_loss(lambda: ops.mean(dense.kernel))
    model.compile(optimizer="sgd", loss="mse")
    assert float(model.losses[0].data) == pytest.approx(1.0)
    dense.kernel.assign(np.full((3, 2), 3.0, "float32"))
    assert float(model.losses[0].data) == pytest.approx(3.0)
    model(X)  # a call does not drop it
    assert len(model.losses) == 1
    with pytest.raises(TypeError, match="add_loss expects a tensor or a number"):
        model.add_loss(lambda: "nothing")


def _fit_without_loss(model):
    model.compile(optimizer="sgd")  # no loss: the model adds its own
    first = model.evaluate(X, verbose=0, return_dict=True)
    history = model.fit(X, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < first["loss"]
    return history


def test_compile_without_a_loss_functional_subclassed_and_sequential():
    x = keras.Input((3,))
    _fit_without_loss(keras.Model(x, Penalized()(x)))
    _fit_without_loss(keras.Sequential([keras.Input((3,)), Penalized()]))

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = Penalized()

        def call(self, x):
            return self.inner(x)

    _fit_without_loss(Sub())


def test_a_model_with_neither_a_loss_nor_added_losses_says_so():
    x = keras.Input((3,))
    model = keras.Model(x, layers.Dense(2)(x))
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"^No loss to compute. Provide a `loss` argument in "
                                         r"`compile\(\)`"):
        model.fit(X, Y, epochs=1, verbose=0)


def test_add_metric_is_logged_under_its_name_and_averaged_over_the_epoch():
    x = keras.Input((3,))
    model = keras.Model(x, Penalized(name="pen")(x))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    batch_means = []
    history = model.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert set(history.history) == {"loss", "mae", "mean_output"}
    # SGD changes the weights between batches: the epoch value is the mean of the batches'
    # values, each computed with the weights of its step.
    model2 = keras.Model(x, Penalized(name="pen2")(x))
    model2.compile(optimizer="sgd", loss="mse")
    for start in range(0, 12, 4):
        batch = X[start:start + 4]
        batch_means.append(float(np.mean(model2.predict_on_batch(batch))))
        model2.train_on_batch(batch, Y[start:start + 4])
    assert history.history["mean_output"][0] == pytest.approx(np.mean(batch_means), rel=1e-5)
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert logs["mean_output"] == pytest.approx(float(np.mean(model.predict(X, verbose=0))),
                                                rel=1e-5)
    assert [m.name for m in model.metrics][-1] == "mean_output"


def test_model_add_metric_on_symbolic_tensors():
    x = keras.Input((3,))
    out = layers.Dense(2)(x)
    model = keras.Model(x, out)
    model.add_metric(ops.mean(ops.abs(out)), name="activity")
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert logs["activity"] == pytest.approx(float(np.mean(np.abs(model.predict(X, verbose=0)))),
                                             rel=1e-5)


def test_add_metric_arguments_are_checked():
    layer = layers.Layer()
    with pytest.raises(ValueError, match=r"Please provide a name for your metric like "
                                         r"`self.add_metric\(tf.reduce_sum\(inputs\), "
                                         r"name='mean_activation'\)`"):
        layer.add_metric(1.0)
    with pytest.raises(ValueError, match=r"supports only aggregation='mean'. Received: "
                                         r"aggregation='sum'"):
        layer.add_metric(1.0, name="m", aggregation="sum")
    with pytest.raises(TypeError, match="add_metric expects a tensor or a number"):
        layer.add_metric("high", name="m")


def test_an_unbuilt_subclassed_model_trains_on_its_added_loss_from_the_first_fit():
    # compiled without a loss and fit without targets, nothing builds the model before the
    # first step: the weights its first call makes must still be trained

    class Pulled(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(4)

        def call(self, x):
            z = self.dense(x)
            self.add_loss(ops.mean(ops.square(z - 1.0)))
            return z

    model = Pulled()
    model.compile(keras.optimizers.Adam(1e-2))
    x = np.random.default_rng(0).random((64, 3)).astype("float32")
    losses = model.fit(x, epochs=3, batch_size=32, verbose=0).history["loss"]
    assert losses[0] > losses[1] > losses[2], losses
    assert int(model.optimizer.iterations) == 6
    other = Pulled()
    other.compile(keras.optimizers.Adam(1e-2))
    first = float(other.train_on_batch(x))
    assert float(other.train_on_batch(x)) < first
