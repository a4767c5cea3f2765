"""Pipeline steps that group or reorder elements: shuffle, batch, unbatch, padded_batch.

The fast path: when a ``batch`` reads rows of arrays (``from_tensor_slices`` or ``range``,
possibly through ``shuffle``, ``repeat``, ``take``, ``skip`` or a completed memory
``cache``), its input answers ``index_stream()`` and the batch is one fancy-index per array
(a slice, so a view, when the rows are consecutive), with no per-element Python work. A
``shuffle`` whose buffer covers its whole input is a uniform permutation of it (tf's buffer
then holds everything before the first draw), computed with one ``permutation`` call; a
smaller buffer keeps tf's semantics (fill ``buffer_size`` elements, hand out a uniformly drawn
one and put the next input element in its place), shuffling indices rather than elements
when it can.
"""

from __future__ import annotations

import itertools

import numpy as np

from glassnet import backend
from glassnet.data import structure
from glassnet.data.pipeline import close
from glassnet.data.sources import INFINITE, UNKNOWN, Node
from glassnet.data.structure import TensorSpec

_DRAWS = 4096  # random indices drawn at once by the buffer shuffle
_PIECE = 4096  # shuffled indices handed on at once


class Shuffle(Node):
    """``shuffle(buffer_size, seed, reshuffle_each_iteration)``."""

    def __init__(self, node, buffer_size, seed, reshuffle):
        self.node, self.buffer_size = node, buffer_size
        self.reshuffle = reshuffle
        if seed is None and not reshuffle:  # one order for every pass, fixed now
            seed = int(backend.generator().integers(2 ** 63))
        self.seed = seed
        self._seeds = None if seed is None else np.random.default_rng(seed)

    def _rng(self):
        if self.seed is None:  # glassnet.seed makes the orders reproducible
            return np.random.default_rng(backend.generator().integers(2 ** 63))
        if not self.reshuffle:
            return np.random.default_rng(self.seed)
        return np.random.default_rng(self._seeds.integers(2 ** 63))

    def _covers_input(self):
        n = self.node.cardinality()
        return 0 <= n <= self.buffer_size

    def iterate(self):
        stream = self.index_stream()
        if stream is not None:
            source, passes = stream
            for piece in passes():
                for i in piece:
                    yield source.gather(i)
            return
        yield from _buffer_shuffle(self.node.iterate(), self.buffer_size, self._rng())

    def index_stream(self):
        stream = self.node.index_stream()
        if stream is None:
            return None
        source, passes = stream

        def whole():
            index = np.concatenate([_as_index(p) for p in passes()] or [np.zeros(0, int)])
            yield index[self._rng().permutation(len(index))]

        def buffered():
            flat = (int(i) for piece in passes() for i in _as_index(piece))
            shuffled = _buffer_shuffle(flat, self.buffer_size, self._rng())
            while True:
                piece = np.fromiter(itertools.islice(shuffled, _PIECE), np.int64)
                if not len(piece):
                    return
                yield piece
        return source, whole if self._covers_input() else buffered

    def cardinality(self):
        return self.node.cardinality()

    def spec(self):
        return self.node.spec()


def _as_index(piece):
    return np.arange(piece.start, piece.stop) if isinstance(piece, slice) else piece


def _buffer_shuffle(items, size, rng):
    """tf.data's shuffle buffer over any iterator."""
    try:
        buffer = list(itertools.islice(items, size))
        draws, used = rng.integers(0, len(buffer) or 1, _DRAWS), 0
        for item in items:  # the buffer is full here: every draw is uniform over ``size``
            if used == _DRAWS:
                draws, used = rng.integers(0, len(buffer), _DRAWS), 0
            j = draws[used]
            used += 1
            yield buffer[j]
            buffer[j] = item
        # The input is exhausted: what is left comes out in uniformly random order.
        for j in rng.permutation(len(buffer)):
            yield buffer[j]
    finally:
        close(items)


