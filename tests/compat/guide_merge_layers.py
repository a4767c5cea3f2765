"""From the Keras 3 API reference "Merging layers" examples: Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate and Dot (axes=(1, 2), axes=1, normalize=True) called on arrays,
and their functional forms keras.layers.add / subtract / multiply / average / maximum / minimum
/ concatenate / dot inside a two-input model, which is trained, saved and reloaded. Values are
checked against NumPy. Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import ops

keras.utils.set_random_seed(10)


def numpy_of(t):
    return ops.convert_to_numpy(t)


# --- The layer classes on concrete arrays ---------------------------------------------------
input_shape = (2, 3, 4)
x1 = np.random.rand(*input_shape).astype("float32")
x2 = np.random.rand(*input_shape).astype("float32")
np.testing.assert_allclose(numpy_of(keras.layers.Add()([x1, x2])), x1 + x2, rtol=1e-6)
np.testing.assert_allclose(numpy_of(keras.layers.Subtract()([x1, x2])), x1 - x2, rtol=1e-6)
np.testing.assert_allclose(numpy_of(keras.layers.Multiply()([x1, x2])), x1 * x2, rtol=1e-6)
np.testing.assert_allclose(numpy_of(keras.layers.Average()([x1, x2])), (x1 + x2) / 2, rtol=1e-6)
np.testing.assert_allclose(numpy_of(keras.layers.Maximum()([x1, x2])), np.maximum(x1, x2))
np.testing.assert_allclose(numpy_of(keras.layers.Minimum()([x1, x2])), np.minimum(x1, x2))
x3 = np.random.rand(*input_shape).astype("float32")
np.testing.assert_allclose(numpy_of(keras.layers.Add()([x1, x2, x3])), x1 + x2 + x3, rtol=1e-6)
np.testing.assert_allclose(numpy_of(keras.layers.Maximum()([x1, x2, x3])),
                           np.maximum(np.maximum(x1, x2), x3))

x = np.arange(20).reshape(2, 2, 5)
y = np.arange(20, 30).reshape(2, 1, 5)
np.testing.assert_array_equal(numpy_of(keras.layers.Concatenate(axis=1)([x, y])),
                              np.concatenate([x, y], axis=1))

x = np.arange(10).reshape(1, 5, 2)
y = np.arange(10, 20).reshape(1, 2, 5)
dotted = keras.layers.Dot(axes=(1, 2))([x, y])
print(dotted)
np.testing.assert_array_equal(numpy_of(dotted), [[[260, 360], [320, 445]]])

x1 = keras.layers.Dense(8)(np.arange(10).reshape(5, 2))
x2 = keras.layers.Dense(8)(np.arange(10, 20).reshape(5, 2))
dotted = keras.layers.Dot(axes=1)([x1, x2])
assert tuple(dotted.shape) == (5, 1), dotted.shape
np.testing.assert_allclose(numpy_of(dotted)[:, 0], np.sum(numpy_of(x1) * numpy_of(x2), axis=1),
                           rtol=1e-5)
cosine = keras.layers.Dot(axes=1, normalize=True)([x1, x2])
a, b = numpy_of(x1), numpy_of(x2)
np.testing.assert_allclose(
    numpy_of(cosine)[:, 0],
    np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)), rtol=1e-5)

# --- The functional forms inside a model ----------------------------------------------------
input1 = keras.layers.Input(shape=(16,))
x1 = keras.layers.Dense(8, activation="relu")(input1)
input2 = keras.layers.Input(shape=(32,))
x2 = keras.layers.Dense(8, activation="relu")(input2)
# equivalent to `added = keras.layers.Add()([x1, x2])`
added = keras.layers.add([x1, x2])
subtracted = keras.layers.subtract([x1, x2])
multiplied = keras.layers.multiply([x1, x2])
averaged = keras.layers.average([x1, x2])
maxed = keras.layers.maximum([x1, x2])
mined = keras.layers.minimum([x1, x2])
dotted = keras.layers.dot([x1, x2], axes=1)
cosine = keras.layers.dot([x1, x2], axes=1, normalize=True)
merged = keras.layers.concatenate(
    [added, subtracted, multiplied, averaged, maxed, mined, dotted, cosine])
assert tuple(merged.shape) == (None, 6 * 8 + 2), merged.shape
out = keras.layers.Dense(4)(merged)
model = keras.models.Model(inputs=[input1, input2], outputs=out)
model.summary()
assert model.count_params() == (16 * 8 + 8) + (32 * 8 + 8) + (50 * 4 + 4)

rng = np.random.default_rng(10)
a = rng.random((256, 16)).astype("float32")
b = rng.random((256, 32)).astype("float32")
target = np.stack([a[:, :4].sum(1), b[:, :4].sum(1), a[:, 4] * b[:, 4],
                   np.maximum(a[:, 5], b[:, 5])], axis=1)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
history = model.fit([a, b], target, batch_size=32, epochs=8, verbose=0)
print(history.history["loss"])
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history["loss"]

# Every merge output agrees with NumPy on the trained branches
branches = keras.Model([input1, input2], [x1, x2, subtracted, maxed, mined, dotted, cosine])
h1, h2, sub, mx, mn, dt, cs = branches.predict([a[:8], b[:8]], verbose=0)
np.testing.assert_allclose(sub, h1 - h2, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(mx, np.maximum(h1, h2), rtol=1e-6)
np.testing.assert_allclose(mn, np.minimum(h1, h2), rtol=1e-6)
np.testing.assert_allclose(dt[:, 0], np.sum(h1 * h2, axis=1), rtol=1e-5, atol=1e-6)
norms = np.maximum(np.linalg.norm(h1, axis=1), 1e-6) * np.maximum(np.linalg.norm(h2, axis=1),
                                                                   1e-6)
np.testing.assert_allclose(cs[:, 0], np.sum(h1 * h2, axis=1) / norms, rtol=1e-4, atol=1e-5)

model.save("merged.keras")
reloaded = keras.models.load_model("merged.keras")
np.testing.assert_allclose(reloaded.predict([a[:16], b[:16]], verbose=0),
                           model.predict([a[:16], b[:16]], verbose=0), rtol=1e-5, atol=1e-6)
assert [type(layer).__name__ for layer in reloaded.layers].count("Dot") == 2
print("ok")
