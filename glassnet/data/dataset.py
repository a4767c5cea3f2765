"""``Dataset``: tf.data's input pipelines over NumPy, and PyTorch-style map datasets.

One class serves both styles. A PyTorch-style subclass implements ``__len__`` and
``__getitem__`` and is read by ``DataLoader``; ``ArrayDataset`` wraps aligned arrays. Every
``Dataset`` (such a subclass included) also has tf.data's API: constructors
(``from_tensor_slices``, ``from_tensors``, ``from_generator``, ``range``, ``zip``) and lazy
transformations (``map``, ``filter``, ``shuffle``, ``batch``, ``padded_batch``, ``unbatch``,
``repeat``, ``take``, ``skip``, ``cache``, ``prefetch``, ...), each returning a new Dataset that
runs nothing until iterated. The steps themselves are nodes in ``sources.py``,
``pipeline.py``, ``batching.py`` and ``buffering.py``.

Iterating a tf-style Dataset yields its elements with numeric components as glassnet
``Tensor`` objects, as tf.data yields ``tf.Tensor``: ``x.numpy()`` works, ``x / 255`` and the
ops work, and anything that takes arrays (``model.train_on_batch(x, y)``, ``np.asarray``)
takes them. ``as_numpy_iterator()`` yields NumPy arrays. Dtypes are kept as given (a float64
array stays float64, as in tf.data); ``fit`` casts floating inputs to float32 at the model's
edge.

>>> ds = Dataset.from_tensor_slices((np.arange(6.0), np.arange(6))).shuffle(6).batch(4)
>>> [y.shape for x, y in ds]
[(4,), (2,)]
>>> int(ds.cardinality())
2
"""

from __future__ import annotations

import math
import os

import numpy as np

from glassnet import backend, checks
from glassnet.data import batching, buffering, pipeline, sources, structure
from glassnet.data.experimental import Options
from glassnet.data.structure import TensorSpec  # noqa: F401 - the examples use it

AUTOTUNE = pipeline.AUTOTUNE
INFINITE_CARDINALITY = sources.INFINITE
UNKNOWN_CARDINALITY = sources.UNKNOWN


def _count(value, arg, owner):
    """An element count where -1 means "all" (take, skip, repeat)."""
    return checks.integer(value, arg, f"Dataset.{owner}", -1)


def _function(fn, owner):
    if not callable(fn):
        raise TypeError(f"Dataset.{owner}: expected a callable. Received: {fn!r} "
                        f"(of type {type(fn).__name__})")
    return fn


def _dataset(value, owner):
    if not isinstance(value, Dataset):
        raise TypeError(f"Dataset.{owner}: expected a Dataset. Received: {value!r} "
                        f"(of type {type(value).__name__})")
    return value