def batch_pieces(passes, batch_size, drop_remainder):
    """Slices or index arrays of ``batch_size`` rows from a stream of index pieces; a batch
    inside one slice piece stays a slice (its gather is a view)."""
    rest = None
    for piece in passes():
        if isinstance(piece, slice) and rest is None:
            end = piece.start + (piece.stop - piece.start) // batch_size * batch_size
            for start in range(piece.start, end, batch_size):
                yield slice(start, start + batch_size)
            if end < piece.stop:
                rest = np.arange(end, piece.stop)
            continue
        index = _as_index(piece)
        if rest is not None:
            index, rest = np.concatenate([rest, index]), None
        end = len(index) // batch_size * batch_size
        for start in range(0, end, batch_size):
            yield index[start:start + batch_size]
        if end < len(index):
            rest = index[end:]
    if rest is not None and not drop_remainder:
        yield rest


class Batch(Node):
    """``batch(batch_size, drop_remainder)``: consecutive elements stacked on a new axis."""

    def __init__(self, node, batch_size, drop_remainder):
        self.node, self.batch_size, self.drop_remainder = node, batch_size, drop_remainder

    def iterate(self):
        stream = self.node.index_stream()
        if stream is not None:
            source, passes = stream
            for index in batch_pieces(passes, self.batch_size, self.drop_remainder):
                yield source.gather(index)
            return
        source = self.node.iterate()
        try:
            while True:
                elements = list(itertools.islice(source, self.batch_size))
                if not elements or (self.drop_remainder and len(elements) < self.batch_size):
                    return
                yield _stack(elements)
        finally:
            close(source)

    def cardinality(self):
        n = self.node.cardinality()
        if n < 0:
            return n
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def gathers_from_memory(self):
        return self.node.index_stream() is not None

    def spec(self):
        return structure.batched_spec(self.node.spec(),
                                      self.batch_size if self.drop_remainder else None)


def _stack(elements):
    template = elements[0]
    columns = zip(*[structure.flatten(e) for e in elements])
    out = []
    for k, column in enumerate(columns):
        try:
            out.append(np.stack(column))
        except ValueError:
            shapes = sorted({np.shape(c) for c in column})
            raise ValueError(f"batch: cannot batch elements whose component {k} has different "
                             f"shapes {shapes[:4]}; use padded_batch, or map them to one "
                             f"shape first") from None
    return structure.pack_as(template, out)


class Unbatch(Node):
    """``unbatch()``: each element split along its first axis into separate elements."""

    def __init__(self, node):
        self.node = node

    def iterate(self):
        for element in self.node.iterate():
            leaves = structure.flatten(element)
            sizes = {np.shape(a)[0] if np.ndim(a) else None for a in leaves}
            if None in sizes or len(sizes) != 1:
                raise ValueError(f"unbatch: every component needs the same first dimension; "
                                 f"received shapes {[np.shape(a) for a in leaves]}")
            if len(leaves) == 1 and not isinstance(element, (tuple, dict)):
                yield from leaves[0]
                continue
            for i in range(sizes.pop()):
                yield structure.pack_as(element, [a[i] for a in leaves])

    def spec(self):
        def unbatched(s):
            if s.shape is None:
                return TensorSpec(None, s.dtype)
            if not s.shape:
                raise ValueError("unbatch: the elements have scalar components, which have no "
                                 "batch axis to split")
            return TensorSpec(s.shape[1:], s.dtype)
        return structure.map_structure(unbatched, self.node.spec())


