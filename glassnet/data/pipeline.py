"""Element-wise steps of a ``Dataset`` pipeline: map (optionally on a thread pool), filter,
repeat, take, skip, enumerate, concatenate, flat_map and interleave.

Each is a node (see ``sources.py``): a recipe whose ``iterate()`` starts a fresh pass over
its input. User functions receive the element as tf.data passes it: a tuple unpacked into
positional arguments, anything else (a dict, a named tuple, one component) as one argument,
with numeric components as glassnet ``Tensor`` objects (so ``x / 255`` and ``x.numpy()``
work); what they return is converted back to NumPy.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import os

import numpy as np

from glassnet.data import structure
from glassnet.data.sources import INFINITE, UNKNOWN, Node
from glassnet.data.structure import TensorSpec

AUTOTUNE = -1


def call(fn, element):
    """``fn`` applied to an element as tf.data applies it (tuples unpacked)."""
    value = structure.to_user(element)
    if isinstance(value, tuple) and not structure.is_namedtuple(value):
        return fn(*value)
    return fn(value)


def workers(num_parallel_calls, what):
    if num_parallel_calls is None:
        return None
    if isinstance(num_parallel_calls, bool) or not isinstance(num_parallel_calls,
                                                              (int, np.integer)):
        raise TypeError(f"{what}: num_parallel_calls must be None, AUTOTUNE or a positive "
                        f"integer. Received: num_parallel_calls={num_parallel_calls!r}")
    if num_parallel_calls == AUTOTUNE:
        return os.cpu_count() or 1
    if num_parallel_calls <= 0:
        raise ValueError(f"{what}: num_parallel_calls must be None, AUTOTUNE (-1) or a "
                         f"positive integer. Received: num_parallel_calls={num_parallel_calls}")
    return int(num_parallel_calls)


def close(iterator):
    closer = getattr(iterator, "close", None)
    if closer is not None:
        closer()


class Map(Node):
    """``map(fn)``; with ``threads`` set, up to ``2 * threads`` calls run at once on a thread
    pool and results come back in input order (NumPy releases the GIL in its loops, so
    array-heavy functions overlap)."""

    def __init__(self, node, fn, threads=None):
        self.node, self.fn, self.threads = node, fn, threads

    def _apply(self, element):
        return structure.normalize_output(call(self.fn, element))

    def iterate(self):
        if self.threads is None:
            for element in self.node.iterate():
                yield self._apply(element)
            return
        pool = concurrent.futures.ThreadPoolExecutor(self.threads, "glassnet-map")
        pending = collections.deque()
        source = self.node.iterate()
        try:
            for element in source:
                pending.append(pool.submit(self._apply, element))
                if len(pending) >= 2 * self.threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # also when the consumer drops the iterator: stop the workers
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False)
            close(source)

    def cardinality(self):
        return self.node.cardinality()


class Filter(Node):
    """``filter(predicate)``: the elements for which ``predicate`` is true."""

    def __init__(self, node, predicate):
        self.node, self.predicate = node, predicate

    def iterate(self):
        for element in self.node.iterate():
            keep = call(self.predicate, element)
            value = np.asarray(getattr(keep, "data", keep))
            if value.ndim != 0 or value.dtype != np.bool_:
                # as tf: a number is not a truth value here (x * 2 instead of x % 2 == 0)
                raise TypeError(f"filter: the predicate must return a scalar boolean; it "
                                f"returned a value of dtype {value.dtype} and shape "
                                f"{value.shape}")
            if bool(value):
                yield element

    def cardinality(self):
        return INFINITE if self.node.cardinality() == INFINITE else UNKNOWN

    def spec(self):
        return self.node.spec()


class Repeat(Node):
    """``repeat(count)``: ``count`` passes (forever when None or -1); each pass is a fresh
    pass of the input, so a shuffle before it reshuffles."""

    def __init__(self, node, count):
        self.node, self.count = node, count

    def iterate(self):
        passes = itertools.count() if self.count < 0 else range(self.count)
        for _ in passes:
            empty = True
            for element in self.node.iterate():
                empty = False
                yield element
            if empty:  # repeating nothing forever would never return
                return

    def cardinality(self):
        n = self.node.cardinality()
        if self.count < 0:
            return 0 if n == 0 else INFINITE
        if n in (INFINITE, UNKNOWN):
            return n if self.count else 0
        return n * self.count

    def spec(self):
        return self.node.spec()

    def index_stream(self):
        stream = self.node.index_stream()
        if stream is None or self.node.cardinality() == 0:
            return None
        source, passes = stream
        count = self.count

        def repeated():
            for _ in (itertools.count() if count < 0 else range(count)):
                yield from passes()
        return source, repeated


class Take(Node):
    """``take(count)``: the first ``count`` elements (all of them when -1)."""

    def __init__(self, node, count):
        self.node, self.count = node, count

    def iterate(self):
        source = self.node.iterate()
        try:
            yield from (source if self.count < 0 else itertools.islice(source, self.count))
        finally:
            close(source)

    def cardinality(self):
        n = self.node.cardinality()
        if self.count < 0 or n == UNKNOWN:
            return n
        return self.count if n == INFINITE else min(n, self.count)

    def spec(self):
        return self.node.spec()

    def index_stream(self):
        stream = self.node.index_stream()
        if stream is None or self.count < 0:
            return stream
        source, passes = stream
        return source, lambda: _cut(passes(), 0, self.count)


class Skip(Node):
    """``skip(count)``: all but the first ``count`` elements (none when -1)."""

    def __init__(self, node, count):
        self.node, self.count = node, count

    def iterate(self):
        if self.count < 0:
            return
        source = self.node.iterate()
        try:
            yield from itertools.islice(source, self.count, None)
        finally:
            close(source)

    def cardinality(self):
        n = self.node.cardinality()
        if self.count < 0:
            return 0
        return n if n < 0 else max(0, n - self.count)

    def spec(self):
        return self.node.spec()

    def index_stream(self):
        stream = self.node.index_stream()
        if stream is None or self.count < 0 or self.node.cardinality() < 0:
            return None  # an infinite stream cut from the front never ends being cut
        source, passes = stream
        return source, lambda: _cut(passes(), self.count, None)


def _cut(pieces, start, stop):
    """The index pieces (slices or arrays) from position ``start`` to ``stop`` of the
    stream they make together."""
    position = 0
    for piece in pieces:
        size = piece.stop - piece.start if isinstance(piece, slice) else len(piece)
        lo, hi = max(start - position, 0), size if stop is None else min(stop - position, size)
        if lo < hi:
            yield slice(piece.start + lo, piece.start + hi) if isinstance(piece, slice) \
                else piece[lo:hi]
        position += size
        if stop is not None and position >= stop:
            return


class Enumerate(Node):
    """``enumerate(start)``: ``(i, element)`` pairs, ``i`` an int64 counter."""

    def __init__(self, node, start):
        self.node, self.start = node, start

    def iterate(self):
        for i, element in enumerate(self.node.iterate(), self.start):
            yield np.int64(i), element

    def cardinality(self):
        return self.node.cardinality()

    def spec(self):
        return TensorSpec((), np.int64), self.node.spec()


class Concatenate(Node):
    """``concatenate(other)``: this dataset's elements, then the other's."""

    def __init__(self, first, second):
        a, b = first.spec(), second.spec()
        if not structure.same_structure(a, b) or any(
                x.dtype != y.dtype for x, y in zip(structure.flatten(a), structure.flatten(b))):
            raise TypeError(f"concatenate: incompatible dataset elements: {a} vs. {b}")
        self.first, self.second = first, second
        self._spec = structure.pack_as(a, [structure.most_specific(x, y) for x, y in
                                           zip(structure.flatten(a), structure.flatten(b))])

    def iterate(self):
        yield from self.first.iterate()
        yield from self.second.iterate()

    def cardinality(self):
        counts = (self.first.cardinality(), self.second.cardinality())
        if INFINITE in counts:
            return INFINITE
        return UNKNOWN if UNKNOWN in counts else sum(counts)

    def spec(self):
        return self._spec


def _pipeline_of(value, what):
    node = getattr(value, "_pipeline", None)
    if node is None:
        raise TypeError(f"{what}: the function must return a Dataset; it returned "
                        f"{type(value).__name__}")
    return node()


class FlatMap(Node):
    """``flat_map(fn)``: ``fn`` maps each element to a Dataset; their elements in order."""

    def __init__(self, node, fn):
        self.node, self.fn = node, fn

    def iterate(self):
        for element in self.node.iterate():
            yield from _pipeline_of(call(self.fn, element), "flat_map").iterate()


class Interleave(Node):
    """``interleave(fn, cycle_length, block_length)``: ``cycle_length`` of the datasets ``fn``
    makes are open at once; ``block_length`` elements are taken from each in turn, and an
    exhausted one is replaced by the dataset of the next input element (tf's order)."""

    def __init__(self, node, fn, cycle_length, block_length):
        self.node, self.fn = node, fn
        self.cycle_length, self.block_length = cycle_length, block_length

    def iterate(self):
        inputs = self.node.iterate()
        slots = [None] * self.cycle_length
        try:  # an early stop closes the input and every open inner pipeline (their threads)
            open_count, cycle, block, inputs_done = 0, 0, 0, False
            while not inputs_done or open_count:
                if slots[cycle] is not None:
                    try:
                        element = next(slots[cycle])
                    except StopIteration:
                        slots[cycle] = None
                        open_count -= 1
                        cycle, block = (cycle + 1) % self.cycle_length, 0
                        continue
                    yield element
                    block += 1
                    if block == self.block_length:
                        cycle, block = (cycle + 1) % self.cycle_length, 0
                elif not inputs_done:
                    try:
                        element = next(inputs)
                    except StopIteration:
                        inputs_done = True
                        continue
                    slots[cycle] = _pipeline_of(call(self.fn, element), "interleave").iterate()
                    open_count += 1
                else:
                    cycle, block = (cycle + 1) % self.cycle_length, 0
        finally:
            close(inputs)
            for slot in slots:
                if slot is not None:
                    close(slot)