class Dataset:
    """A dataset of elements (nested tuples/dicts of arrays).

    Subclass it PyTorch-style (``__len__`` and ``__getitem__``), or build it tf.data-style
    from the static constructors and chain transformations. See the module docstring.
    """

    _node = None  # the pipeline of a tf-style Dataset; None for a map-style subclass

    @staticmethod
    def _wrap(node) -> Dataset:
        dataset = object.__new__(Dataset)
        dataset._node = node
        return dataset

    def _pipeline(self):
        """The node that produces this dataset's elements."""
        return self._node if self._node is not None else sources.Indexed(self)

    def __len__(self):
        if self._node is None:
            raise NotImplementedError
        n = self._node.cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __getitem__(self, index):
        if self._node is None:
            raise NotImplementedError
        raise TypeError("'Dataset' object is not subscriptable: a tf.data Dataset is read in "
                        "order; use skip(n).take(1) for one element")

    def __bool__(self):  # an infinite dataset has no len, but is a dataset
        return True

    def __iter__(self):
        for element in self._pipeline().iterate():
            yield structure.to_user(element)

    def __repr__(self):
        try:
            spec = self.element_spec
        except (ValueError, TypeError):
            spec = "<unknown>"
        return f"<Dataset element_spec={spec}>"

    def as_numpy_iterator(self):
        """The elements with NumPy arrays (NumPy scalars for 0-d components).

        >>> list(Dataset.range(3).as_numpy_iterator())
        [np.int64(0), np.int64(1), np.int64(2)]
        """
        return (structure.to_numpy(e) for e in self._pipeline().iterate())

    @property
    def element_spec(self):
        """The structure of ``TensorSpec`` of one element; a batch axis is None unless the
        batch size is fixed (``drop_remainder=True``)."""
        return self._pipeline().spec()

    def cardinality(self):
        """The number of elements as a 0-d int64 Tensor: ``INFINITE_CARDINALITY`` (-1) for a
        ``repeat()`` without count, ``UNKNOWN_CARDINALITY`` (-2) after ``filter`` and the
        like."""
        from glassnet.autograd.tensor import Tensor

        return Tensor(np.int64(self._pipeline().cardinality()), dtype=np.int64)

    def options(self):
        return Options()

    def with_options(self, options, name=None):
        """Accepted for compatibility: glassnet's pipelines have no options to set."""
        return self

    def apply(self, transformation_func):
        """``transformation_func(self)``, for chaining."""
        return _dataset(_function(transformation_func, "apply")(self), "apply")

    def reduce(self, initial_state, reduce_func):
        """Fold the elements: ``state = reduce_func(state, element)`` in order.

        >>> int(Dataset.range(5).reduce(0, lambda s, x: s + x))
        10
        """
        state = structure.normalize_output(initial_state)
        for element in self._pipeline().iterate():
            state = structure.normalize_output(
                reduce_func(structure.to_user(state), structure.to_user(element)))
        return structure.to_user(state)

    # -- constructors -----------------------------------------------------------------------

    @staticmethod
    def from_tensor_slices(tensors, name=None) -> Dataset:
        """One element per row: slices along the first axis of every array in ``tensors``
        (an array, a tuple or dict of arrays, nested); all must have the same length.

        >>> ds = Dataset.from_tensor_slices({"a": np.zeros((3, 2)), "b": np.arange(3)})
        >>> ds.element_spec["a"].shape, len(ds)
        ((2,), 3)
        """
        return Dataset._wrap(sources.Slices(structure.normalize(tensors)))

    @staticmethod
    def from_tensors(tensors, name=None) -> Dataset:
        """A dataset of one element: ``tensors`` whole."""
        return Dataset._wrap(sources.Tensors(structure.normalize(tensors)))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None) -> Dataset:
        """The values ``generator(*args)`` yields, called afresh for each pass.

        ``output_signature`` (a structure of ``TensorSpec``) or ``output_types`` (with
        optional ``output_shapes``) declare the elements; each yielded value is converted to
        the declared dtype and checked against the shape. Without either, the types are taken
        from the values (tf.data requires one; glassnet is lenient).

        >>> ds = Dataset.from_generator(lambda: iter([[1], [2, 3]]),
        ...                             output_signature=TensorSpec((None,), "int32"))
        >>> [x.tolist() for x in ds.as_numpy_iterator()]
        [[1], [2, 3]]
        """
        _function(generator, "from_generator")
        return Dataset._wrap(sources.generator(generator, output_types, output_shapes, args,
                                               output_signature))

    @staticmethod
    def range(*args, output_type=np.int64, name=None) -> Dataset:
        """``range(stop)``, ``range(start, stop)`` or ``range(start, stop, step)`` of int64
        scalars, as Python's ``range``.

        >>> list(Dataset.range(1, 10, 3).as_numpy_iterator())
        [np.int64(1), np.int64(4), np.int64(7)]
        """
        return Dataset._wrap(sources.range_node(args, output_type))

    @staticmethod
    def zip(*datasets, name=None) -> Dataset:
        """Elements of the datasets side by side: ``zip(a, b)``, ``zip((a, b))`` or
        ``zip({"x": a, "y": b})`` (nested too); as long as the shortest.

        >>> ds = Dataset.zip(Dataset.range(3), Dataset.range(10, 20))
        >>> [tuple(int(v) for v in e) for e in ds.as_numpy_iterator()]
        [(0, 10), (1, 11), (2, 12)]
        """
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list, dict)):
            datasets = datasets[0]
        datasets = tuple(datasets) if isinstance(datasets, list) else datasets
        leaves = structure.flatten(datasets)
        if not leaves:
            raise ValueError("Dataset.zip: expected at least one dataset")
        for leaf in leaves:
            _dataset(leaf, "zip")
        return Dataset._wrap(sources.Zip(structure.map_structure(lambda d: d._pipeline(),
                                                                 datasets)))

    # -- transformations --------------------------------------------------------------------

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None) -> Dataset:
        """``map_func`` applied to every element (a tuple element is unpacked into
        arguments). With ``num_parallel_calls`` (an int or ``AUTOTUNE``) calls run on a
        thread pool; the order is kept whatever ``deterministic`` says.

        >>> ds = Dataset.from_tensor_slices(([1, 2], [10, 20])).map(lambda a, b: a + b)
        >>> [int(v) for v in ds]
        [11, 22]
        """
        threads = pipeline.workers(num_parallel_calls, "Dataset.map")
        return Dataset._wrap(pipeline.Map(self._pipeline(), _function(map_func, "map"),
                                          threads))

    def filter(self, predicate, name=None) -> Dataset:
        """The elements for which ``predicate`` (a scalar boolean) is true."""
        return Dataset._wrap(pipeline.Filter(self._pipeline(), _function(predicate, "filter")))

    def flat_map(self, map_func, name=None) -> Dataset:
        """``map_func`` maps each element to a Dataset; their elements, one after another."""
        return Dataset._wrap(pipeline.FlatMap(self._pipeline(), _function(map_func, "flat_map")))

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None) -> Dataset:
        """Like ``flat_map``, with ``cycle_length`` inner datasets read in turn,
        ``block_length`` elements at a time (tf's order; runs sequentially)."""
        pipeline.workers(num_parallel_calls, "Dataset.interleave")
        cycle = (os.cpu_count() or 1) if cycle_length in (None, AUTOTUNE) else \
            checks.integer(cycle_length, "cycle_length", "Dataset.interleave")
        block = 1 if block_length is None else checks.integer(block_length, "block_length",
                                                              "Dataset.interleave")
        return Dataset._wrap(pipeline.Interleave(
            self._pipeline(), _function(map_func, "interleave"), cycle, block))

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None,
                name=None) -> Dataset:
        """Elements in random order through a buffer of ``buffer_size`` (tf's semantics; a
        buffer at least the dataset's size is a uniform permutation). A new order every pass
        unless ``reshuffle_each_iteration=False``; ``seed`` (or ``glassnet.seed``) makes the
        orders reproducible."""
        buffer_size = checks.integer(buffer_size, "buffer_size", "Dataset.shuffle")
        if seed is not None:
            seed = checks.integer(seed, "seed", "Dataset.shuffle", 0)
        reshuffle = True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        return Dataset._wrap(batching.Shuffle(self._pipeline(), buffer_size, seed, reshuffle))

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None) -> Dataset:
        """Consecutive elements stacked on a new first axis; the last batch is smaller unless
        ``drop_remainder``. (``num_parallel_calls`` is accepted; batching of arrays is one
        gather per batch already.)

        >>> [b.tolist() for b in Dataset.range(5).batch(2).as_numpy_iterator()]
        [[0, 1], [2, 3], [4]]
        """
        batch_size = checks.integer(batch_size, "batch_size", "Dataset.batch")
        pipeline.workers(num_parallel_calls, "Dataset.batch")
        return Dataset._wrap(batching.Batch(self._pipeline(), batch_size, bool(drop_remainder)))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None) -> Dataset:
        """Batches whose components are padded: to ``padded_shapes`` (per component; a None
        or -1 dim, or no shape at all, pads to the longest in the batch) with
        ``padding_values`` (default 0, or "" for strings).

        >>> ds = Dataset.from_generator(lambda: iter([[1], [2, 3]]), output_types="int32")
        >>> next(ds.padded_batch(2).as_numpy_iterator()).tolist()
        [[1, 0], [2, 3]]
        """
        batch_size = checks.integer(batch_size, "batch_size", "Dataset.padded_batch")
        return Dataset._wrap(batching.PaddedBatch(self._pipeline(), batch_size, padded_shapes,
                                                  padding_values, bool(drop_remainder)))

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None) -> Dataset:
        """Windows of ``size`` elements (every ``stride``-th), starting ``shift`` elements
        apart (``size`` when None); each window is a Dataset, usually flattened with
        ``flat_map(lambda w: w.batch(size))``.

        >>> ds = Dataset.range(5).window(3, shift=1, drop_remainder=True)
        >>> [w.tolist() for w in ds.flat_map(lambda w: w.batch(3)).as_numpy_iterator()]
        [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
        """
        size = checks.integer(size, "size", "Dataset.window")
        shift = size if shift is None else checks.integer(shift, "shift", "Dataset.window")
        stride = checks.integer(stride, "stride", "Dataset.window")
        return Dataset._wrap(batching.Window(self._pipeline(), size, shift, stride,
                                             bool(drop_remainder), Dataset._wrap))

    def unbatch(self, name=None) -> Dataset:
        """Each element split along its first axis into elements (the inverse of batch)."""
        return Dataset._wrap(batching.Unbatch(self._pipeline()))

    def repeat(self, count=None, name=None) -> Dataset:
        """``count`` passes over the dataset; forever when ``count`` is None or -1."""
        count = -1 if count is None else _count(count, "count", "repeat")
        return Dataset._wrap(pipeline.Repeat(self._pipeline(), count))

    def take(self, count, name=None) -> Dataset:
        """The first ``count`` elements (all when -1)."""
        return Dataset._wrap(pipeline.Take(self._pipeline(), _count(count, "count", "take")))

    def skip(self, count, name=None) -> Dataset:
        """All but the first ``count`` elements (none when -1)."""
        return Dataset._wrap(pipeline.Skip(self._pipeline(), _count(count, "count", "skip")))

    def enumerate(self, start=0, name=None) -> Dataset:
        """``(i, element)`` pairs with an int64 counter from ``start``."""
        start = checks.integer(start, "start", "Dataset.enumerate", -(2 ** 62))
        return Dataset._wrap(pipeline.Enumerate(self._pipeline(), start))

    def concatenate(self, dataset, name=None) -> Dataset:
        """This dataset's elements followed by ``dataset``'s (same structure and dtypes)."""
        other = _dataset(dataset, "concatenate")
        return Dataset._wrap(pipeline.Concatenate(self._pipeline(), other._pipeline()))

    def cache(self, filename="", name=None) -> Dataset:
        """Keep the elements of the first complete pass and serve later passes from them: in
        memory, or in ``filename`` (an ``.npz`` file, reused by later runs)."""
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"Dataset.cache: filename must be a string or path. Received: "
                            f"{filename!r}")
        return Dataset._wrap(buffering.Cache(self._pipeline(), filename))

    def prefetch(self, buffer_size, name=None) -> Dataset:
        """Produce up to ``buffer_size`` elements ahead on a background thread (``AUTOTUNE``:
        2), so the pipeline overlaps the training step that consumes it."""
        if buffer_size != AUTOTUNE:
            buffer_size = checks.integer(buffer_size, "buffer_size", "Dataset.prefetch", 0)
        return Dataset._wrap(buffering.Prefetch(self._pipeline(), buffer_size))


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

    def _pipeline(self):
        return sources.Slices(tuple(self.arrays))  # batches by gathering, not by stacking


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