class PaddedBatch(Node):
    """``padded_batch``: like ``batch``, each component padded to ``padded_shapes`` (a dim
    that is None or -1: the longest in the batch) with ``padding_values`` (default 0)."""

    def __init__(self, node, batch_size, padded_shapes, padding_values, drop_remainder):
        self.node, self.batch_size, self.drop_remainder = node, batch_size, drop_remainder
        self.padded_shapes, self.padding_values = padded_shapes, padding_values

    def _targets(self, element):
        n = len(structure.flatten(element))
        if self.padded_shapes is None:
            return [None] * n
        shapes = structure.flatten_up_to(element, self.padded_shapes,
                                         "padded_batch: padded_shapes")
        return [None if s is None else tuple(None if d is None or d < 0 else int(d)
                                             for d in (s if np.ndim(s) else [s]))
                for s in shapes]

    def iterate(self):
        source = self.node.iterate()
        try:
            while True:
                elements = list(itertools.islice(source, self.batch_size))
                if not elements or (self.drop_remainder and len(elements) < self.batch_size):
                    return
                yield self._pad(elements)
        finally:
            close(source)

    def _pad(self, elements):
        template = elements[0]
        targets = self._targets(template)
        values = ([None] * len(targets) if self.padding_values is None
                  else structure.flatten_up_to(template, self.padding_values,
                                               "padded_batch: padding_values"))
        out = []
        for k, column in enumerate(zip(*[structure.flatten(e) for e in elements])):
            ranks = sorted({np.ndim(a) for a in column})
            if len(ranks) > 1:
                raise ValueError(f"padded_batch: component {k} has elements of different "
                                 f"ranks {ranks}")
            shapes = np.array([np.shape(a) for a in column]).reshape(len(column), ranks[0])
            longest = tuple(int(d) for d in shapes.max(0)) if ranks[0] else ()
            target = targets[k] or (None,) * len(longest)
            if len(target) != len(longest):
                raise ValueError(f"padded_batch: padded_shapes gives {target} for component {k},"
                                 f" whose elements have rank {len(longest)}")
            shape = tuple(m if t is None else t for t, m in zip(target, longest))
            if any(m > s for m, s in zip(longest, shape)):
                raise ValueError(f"padded_batch: the padded shape {shape} is not compatible "
                                 f"with the shape {longest} of component {k}")
            dtype = np.asarray(column[0]).dtype
            fill = values[k] if values[k] is not None else ("" if dtype.kind in "US" else 0)
            batch = np.full((len(column), *shape), np.asarray(fill).astype(dtype), dtype)
            for i, a in enumerate(column):  # ragged rows: one copy each
                batch[(i, *[slice(0, d) for d in np.shape(a)])] = a
            out.append(batch)
        return structure.pack_as(template, out)

    def cardinality(self):
        return Batch.cardinality(self)

    def spec(self):
        inner = self.node.spec()
        leaves = structure.flatten(inner)
        targets = ([None] * len(leaves) if self.padded_shapes is None else
                   [s if s is None else tuple(s) if np.ndim(s) else (s,) for s in
                    structure.flatten_up_to(inner, self.padded_shapes,
                                            "padded_batch: padded_shapes")])
        size = self.batch_size if self.drop_remainder else None
        specs = []
        for s, t in zip(leaves, targets):
            rank = s.rank if t is None else len(t)
            dims = [None] * (rank or 0) if t is None else [None if d is None or d < 0 else d
                                                            for d in t]
            specs.append(TensorSpec(None if rank is None else (size, *dims), s.dtype))
        return structure.pack_as(inner, specs)


__all__ = ["INFINITE", "UNKNOWN", "Batch", "PaddedBatch", "Shuffle", "Unbatch"]


class Window(Node):
    """``window(size, shift, stride, drop_remainder)``: windows of ``size`` elements taken
    every ``stride`` from starts ``shift`` apart, each a Dataset (per component of the
    element, as tf: a window of (x, y) elements is a tuple of two Datasets). Elements are
    read once, kept only while a later window still needs them."""

    def __init__(self, node, size, shift, stride, drop_remainder, wrap):
        self.node, self.size, self.shift, self.stride = node, size, shift, stride
        self.drop_remainder, self.wrap = drop_remainder, wrap  # wrap: a node -> a Dataset

    def _window(self, elements):
        from glassnet.data.sources import Slices

        stacked = _stack(elements)
        leaves = [self.wrap(Slices(a)) for a in structure.flatten(stacked)]
        return structure.pack_as(stacked, leaves)

    def iterate(self):
        span = (self.size - 1) * self.stride + 1
        source, buffer, base, start, done = self.node.iterate(), [], 0, 0, False
        try:
            while True:
                while not done and base + len(buffer) < start + span:
                    try:
                        buffer.append(next(source))
                    except StopIteration:
                        done = True
                window = buffer[start - base:start - base + span:self.stride]
                if not window or (self.drop_remainder and len(window) < self.size):
                    return
                yield self._window(window)
                start += self.shift
                dropped = min(start - base, len(buffer))
                del buffer[:dropped]
                base += dropped
        finally:
            close(source)

    def cardinality(self):
        n = self.node.cardinality()
        if n < 0:
            return n
        if self.drop_remainder:
            span = (self.size - 1) * self.stride + 1
            return (n - span) // self.shift + 1 if n >= span else 0
        return -(-n // self.shift)
