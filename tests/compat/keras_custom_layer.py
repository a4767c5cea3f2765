"""From "Making new layers and models via subclassing" (Keras 3 guide): a Linear layer
with add_weight in build and ops.matmul in call, trained with fit. Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


x = ops.ones((2, 2))
linear_layer = Linear(4)
y = linear_layer(x)
assert ops.shape(y) == (2, 4)
assert len(linear_layer.weights) == 2 and len(linear_layer.trainable_weights) == 2

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x_train = rng.standard_normal((256, 3)).astype("float32")
y_train = x_train @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3

model = keras.Sequential([Linear(1)])
model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
history = model.fit(x_train, y_train, epochs=40, batch_size=32, verbose=0)
assert history.history["loss"][-1] < 1e-3, history.history["loss"][-1]
w = ops.convert_to_numpy(model.layers[0].w).ravel()
assert np.allclose(w, [1.0, -2.0, 0.5], atol=0.05), w
print("ok", history.history["loss"][-1])
