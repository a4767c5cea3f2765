"""Variable-length sequences through tf.data, as the "tf.data" guide's padded_batch and
unbatch sections use them, with only the import changed: from_generator of ragged lists,
padded_batch to one length, and a model trained on the padded batches."""

import numpy as np

import glassnet as tf

dataset = tf.data.Dataset.range(100)
dataset = dataset.map(lambda x: tf.fill([tf.cast(x, tf.int32)], x))
dataset = dataset.padded_batch(4, padded_shapes=(None,))

batches = list(dataset.take(2).as_numpy_iterator())
for batch in batches:
    print(batch)
assert batches[0].tolist() == [[0, 0, 0], [1, 0, 0], [2, 2, 0], [3, 3, 3]]
assert batches[1].shape == (4, 7)
assert dataset.element_spec.shape == (None, None)

# unbatch undoes batch
unbatched = tf.data.Dataset.range(10).batch(3).unbatch()
assert [int(v) for v in unbatched] == list(range(10))

# A ragged toy task: is the sum of a sequence of +-1 steps positive?
MAXLEN = 12
rng = np.random.default_rng(0)
sequences = [rng.choice([-1.0, 1.0], size=rng.integers(1, MAXLEN + 1)) for _ in range(2000)]
labels = [int(s.sum() > 0) for s in sequences]


def generator():
    yield from zip(sequences, labels)


ds = tf.data.Dataset.from_generator(
    generator, output_signature=(tf.TensorSpec(shape=(None,), dtype=tf.float32),
                                 tf.TensorSpec(shape=(), dtype=tf.int32)))
ds = ds.cache().shuffle(2000).padded_batch(64, padded_shapes=([MAXLEN], []),
                                           padding_values=(0.0, 0))
ds = ds.prefetch(tf.data.AUTOTUNE)
x_batch, y_batch = next(iter(ds))
assert x_batch.numpy().shape == (64, MAXLEN) and y_batch.numpy().shape == (64,)
assert ds.element_spec[0].shape == (None, MAXLEN)

tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([tf.keras.Input(shape=(MAXLEN,)),
                             tf.keras.layers.Dense(16, activation="relu"),
                             tf.keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="binary_crossentropy",
              metrics=["accuracy"])
history = model.fit(ds, epochs=8, verbose=0)
print(history.history["accuracy"])
assert history.history["accuracy"][-1] > 0.95, history.history["accuracy"]
