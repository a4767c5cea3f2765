"""``split_dataset``: cut a dataset into a left and a right part (``keras.utils``).

The samples are put in order (or shuffled), the first ``left_size`` go left and the last
``right_size`` go right, and each part becomes a ``Dataset`` of its rows, batched again with
the input's batch size when the input was batched. With ``shuffle=True`` the order is Python's
``random.Random(seed).shuffle`` of the sample indices: the permutation Keras's own
``random.seed(seed); random.shuffle(samples)`` gives (Keras's TensorFlow path), so the same
seed picks the same samples, without touching the global ``random`` state.

Sizes (Keras's rules): an int is a number of samples (0 < size < n), a float a fraction
(0 < size < 1, rounded: ``round(size * n)``), None the complement of the other side.

>>> left, right = split_dataset(np.arange(10.0).reshape(5, 2), left_size=0.8)
>>> len(left), len(right)
(4, 1)
"""

from __future__ import annotations

import random

import numpy as np

from glassnet.data import batching, buffering, structure
from glassnet.data.dataset import Dataset

_GATHER = 1024  # rows per read when draining an unbatched dataset (one gather each)


def _columns(dataset):
    """``(template, leaves, batch size or None)``: the whole dataset as aligned arrays."""
    if isinstance(dataset, np.ndarray):
        if dataset.ndim == 0:
            raise ValueError("split_dataset: a 0-d array has no samples to split")
        return None, [dataset], None
    if isinstance(dataset, (list, tuple)):
        if not dataset:
            raise ValueError(f"split_dataset: received an empty {type(dataset).__name__}; "
                             f"expected a non-empty list/tuple of NumPy arrays")
        for i, a in enumerate(dataset):
            if not isinstance(a, np.ndarray):
                raise ValueError(f"split_dataset: expected a {type(dataset).__name__} of "
                                 f"numpy.ndarray objects. Received: {type(a).__name__} at "
                                 f"index {i}")
            if a.ndim == 0 or len(a) != len(dataset[0]):
                raise ValueError(f"split_dataset: the arrays must have the same length. "
                                 f"Received shapes {[np.shape(x) for x in dataset]}")
        return tuple(range(len(dataset))), list(dataset), None
    if isinstance(dataset, Dataset):
        node = dataset._pipeline()
        while isinstance(node, (buffering.Prefetch, buffering.Cache)):
            node = node.node
        batch_size = node.batch_size if isinstance(node, batching.Batch) else None
        source = dataset if batch_size is not None else dataset.batch(_GATHER)
        raw = list(source.as_numpy_iterator())
        if not raw:
            raise ValueError("split_dataset: received an empty dataset")
        template, batches = raw[0], [structure.flatten(b) for b in raw]
        try:
            leaves = [np.concatenate(column) for column in zip(*batches)]
        except ValueError:
            raise ValueError("split_dataset: all samples must have the same shape") from None
        return template, leaves, batch_size
    raise TypeError(f"split_dataset: `dataset` must be a glassnet Dataset, a NumPy array or a "
                    f"list/tuple of arrays. Received: dataset of type {type(dataset).__name__}")


def _size(value, name, total):
    if value is None:
        return None
    if type(value) not in (int, float):
        raise TypeError(f"split_dataset: invalid `{name}` type. Expected: int or float or "
                        f"None. Received: type({name})={type(value).__name__}")
    if (type(value) is int and not 0 < value < total) or \
            (type(value) is float and not 0 < value < 1):
        raise ValueError(f"split_dataset: `{name}` should be either a positive integer "
                         f"smaller than {total}, or a float within the range `[0, 1]`. "
                         f"Received: {name}={value}")
    return round(value * total) if type(value) is float else value


def split_sizes(left_size, right_size, total):
    """``(left, right)`` sample counts from Keras-style sizes over ``total`` samples."""
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: at least one of the `left_size` or `right_size` "
                         "must be specified. Received: left_size=None and right_size=None")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(f"split_dataset: the sum of `left_size` and `right_size` is greater "
                         f"than 1. Received: left_size={left_size}, right_size={right_size}")
    left, right = _size(left_size, "left_size", total), _size(right_size, "right_size", total)
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: the sum of `left_size` and `right_size` should be "
                         f"smaller than the {total} samples. Received: left_size + "
                         f"right_size = {left + right}")
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(f"split_dataset: with `dataset` of length={total}, `left_size`="
                             f"{left} and `right_size`={right}, the {side} side would be "
                             f"empty. Adjust the sizes")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split ``dataset`` into two ``Dataset`` objects (``keras.utils.split_dataset``).

    Args:
        dataset: a glassnet ``Dataset`` (batched or not), a NumPy array, or a list/tuple of
            arrays of the same length.
        left_size: int (samples), float (fraction) or None (the rest).
        right_size: int, float or None (the rest).
        shuffle: shuffle the samples before splitting.
        seed: the shuffle's seed (a random one when None).

    Returns:
        ``(left, right)``: Datasets of the same element structure (tuples for a list/tuple
        input), batched as the input was.
    """
    template, leaves, batch_size = _columns(dataset)
    total = len(leaves[0])
    left, right = split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    order = np.asarray(order, dtype=np.int64)

    def part(index):
        arrays = [np.take(a, index, axis=0) for a in leaves]
        data = arrays[0] if template is None else structure.pack_as(template, arrays)
        ds = Dataset.from_tensor_slices(data)
        return ds.batch(batch_size) if batch_size is not None else ds

    return part(order[:left]), part(order[total - right:])
