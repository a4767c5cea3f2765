"""The nodes a ``Dataset`` pipeline starts from: slices of arrays, one element, a range, a
generator, a PyTorch-style map dataset, and a zip of pipelines.

A node is a recipe, not an iterator: ``iterate()`` starts a fresh pass over its elements
(structures of NumPy arrays), ``cardinality()`` counts them when it can, ``spec()`` gives the
element's ``TensorSpec`` structure. Nodes that index into arrays (``Slices``, ``Range``) also
answer ``index_stream()``, which is what lets ``batch`` gather a whole batch with one
fancy-index per array instead of stacking elements one by one (see ``batching.py``).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.data import structure
from glassnet.data.structure import TensorSpec

INFINITE = -1
UNKNOWN = -2


class Node:
    """A step of a pipeline; subclasses implement ``iterate`` and usually ``cardinality``."""

    def iterate(self):
        raise NotImplementedError

    def cardinality(self) -> int:
        return UNKNOWN

    def spec(self):
        # Fallback for nodes whose output cannot be derived without running user code (map,
        # flat_map): run the pipeline up to its first element, as tf traces the function.
        iterator = self.iterate()
        try:
            first = next(iterator)
        except StopIteration:
            raise ValueError("element_spec: the dataset is empty, so its element type cannot "
                             "be inferred") from None
        finally:
            close = getattr(iterator, "close", None)
            if close:
                close()
        return structure.spec_of(first)

    def index_stream(self):
        """``(source, passes)`` when this node's elements are rows of ``source`` (which has
        ``gather(index)``), ``passes`` yielding slices or index arrays in order; else None."""
        return None

    def gathers_from_memory(self) -> bool:
        """Whether each element is one gather from in-memory arrays (the batch fast path):
        nothing a background thread could do ahead of the consumer."""
        return False


def _read_only(array):
    if not isinstance(array, np.ndarray):
        return array
    view = array.view()
    view.flags.writeable = False
    return view


class Slices(Node):
    """``from_tensor_slices``: element ``i`` is row ``i`` of every array in ``components``."""

    def __init__(self, components):
        self.components = components
        # Read-only views: elements and batches are views of these (no copy of the data),
        # and a write into one (in-place augmentation) must fail, not change every later
        # epoch's data.
        self.arrays = [_read_only(a) for a in structure.flatten(components)]
        if not self.arrays:
            raise ValueError("from_tensor_slices: the structure holds no arrays")
        scalars = [np.shape(a) for a in self.arrays if np.ndim(a) == 0]
        if scalars:
            raise ValueError("from_tensor_slices: every component needs a first axis to slice "
                             "along; received a scalar (shape ())")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"from_tensor_slices: all components must have the same size in "
                             f"their first dimension; received shapes {shapes}")
        self.n = lengths[0]
        # (x, y)-like: build the batch tuple directly, skipping the generic packing
        self._flat_tuple = type(components) is tuple and len(self.arrays) == len(components)

    def iterate(self):
        arrays, template = self.arrays, self.components
        if len(arrays) == 1 and not isinstance(template, (tuple, dict)):
            yield from arrays[0]  # rows of one array: NumPy's own iteration
            return
        for i in range(self.n):
            yield structure.pack_as(template, [a[i] for a in arrays])

    def gather(self, index):
        if self._flat_tuple:
            return tuple([a[index] for a in self.arrays])
        return structure.pack_as(self.components, [a[index] for a in self.arrays])

    def cardinality(self):
        return self.n

    def spec(self):
        return structure.map_structure(lambda a: TensorSpec(a.shape[1:], a.dtype),
                                       self.components)

    def index_stream(self):
        return self, lambda: iter([slice(0, self.n)])


class Tensors(Node):
    """``from_tensors``: the whole structure as one element."""

    def __init__(self, element):
        self.element = element

    def iterate(self):
        yield self.element

    def cardinality(self):
        return 1

    def spec(self):
        return structure.spec_of(self.element)


class Range(Node):
    """``range(start, stop, step)``: int64 scalars, computed (not stored) row by row."""

    def __init__(self, start, stop, step, dtype):
        self.start, self.stop, self.step, self.dtype = start, stop, step, dtype
        self.n = max(0, math.ceil((stop - start) / step))

    def iterate(self):
        for i in range(self.start, self.stop, self.step):
            yield self.dtype.type(i)

    def gather(self, index):
        if isinstance(index, slice):
            index = np.arange(index.start, index.stop)
        return (self.start + index * self.step).astype(self.dtype)

    def cardinality(self):
        return self.n

    def spec(self):
        return TensorSpec((), self.dtype)

    def index_stream(self):
        return self, lambda: iter([slice(0, self.n)])


class Generator(Node):
    """``from_generator``: ``generator(*args)`` called afresh for every pass; each value it
    yields is converted to the declared dtypes and checked against the declared shapes."""

    def __init__(self, generator, signature, args):
        self.generator, self.signature, self.args = generator, signature, args

    def iterate(self):
        signature = self.signature
        for value in self.generator(*self.args):
            if signature is None:
                yield structure.normalize_output(value)
                continue
            if isinstance(value, list) and isinstance(signature, tuple):
                value = tuple(value)
            specs = structure.flatten(signature)
            leaves = structure.flatten(value) if isinstance(signature, (tuple, dict)) \
                else [value]
            if len(leaves) != len(specs):
                raise ValueError(f"from_generator: the generator yielded {_short(value)}, "
                                 f"which does not match output_signature {signature}")
            arrays = []
            for leaf, spec in zip(leaves, specs):
                array = structure.to_array(leaf, spec.dtype)
                if not structure.shapes_compatible(spec.shape, array.shape):
                    raise ValueError(f"from_generator: the generator yielded an element of "
                                     f"shape {array.shape}, but its spec says {spec.shape}")
                arrays.append(array)
            yield structure.pack_as(signature, arrays)

    def spec(self):
        return super().spec() if self.signature is None else self.signature


def _short(value):
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


class Indexed(Node):
    """A PyTorch-style map dataset (``__len__`` and ``__getitem__``) as a pipeline."""

    def __init__(self, dataset):
        self.dataset = dataset

    def iterate(self):
        for i in range(len(self.dataset)):
            yield structure.normalize_output(self.dataset[i])

    def cardinality(self):
        return len(self.dataset)


class Zip(Node):
    """``zip``: elements of several pipelines side by side, as long as the shortest."""

    def __init__(self, nodes):
        self.nodes = nodes  # a structure (tuple or dict) of nodes

    def iterate(self):
        leaves = structure.flatten(self.nodes)
        iterators = [n.iterate() for n in leaves]
        try:
            while True:
                try:
                    values = [next(it) for it in iterators]
                except StopIteration:
                    return
                yield structure.pack_as(self.nodes, values)
        finally:
            for it in iterators:
                close = getattr(it, "close", None)
                if close:
                    close()

    def cardinality(self):
        counts = [n.cardinality() for n in structure.flatten(self.nodes)]
        finite = [c for c in counts if c >= 0]
        if UNKNOWN in counts:
            return min(finite) if finite and min(finite) == 0 else UNKNOWN
        return min(finite) if finite else INFINITE

    def spec(self):
        return structure.pack_as(self.nodes, [n.spec() for n in structure.flatten(self.nodes)])


def generator(fn, output_types, output_shapes, args, output_signature):
    """The ``Generator`` node of ``Dataset.from_generator``, its signature worked out."""
    if output_signature is not None and output_types is not None:
        raise TypeError("Dataset.from_generator: give output_signature or output_types "
                        "(with output_shapes), not both")
    if output_signature is not None:
        signature = structure.map_structure(_spec, output_signature)
    elif output_types is not None:
        types = structure.map_structure(structure.as_dtype, output_types)
        shapes = ([None] * len(structure.flatten(types)) if output_shapes is None else
                  structure.flatten_up_to(types, output_shapes, "from_generator: output_shapes"))
        signature = structure.pack_as(types, [
            TensorSpec(None if s is None else tuple(s) if np.ndim(s) else (s,), t)
            for t, s in zip(structure.flatten(types), shapes)])
    else:
        if output_shapes is not None:
            raise TypeError("Dataset.from_generator: output_shapes needs output_types")
        signature = None
    args = () if args is None else tuple(args)
    return Generator(fn, signature, args)


def range_node(args, output_type):
    """The ``Range`` node of ``Dataset.range(*args)``."""
    if not 1 <= len(args) <= 3:
        raise TypeError(f"Dataset.range: expected 1 to 3 arguments (stop), (start, stop) or "
                        f"(start, stop, step). Received: {len(args)} arguments")
    # 0-d integer tensors come in from functions given to flat_map or interleave
    args = [a.item() if np.ndim(a) == 0 and hasattr(a, "item") and np.asarray(a).dtype.kind
            in "iu" else a for a in args]
    for value in args:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"Dataset.range: arguments must be integers. Received: "
                            f"{value!r} (of type {type(value).__name__})")
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    if step == 0:
        raise ValueError("Dataset.range: step must not be zero")
    dtype = structure.as_dtype(output_type, "Dataset.range output_type")
    return Range(int(start), int(stop), int(step), dtype)


def _spec(value):
    if isinstance(value, TensorSpec):
        return value
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # another library's TensorSpec
        shape = value.shape
        rank = getattr(shape, "rank", len(shape) if shape is not None else None)
        dims = None if rank is None else [None if d is None else int(d) for d in shape]
        return TensorSpec(dims, value.dtype)
    raise TypeError(f"Dataset.from_generator: output_signature must be a structure of "
                    f"TensorSpec. Received: {value!r}")
