"""keras.io "Timeseries forecasting for weather prediction": normalise 7 weather features on
the training split, cut windows of the past with timeseries_dataset_from_array (sampling one
reading an hour), predict the temperature some hours ahead with LSTM(32) + Dense(1), fit with
a validation Dataset and the EarlyStopping / ModelCheckpoint callbacks, then reload the best
checkpoint (.keras) and predict as the trained model does. The Jena climate recordings are
replaced by generated ones (readings every 10 minutes: a daily temperature cycle, weather
fronts, pressure, humidity and wind tied to them, and noise). Only the import changed."""

import numpy as np

from glassnet import keras

keras.utils.set_random_seed(4)
rng = np.random.default_rng(4)

# Ten-minute readings for about 40 days.
n_rows = 6000
minutes = np.arange(n_rows) * 10
day = 2 * np.pi * minutes / (24 * 60)
front = np.convolve(rng.normal(0, 1, n_rows + 299), np.ones(300) / 300 ** 0.5, "valid")
temperature = 8 + 6 * np.sin(day - 2.0) + 3 * front + rng.normal(0, 0.5, n_rows)
pressure = 1000 - 4 * front + rng.normal(0, 0.3, n_rows)
humidity = 70 - 15 * np.sin(day - 2.0) + rng.normal(0, 3, n_rows)
dew_point = temperature - (100 - humidity) / 5
wind = np.abs(2 + front + rng.normal(0, 1, n_rows))
density = 1.29 * pressure / 1013 * 273 / (273 + temperature)
vapour = 6.1 * humidity / 100 * np.exp(17.3 * temperature / (temperature + 237))
# The example's 7 selected columns; index 1 is the temperature "T (degC)".
features = np.stack([pressure, temperature, dew_point, humidity, vapour, density, wind], axis=1)

split_fraction = 0.715
train_split = int(split_fraction * int(features.shape[0]))
step = 6  # one reading an hour
past = 120  # the last 20 hours
future = 12  # predict 2 hours ahead
learning_rate = 0.003
batch_size = 256
epochs = 12


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


features = normalize(features, train_split)
train_data = features[0 : train_split - 1]
val_data = features[train_split:]

start = past + future
end = start + train_split

x_train = train_data[:, [i for i in range(7)]]
y_train = features[start:end][:, [1]]

sequence_length = int(past / step)

dataset_train = keras.utils.timeseries_dataset_from_array(
    x_train,
    y_train,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

x_end = len(val_data) - past - future

label_start = train_split + past + future

x_val = val_data[:x_end][:, [i for i in range(7)]]
y_val = features[label_start:][:, [1]]

dataset_val = keras.utils.timeseries_dataset_from_array(
    x_val,
    y_val,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

for batch in dataset_train.take(1):
    inputs, targets = batch

print("Input shape:", inputs.numpy().shape)
print("Target shape:", targets.numpy().shape)
assert inputs.numpy().shape == (batch_size, sequence_length, 7)
assert targets.numpy().shape == (batch_size, 1)
# The first window is readings 0, 6, ..., 114 and its target the temperature at reading 132.
np.testing.assert_allclose(inputs.numpy()[0], x_train[0:past:step], rtol=1e-6)
np.testing.assert_allclose(targets.numpy()[0], features[start, [1]], rtol=1e-6)

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()
assert model.count_params() == 4 * (7 * 32 + 32 * 32 + 32) + 33

path_checkpoint = "model_checkpoint.keras"
es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5,
                                            restore_best_weights=True)

modelckpt_callback = keras.callbacks.ModelCheckpoint(
    monitor="val_loss",
    filepath=path_checkpoint,
    verbose=1,
    save_best_only=True,
)

history = model.fit(
    dataset_train,
    epochs=epochs,
    validation_data=dataset_val,
    callbacks=[es_callback, modelckpt_callback],
    verbose=2,
)
print(history.history)
val_losses = history.history["val_loss"]
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history

# Baselines on the validation windows: the training mean (MSE about the variance, ~1 after
# normalising) and "the temperature stays as it was last hour".
y_all = np.concatenate([y.numpy() for _, y in dataset_val])
last_seen = np.concatenate([x.numpy()[:, -1, 1:2] for x, _ in dataset_val])
persistence = float(np.mean((last_seen - y_all) ** 2))
print("val_loss", min(val_losses), "mean guess", float(np.mean(y_all ** 2)),
      "persistence", persistence)
assert min(val_losses) < 0.5 * float(np.mean(y_all ** 2)), val_losses
assert min(val_losses) < persistence, (val_losses, persistence)

# EarlyStopping(restore_best_weights=True) left the best epoch's weights in the model, the
# same epoch the checkpoint kept.
restored = keras.models.load_model(path_checkpoint)
for x, _ in dataset_val.take(2):
    prediction = model.predict(x, verbose=0)
    assert prediction.shape == (x.shape[0], 1)
    np.testing.assert_allclose(restored.predict(x, verbose=0), prediction, atol=1e-5)
best_loss = restored.evaluate(dataset_val, verbose=0)
assert abs(best_loss - min(val_losses)) < 1e-4, (best_loss, min(val_losses))

# The example's spelling of the same function.
assert keras.preprocessing.timeseries_dataset_from_array is \
    keras.utils.timeseries_dataset_from_array
print("ok", min(val_losses), persistence)
