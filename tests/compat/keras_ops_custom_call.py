"""A model whose custom call uses ops.top_k, ops.one_hot, ops.where and ops.cond: a
classifier head that keeps only each sample's top-2 logits (the rest pushed to a large
negative value), trained with fit. Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops


class TopKLogits(layers.Layer):
    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def call(self, logits):
        values, indices = ops.top_k(logits, k=self.k)
        num_classes = ops.shape(logits)[-1]
        keep = ops.sum(ops.one_hot(indices, num_classes), axis=1)  # (batch, classes)
        masked = ops.where(keep > 0, logits, -1e4)
        return ops.cond(self.k >= num_classes, lambda: logits, lambda: masked)


logits = ops.convert_to_tensor([[0.1, 2.0, -1.0, 0.5], [3.0, 0.0, 1.0, 2.0]])
out = ops.convert_to_numpy(TopKLogits(2)(logits))
assert np.allclose(out, [[-1e4, 2.0, -1e4, 0.5], [3.0, -1e4, -1e4, 2.0]])
assert np.allclose(ops.convert_to_numpy(TopKLogits(4)(logits)), ops.convert_to_numpy(logits))

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)
centers = rng.standard_normal((4, 8)).astype("float32") * 3
labels = rng.integers(0, 4, 800)
x = centers[labels] + rng.standard_normal((800, 8)).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(8,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(4),
    TopKLogits(2),
])
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history = model.fit(x, labels, epochs=10, batch_size=32, verbose=0)
assert history.history["accuracy"][-1] > 0.9, history.history
predictions = ops.argmax(model.predict(x[:5], verbose=0), axis=-1)
assert ops.shape(predictions) == (5,)
print("ok", history.history["accuracy"][-1])
