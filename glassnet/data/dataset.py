"""``Dataset`` and ``DataLoader`` for PyTorch-style loops.

A ``Dataset`` answers ``len`` and ``dataset[i]``; ``ArrayDataset`` wraps aligned arrays. A
``DataLoader`` yields batches; for an ``ArrayDataset`` a batch is one gather from each array
(no per-sample Python loop), for any other dataset the samples are stacked.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend


class Dataset:
    """Samples by index: implement ``__len__`` and ``__getitem__``."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class ArrayDataset(Dataset):
    """Aligned arrays (features, labels, ...): sample ``i`` is ``tuple(a[i] for a in arrays)``.

    >>> ds = ArrayDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), int(ds[3][1])
    (5, 3)
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array")
        self.arrays = [np.asarray(a) for a in arrays]
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"ArrayDataset: all arrays must have the same length; received "
                             f"lengths {lengths}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)


TensorDataset = ArrayDataset


class DataLoader:
    """Batches of a dataset, reshuffled every pass when ``shuffle``.

    Args:
        batch_size: samples per batch (the last one may be smaller unless ``drop_last``).
        shuffle: a new order each pass, drawn from ``seed``'s generator, or from the one
            ``glassnet.seed`` fixes when ``seed`` is None.
        drop_last: skip the last incomplete batch.

    >>> loader = DataLoader(ArrayDataset(np.arange(10)), batch_size=4)
    >>> [batch[0].tolist() for batch in loader]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer. Received: "
                             f"batch_size={batch_size!r}")
        if len(dataset) == 0:
            raise ValueError("DataLoader: the dataset is empty")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        rng = self._rng or backend.generator()
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            if isinstance(self.dataset, ArrayDataset):
                yield tuple(np.take(a, index, axis=0) for a in self.dataset.arrays)
            else:
                samples = [self.dataset[int(i)] for i in index]
                if isinstance(samples[0], tuple):
                    yield tuple(np.stack(parts) for parts in zip(*samples))
                else:
                    yield np.stack(samples)
