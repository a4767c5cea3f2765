"""Forecasting a sensor six hours ahead with an LSTM, Keras style, on generated data.

    python3 examples/timeseries_forecast.py              # about a year of hourly readings
    python3 examples/timeseries_forecast.py --epochs 2   # a quick look

The sensor (say a room temperature) is made up, so the example needs no download::

    y(t) = trend * t + 3 sin(2 pi t / 24) + 1.5 sin(2 pi t / 168 + 1) + AR(1) noise + noise

a daily and a weekly cycle on a slow trend, with correlated (AR(1), phi = 0.9) and white
noise. ``keras.utils.timeseries_dataset_from_array`` cuts it into windows of the last 48
hours, each taken relative to its last reading; the target is how much the reading will
have changed 6 hours later. The data are split in time (first 70 % train, next 15 %
validation, last 15 % test), so the test weeks are never seen, and are scaled with the
training part's mean and spread.

The baseline every forecaster must beat is "no change" (tomorrow's weather is today's):
its error is the mean absolute change over 6 hours. A second one, "the same as 24 hours
before", knows the daily cycle.
"""

import argparse

import numpy as np

from glassnet import keras
from glassnet.keras import layers


def sensor(hours, seed, trend=0.001):
    """Hourly readings of the made-up sensor, float32 of shape (hours,)."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    shocks = rng.normal(0, 0.35, hours)
    correlated = np.zeros(hours)
    # AR(1) is a recurrence in time (each step needs the one before): this loop is its
    # definition, over hours, not over samples of a batch
    for i in range(1, hours):
        correlated[i] = 0.9 * correlated[i - 1] + shocks[i]
    y = (trend * t + 3 * np.sin(2 * np.pi * t / 24) + 1.5 * np.sin(2 * np.pi * t / 168 + 1)
         + correlated + rng.normal(0, 0.2, hours))
    return y.astype("float32")


def windows(series, sequence_length, horizon, batch_size, shuffle=False, seed=None):
    """Windows of ``sequence_length`` scaled readings, each less its last one, and for each
    the change ``horizon`` steps after it: target[i] = series[i + L - 1 + h] - series[i + L - 1].
    """
    data = series[:-horizon, None]
    targets = series[sequence_length - 1 + horizon:] - series[sequence_length - 1:-horizon]
    dataset = keras.utils.timeseries_dataset_from_array(
        data, targets, sequence_length=sequence_length, batch_size=batch_size,
        shuffle=shuffle, seed=seed)
    # Each window less its last reading: the model sees the shape of the last two days, not
    # their level, so the trend never takes its inputs outside the range it was trained on.
    return dataset.map(lambda x, y: (x - x[:, -1:], y))


def build_model(sequence_length, units=32):
    inputs = keras.Input((sequence_length, 1), name="last_hours")
    x = layers.LSTM(units)(inputs)
    outputs = layers.Dense(1, name="change")(x)
    return keras.Model(inputs, outputs, name="lstm_forecaster")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=24 * 365)
    parser.add_argument("--sequence-length", type=int, default=48, help="hours the model sees")
    parser.add_argument("--horizon", type=int, default=6, help="hours ahead to forecast")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="weights and shuffling")
    parser.add_argument("--data-seed", type=int, default=0, help="the generated readings")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    length, horizon = args.sequence_length, args.horizon

    readings = sensor(args.hours, args.data_seed)
    train_end, val_end = int(0.7 * len(readings)), int(0.85 * len(readings))
    mean, std = readings[:train_end].mean(), readings[:train_end].std()
    scaled = (readings - mean) / std
    train = windows(scaled[:train_end], length, horizon, args.batch_size, shuffle=True,
                    seed=args.seed)
    val = windows(scaled[train_end:val_end], length, horizon, args.batch_size)
    test = windows(scaled[val_end:], length, horizon, args.batch_size)

    model = build_model(length)
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    model.fit(train, validation_data=val, epochs=args.epochs, verbose=2)

    # The test windows once more, in order, to compare with the baselines on the same targets.
    x_test = np.concatenate([np.asarray(x) for x, _ in test])
    change = np.concatenate([np.asarray(y) for _, y in test]) * std
    forecast = model.predict(x_test, verbose=0)[:, 0] * std
    lstm_mae = float(np.mean(np.abs(forecast - change)))
    no_change_mae = float(np.mean(np.abs(change)))
    # 24 hours before the target time (last + h) is step L - 1 + h - 24 of the window
    day_before = (x_test[:, length - 1 + horizon - 24, 0] - x_test[:, -1, 0]) * std
    seasonal_mae = float(np.mean(np.abs(day_before - change)))
    print(f"test MAE {horizon} h ahead: LSTM {lstm_mae:.3f}, no change {no_change_mae:.3f}, "
          f"same as a day before {seasonal_mae:.3f} (readings' spread {std:.2f})")
    return {"mae": lstm_mae, "naive_mae": no_change_mae, "seasonal_mae": seasonal_mae,
            "std": float(std), "test_windows": len(x_test)}


if __name__ == "__main__":
    main()
