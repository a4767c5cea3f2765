"""``timeseries_dataset_from_array``: sliding windows over a series as a ``Dataset`` of
batches, as Keras's function.

Window ``i`` starts at ``start_index + i * sequence_stride`` and holds ``sequence_length``
timesteps ``sampling_rate`` apart; its target is the target at the window's start::

    x[i] = data[s_i : s_i + sequence_length * sampling_rate : sampling_rate]
    y[i] = targets[s_i]                  where s_i = start_index + i * sequence_stride

so to forecast the step after each window, pass ``targets=data[sequence_length:]``. The
windows are a strided view of ``data`` (``sliding_window_view``): nothing is copied until a
batch gathers its rows.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from glassnet import backend, checks
from glassnet.data.dataset import Dataset

__all__ = ["timeseries_dataset_from_array"]

_OWNER = "timeseries_dataset_from_array"


def _series(value, arg):
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(f"{_OWNER}: `{arg}` must be an array with time on its first axis; "
                         f"received a ragged sequence") from None
    if array.ndim == 0:
        raise ValueError(f"{_OWNER}: `{arg}` must be an array with time on its first axis; "
                         f"received a scalar")
    return array


def _bounds(start_index, end_index, n):
    if start_index is not None:
        start_index = checks.integer(start_index, "start_index", _OWNER, 0)
        if start_index >= n:
            raise ValueError(f"{_OWNER}: `start_index` must be lower than the length of the "
                             f"data. Received: start_index={start_index}, for data of length "
                             f"{n}")
    if end_index is not None:
        end_index = checks.integer(end_index, "end_index", _OWNER, 1)
        if start_index and end_index <= start_index:
            raise ValueError(f"{_OWNER}: `end_index` must be higher than `start_index`. "
                             f"Received: start_index={start_index}, and end_index={end_index}")
        if end_index >= n:
            raise ValueError(f"{_OWNER}: `end_index` must be lower than the length of the "
                             f"data. Received: end_index={end_index}, for data of length {n}")
    return start_index or 0, n if end_index is None else end_index


def _step(value, arg, n):
    value = checks.integer(value, arg, _OWNER)
    if value >= n:
        raise ValueError(f"{_OWNER}: `{arg}` must be lower than the length of the data. "
                         f"Received: {arg}={value}, for data of length {n}")
    return value


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """A ``Dataset`` of ``(windows, targets)`` batches (windows only if ``targets`` is None)
    over ``data`` (time on the first axis).

    Args:
        data: array of shape (timesteps, ...).
        targets: the target of each window, by the index of its first timestep (see the
            module docstring), or None.
        sequence_length: timesteps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between the timesteps of a window.
        batch_size: windows per batch (None: single windows).
        shuffle: windows in random order (Keras's: a permutation of the window starts, then
            a ``batch_size * 8`` buffer, reshuffled each pass); ``seed`` fixes it.
        start_index, end_index: the part of ``data`` (and ``targets``) windows come from,
            ``end_index`` excluded.

    Shapes: windows (batch, sequence_length, ...) with ``data``'s dtype; targets (batch,
    ...) with theirs.

    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10), 3, batch_size=4)
    >>> [(x.tolist(), y.tolist()) for x, y in ds.as_numpy_iterator()][0]
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 1, 2, 3])
    """
    data = _series(data, "data")
    n = len(data)
    start, end = _bounds(start_index, end_index, n)
    sequence_length = checks.integer(sequence_length, "sequence_length", _OWNER)
    sampling_rate = _step(sampling_rate, "sampling_rate", n)
    sequence_stride = _step(sequence_stride, "sequence_stride", n)
    batch_size = checks.integer(batch_size, "batch_size", _OWNER, allow_none=True)
    if seed is not None:
        seed = checks.integer(seed, "seed", _OWNER, 0)
    span = (sequence_length - 1) * sampling_rate + 1  # timesteps one window covers
    num_seqs = end - start - span + 1
    if targets is not None:
        targets = _series(targets, "targets")
        num_seqs = min(num_seqs, len(targets))  # Keras counts the whole targets array
    if num_seqs <= 0:
        raise ValueError(f"{_OWNER}: no window fits: a window of sequence_length="
                         f"{sequence_length} with sampling_rate={sampling_rate} spans {span} "
                         f"timesteps, but data[{start}:{end}] has {end - start}"
                         + ("" if targets is None else f" (and targets {len(targets)})"))
    # every window as a view: (windows, sequence_length, *features)
    views = sliding_window_view(data[start:end], span, axis=0)[..., ::sampling_rate]
    views = np.moveaxis(views, -1, 1)
    positions = np.arange(0, num_seqs, sequence_stride)
    if shuffle:
        if seed is None:
            seed = int(backend.generator().integers(10 ** 6))
        np.random.RandomState(seed).shuffle(positions)  # Keras's first shuffle, exactly
    window_targets = None if targets is None else targets[start:end]

    def gather(index):
        index = index.numpy()
        if window_targets is None:
            return views[index]
        return views[index], window_targets[index]

    dataset = Dataset.from_tensor_slices(positions)
    if shuffle:
        dataset = dataset.shuffle(1024 if batch_size is None else batch_size * 8, seed=seed)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    return dataset.map(gather)
