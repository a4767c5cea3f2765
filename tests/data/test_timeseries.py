"""timeseries_dataset_from_array against Keras 3.15 on TensorFlow 2.21: the expected windows
and targets below are what ``keras.utils.timeseries_dataset_from_array`` yielded for the
same arguments."""

import re

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.data import Dataset
from glassnet.data.timeseries import timeseries_dataset_from_array

SERIES = np.arange(100).reshape(50, 2)
TARGETS = np.arange(50) * 10


def batches(ds):
    return [tuple(a.tolist() for a in b) if isinstance(b, tuple) else b.tolist()
            for b in ds.as_numpy_iterator()]


def test_windows_pair_with_the_target_at_their_start():
    ds = timeseries_dataset_from_array(np.arange(10), np.arange(10), 3, batch_size=4)
    assert isinstance(ds, Dataset)
    assert batches(ds) == [([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 1, 2, 3]),
                           ([[4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9]], [4, 5, 6, 7])]


def test_stride_and_sampling_rate():
    ds = timeseries_dataset_from_array(SERIES, TARGETS, 4, sequence_stride=3, sampling_rate=2,
                                       batch_size=5)
    got = batches(ds)
    assert [len(y) for _, y in got] == [5, 5, 5]
    assert got[0][0][:2] == [[[0, 1], [4, 5], [8, 9], [12, 13]],
                             [[6, 7], [10, 11], [14, 15], [18, 19]]]
    assert got[0][1] == [0, 30, 60, 90, 120]
    assert got[-1][0][-1] == [[84, 85], [88, 89], [92, 93], [96, 97]] and got[-1][1][-1] == 420
    x, y = next(ds.as_numpy_iterator())
    assert x.shape == (5, 4, 2) and x.dtype == SERIES.dtype and y.dtype == TARGETS.dtype


def test_start_and_end_index():
    ds = timeseries_dataset_from_array(SERIES, TARGETS, 5, sampling_rate=3, start_index=4,
                                       end_index=40, batch_size=6)
    got = batches(ds)
    assert [len(y) for _, y in got] == [6, 6, 6, 6]
    assert got[0][0][:2] == [[[8, 9], [14, 15], [20, 21], [26, 27], [32, 33]],
                             [[10, 11], [16, 17], [22, 23], [28, 29], [34, 35]]]
    assert got[0][1][:3] == [40, 50, 60]
    assert got[-1][0][-1] == [[54, 55], [60, 61], [66, 67], [72, 73], [78, 79]]
    assert got[-1][1][-1] == 270


def test_no_targets_short_targets_and_single_windows():
    ds = timeseries_dataset_from_array(np.arange(20.0), None, 6, sequence_stride=4,
                                       batch_size=2)
    assert batches(ds) == [[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]],
                           [[8.0, 9.0, 10.0, 11.0, 12.0, 13.0],
                            [12.0, 13.0, 14.0, 15.0, 16.0, 17.0]]]
    short = timeseries_dataset_from_array(np.arange(20), np.arange(5), 3, batch_size=10)
    assert batches(short) == [([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]],
                               [0, 1, 2, 3, 4])]
    series = np.arange(12.0)
    single = timeseries_dataset_from_array(series[:-3], series[3:], 3, batch_size=None)
    assert batches(single) == [([k, k + 1.0, k + 2.0], k + 3.0) for k in range(7)]


def test_shuffle_is_a_seeded_permutation_of_the_windows():
    def targets(seed):
        ds = timeseries_dataset_from_array(np.arange(100), np.arange(100), 5, batch_size=8,
                                           shuffle=True, seed=seed)
        return [t for _, y in ds.as_numpy_iterator() for t in y.tolist()]

    first = targets(3)
    assert sorted(first) == list(range(96)) and first != list(range(96))
    assert targets(3) == first and targets(4) != first
    ds = timeseries_dataset_from_array(np.arange(100), np.arange(100), 5, shuffle=True, seed=3)
    for x, y in ds.as_numpy_iterator():  # each window still starts at its target
        np.testing.assert_array_equal(x[:, 0], y)


def test_a_forecasting_model_fits_on_it():
    glassnet.seed(0)
    t = np.arange(400, dtype=np.float32)
    series = np.sin(t / 8)[:, None]
    ds = timeseries_dataset_from_array(series[:-4], series[4:, 0], 4, batch_size=32)
    model = keras.Sequential([keras.Input(shape=(4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(ds, epochs=30, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.01 and loss[-1] < loss[0] / 10


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(sequence_length=0), ValueError, "`sequence_length` must be a positive integer"),
    (dict(sequence_length="3"), TypeError, "`sequence_length` must be a positive integer"),
    (dict(sampling_rate=0), ValueError, "`sampling_rate` must be a positive integer"),
    (dict(sampling_rate=50), ValueError, "`sampling_rate` must be lower than the length of "
                                         "the data. Received: sampling_rate=50, for data of "
                                         "length 50"),
    (dict(sequence_stride=0), ValueError, "`sequence_stride` must be a positive integer"),
    (dict(start_index=50), ValueError, "`start_index` must be lower than the length"),
    (dict(start_index=-1), ValueError, "`start_index` must be a non-negative integer"),
    (dict(start_index=10, end_index=5), ValueError, "`end_index` must be higher than "
                                                    "`start_index`"),
    (dict(end_index=50), ValueError, "`end_index` must be lower than the length of the data"),
    (dict(batch_size=0), ValueError, "`batch_size` must be None or a positive integer"),
    (dict(seed=1.5), TypeError, "`seed` must be a non-negative integer"),
    (dict(sequence_length=60), ValueError, "no window fits: a window of sequence_length=60 "
                                           "with sampling_rate=1 spans 60 timesteps, but "
                                           "data[0:50] has 50"),
])
def test_bad_arguments(kwargs, error, words):
    arguments = {"data": SERIES, "targets": TARGETS, "sequence_length": 3, **kwargs}
    with pytest.raises(error, match=re.escape(words)):
        timeseries_dataset_from_array(**arguments)


def test_bad_series():
    with pytest.raises(ValueError, match="`data` must be an array with time on its first "
                                         "axis; received a scalar"):
        timeseries_dataset_from_array(3.0, None, 2)
    with pytest.raises(ValueError, match="`targets` must be an array"):
        timeseries_dataset_from_array(SERIES, 1, 2)
