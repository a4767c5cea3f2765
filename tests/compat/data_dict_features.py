"""The "Classify structured data" tutorial's input pipeline, with only the import changed: a
table of columns turned into a Dataset of (dict of features, label), batched, shuffled and
fed to a functional model with one named input per column."""

import numpy as np

import glassnet as tf

rng = np.random.default_rng(0)
n = 600
columns = {
    "age": rng.uniform(20, 70, n).astype(np.float32),
    "fee": rng.uniform(0, 200, n).astype(np.float32),
    "photos": rng.integers(0, 10, n).astype(np.float32),
}
target = ((columns["age"] < 45) & (columns["fee"] < 120)).astype(np.int64)


def df_to_dataset(dataframe, labels, shuffle=True, batch_size=32):
    df = dataframe.copy()
    df = {key: value[:, tf.newaxis] for key, value in dataframe.items()}
    ds = tf.data.Dataset.from_tensor_slices((dict(df), labels))
    if shuffle:
        ds = ds.shuffle(buffer_size=len(labels))
    ds = ds.batch(batch_size)
    ds = ds.prefetch(batch_size)
    return ds


train_ds = df_to_dataset(columns, target, batch_size=5)
[(train_features, label_batch)] = train_ds.take(1)
print('Every feature:', list(train_features.keys()))
print('A batch of ages:', train_features['age'])
print('A batch of targets:', label_batch)
assert list(train_features) == ["age", "fee", "photos"]
assert train_features["age"].numpy().shape == (5, 1)
assert train_ds.element_spec[0]["fee"].shape == (None, 1)

split = 480
train = {k: v[:split] for k, v in columns.items()}
val = {k: v[split:] for k, v in columns.items()}
train_ds = df_to_dataset(train, target[:split], batch_size=32)
val_ds = df_to_dataset(val, target[split:], shuffle=False, batch_size=32)

means = {k: v.mean() for k, v in train.items()}
stds = {k: v.std() for k, v in train.items()}
train_ds = train_ds.map(lambda x, y: ({k: (v - means[k]) / stds[k] for k, v in x.items()}, y))
val_ds = val_ds.map(lambda x, y: ({k: (v - means[k]) / stds[k] for k, v in x.items()}, y))

tf.keras.utils.set_random_seed(0)
all_inputs = [tf.keras.Input(shape=(1,), name=name) for name in columns]
all_features = tf.keras.layers.Concatenate()(all_inputs)
x = tf.keras.layers.Dense(32, activation="relu")(all_features)
output = tf.keras.layers.Dense(1, activation="sigmoid")(x)
model = tf.keras.Model(all_inputs, output)
model.compile(optimizer='adam', loss=tf.keras.losses.BinaryCrossentropy(),
              metrics=["accuracy"])
history = model.fit(train_ds, epochs=30, validation_data=val_ds, verbose=0)
loss, accuracy = model.evaluate(val_ds, verbose=0)
print("Accuracy", accuracy)
assert accuracy > 0.85, accuracy

sample = {name: np.array([[value]], np.float32) for name, value in
          (("age", 30.0), ("fee", 20.0), ("photos", 3.0))}
normalized = {k: (v - means[k]) / stds[k] for k, v in sample.items()}
prediction = model.predict(tf.data.Dataset.from_tensor_slices(normalized).batch(1), verbose=0)
print("probability", prediction)
assert prediction.shape == (1, 1) and prediction[0, 0] > 0.5
