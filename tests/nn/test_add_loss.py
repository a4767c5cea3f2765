import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers, ops


class Penalty(layers.Layer):
    """Adds `amount` (times the mean of its input, so it has a gradient) to the loss."""

    def __init__(self, amount, **kwargs):
        super().__init__(**kwargs)
        self.amount = amount

    def call(self, x):
        self.add_loss(self.amount * ops.mean(x))
        return x


X = np.ones((8, 3), "float32")
Y = np.zeros((8, 2), "float32")


def _model(amount):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    outputs = layers.Dense(2, kernel_initializer="zeros")(Penalty(amount)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_added_losses_join_the_training_loss_once_per_call():
    assert _model(5.0).evaluate(X, Y, verbose=0) == pytest.approx(5.0)  # mse 0 + 5 * 1
    model = _model(5.0)
    model(X)
    model(X)
    assert [float(t) for t in model.losses] == [5.0]  # the latest call's, not both


def test_added_loss_has_a_gradient_and_callables_are_called():
    layer = Penalty(2.0)
    x = keras.ops.convert_to_tensor(np.full((2, 2), 3.0, "float32"))
    x.requires_grad = True
    layer(x)
    (total,) = layer.losses
    total.backward()
    np.testing.assert_allclose(x.grad, np.full((2, 2), 0.5))
    lazy = layers.Layer()
    lazy.add_loss(lambda: ops.ones((2,)))
    assert float(lazy.losses[0]) == 2.0
    with pytest.raises(TypeError, match="add_loss expects a tensor or a number"):
        lazy.add_loss("big")


def test_a_subclassed_models_own_add_loss_is_trained_on():
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            y = self.dense(x)
            self.add_loss(10.0 * ops.mean(ops.square(y)))
            return y

    model = Model()
    model.compile(optimizer="sgd", loss="mse")
    first = model.evaluate(X, Y, verbose=0)
    history = model.fit(X, Y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < first / 2
