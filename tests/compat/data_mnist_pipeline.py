"""The TensorFlow Datasets guide "Training a neural network on MNIST with Keras", with only
the import changed: a from_tensor_slices -> map(normalize) -> cache -> shuffle -> batch ->
prefetch pipeline fed to model.fit, on the 10,000-digit MNIST sample (synthetic digits-like
data if the sample is not next to the repository)."""

import pathlib

import numpy as np

import glassnet as tf

SAMPLE = pathlib.Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mnist10k.npz"
if SAMPLE.exists():
    with np.load(SAMPLE, allow_pickle=False) as f:
        images, labels = f["x"], f["y"].astype(np.int64)
else:  # ten blurry prototypes plus noise: learnable the same way
    rng = np.random.default_rng(0)
    prototypes = rng.integers(0, 255, (10, 28, 28))
    labels = rng.integers(0, 10, 10000)
    images = np.clip(prototypes[labels] + rng.normal(0, 60, (10000, 28, 28)), 0, 255)
    images = images.astype(np.uint8)
x_train, y_train = images[:8000], labels[:8000]
x_test, y_test = images[8000:], labels[8000:]


def normalize_img(image, label):
    """Normalizes images: `uint8` -> `float32`."""
    return tf.cast(image, tf.float32) / 255., label


ds_train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
ds_train = ds_train.map(normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_train = ds_train.cache()
ds_train = ds_train.shuffle(len(x_train))
ds_train = ds_train.batch(128)
ds_train = ds_train.prefetch(tf.data.AUTOTUNE)

ds_test = tf.data.Dataset.from_tensor_slices((x_test, y_test))
ds_test = ds_test.map(normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_test = ds_test.batch(128)
ds_test = ds_test.cache()
ds_test = ds_test.prefetch(tf.data.AUTOTUNE)

print(ds_train.element_spec)
assert ds_train.element_spec[0].shape == (None, 28, 28)
assert ds_train.element_spec[0].dtype == np.float32
assert len(ds_train) == 63 and ds_train.cardinality().numpy() == 63

tf.keras.utils.set_random_seed(0)
model = tf.keras.models.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation='relu'),
    tf.keras.layers.Dense(10)
])
model.compile(
    optimizer=tf.keras.optimizers.Adam(0.001),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[tf.keras.metrics.SparseCategoricalAccuracy()],
)

history = model.fit(
    ds_train,
    epochs=2,
    validation_data=ds_test,
    verbose=0,
)
print({k: [round(v, 4) for v in vs] for k, vs in history.history.items()})
assert history.history["loss"][-1] < history.history["loss"][0]
loss, accuracy = model.evaluate(ds_test, verbose=0)
print("test accuracy", accuracy)
assert accuracy > 0.85, accuracy
for images_batch, labels_batch in ds_test.take(1):
    assert images_batch.numpy().shape == (128, 28, 28)
    assert float(images_batch.numpy().max()) <= 1.0
    predictions = np.argmax(model.predict(images_batch, verbose=0), axis=-1)
    assert (predictions == labels_batch.numpy()).mean() > 0.8
