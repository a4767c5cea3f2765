"""tf.data's from_generator, as the "tf.data: Build TensorFlow input pipelines" guide uses
it, with only the import changed: a Python generator with an output_signature, repeat, map,
batch, take, and a model trained from it with steps_per_epoch."""

import numpy as np

import glassnet as tf


def count(stop):
    i = 0
    while i < stop:
        yield i
        i += 1


ds_counter = tf.data.Dataset.from_generator(count, args=[25], output_types=tf.int32,
                                            output_shapes=(), )
batches = [count_batch.numpy().tolist() for count_batch in ds_counter.repeat().batch(10).take(3)]
print(batches)
assert batches == [list(range(10)), list(range(10, 20)), [20, 21, 22, 23, 24, 0, 1, 2, 3, 4]]
assert ds_counter.cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY


def gen_series():
    i = 0
    while True:
        size = np.random.randint(0, 10)
        yield i, np.random.normal(size=(size,))
        i += 1


for i, series in gen_series():
    print(i, ":", str(series))
    if i > 3:
        break

ds_series = tf.data.Dataset.from_generator(
    gen_series,
    output_signature=(
        tf.TensorSpec(shape=(), dtype=tf.int32),
        tf.TensorSpec(shape=(None,), dtype=tf.float32)))
print(ds_series.element_spec)
ds_series_batch = ds_series.shuffle(20).padded_batch(10)
ids, sequence_batch = next(iter(ds_series_batch))
print(ids.numpy())
print(sequence_batch.numpy().shape)
assert ids.numpy().shape == (10,) and sequence_batch.numpy().shape[0] == 10
assert sequence_batch.numpy().dtype == np.float32


# A generator of (features, label) pairs feeding fit, as with an ImageDataGenerator
rng = np.random.default_rng(0)
centers = rng.normal(0, 3, (3, 8)).astype(np.float32)


def samples():
    for _ in range(640):
        label = rng.integers(0, 3)
        yield centers[label] + rng.normal(0, 1, 8).astype(np.float32), label


ds = tf.data.Dataset.from_generator(
    samples, output_signature=(tf.TensorSpec(shape=(8,), dtype=tf.float32),
                               tf.TensorSpec(shape=(), dtype=tf.int64)))
assert ds.cardinality() == tf.data.UNKNOWN_CARDINALITY  # a generator has no known length
ds = ds.map(lambda x, y: (x * 0.5, y)).batch(32).repeat().prefetch(tf.data.AUTOTUNE)
assert ds.cardinality() == tf.data.INFINITE_CARDINALITY
assert ds.element_spec[0].shape == (None, 8)

tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([tf.keras.Input(shape=(8,)),
                             tf.keras.layers.Dense(16, activation="relu"),
                             tf.keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer=tf.keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(ds, steps_per_epoch=20, epochs=3, verbose=0)
print(history.history)
assert history.history["accuracy"][-1] > 0.9, history.history
try:
    model.fit(ds, epochs=1, verbose=0)
except ValueError as error:  # an endless dataset needs steps_per_epoch
    assert "steps_per_epoch" in str(error)
else:
    raise AssertionError("fit on an infinite dataset without steps_per_epoch must fail")
