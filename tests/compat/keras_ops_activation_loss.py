"""A custom activation and a custom loss written with keras.ops, used in compile/fit, as the
Keras 3 guides write them. Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops


def mish(x):
    return x * ops.tanh(ops.softplus(x))


def huberish_loss(y_true, y_pred):
    error = ops.subtract(y_true, y_pred)
    small = ops.less_equal(ops.abs(error), 1.0)
    quadratic = 0.5 * ops.square(error)
    linear = ops.abs(error) - 0.5
    return ops.mean(ops.where(small, quadratic, linear), axis=-1)


x = np.linspace(-1.0, 1.0, 5, dtype="float32")
np.testing.assert_allclose(ops.convert_to_numpy(mish(x)), x * np.tanh(np.log1p(np.exp(x))),
                           rtol=1e-5)
loss = huberish_loss(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
np.testing.assert_allclose(ops.convert_to_numpy(loss), [(0.125 + 2.5) / 2], rtol=1e-6)

keras.utils.set_random_seed(1)
rng = np.random.default_rng(1)
x_train = rng.uniform(-2, 2, (512, 1)).astype("float32")
y_train = np.sin(x_train)
model = keras.Sequential([
    keras.Input(shape=(1,)),
    layers.Dense(32, activation=mish),
    layers.Dense(32, activation=mish),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss=huberish_loss)
first = model.evaluate(x_train, y_train, verbose=0)
model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
last = model.evaluate(x_train, y_train, verbose=0)
assert last < 0.1 * first and last < 0.01, (first, last)
print("ok", first, last)
