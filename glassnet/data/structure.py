"""Elements of a ``Dataset``: nested structures (tuples, named tuples, dicts) of NumPy arrays,
and ``TensorSpec``, the shape and dtype of one component.

Inside a pipeline every leaf is a NumPy array (or NumPy scalar); ``Dataset.__iter__`` turns the
numeric leaves into glassnet ``Tensor`` objects at the very end (see ``dataset.py``). Values a
user hands in (Python numbers and lists, Tensors, arrays) are converted as tf.data converts
them: Python floats become float32, Python ints int32, NumPy arrays keep their dtype.

>>> flatten(({"a": 1, "b": 2}, 3))
[1, 2, 3]
>>> pack_as(({"a": 0, "b": 0}, 0), [7, 8, 9])
({'a': 7, 'b': 8}, 9)
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.autograd.text import TextArray


class TensorSpec:
    """The type of one component of an element: ``shape`` (ints, ``None`` where unknown) and
    ``dtype`` (a NumPy dtype). ``shape=None`` means even the rank is unknown.

    >>> TensorSpec((None, 3), "float32")
    TensorSpec(shape=(None, 3), dtype=float32, name=None)
    """

    def __init__(self, shape, dtype="float32", name=None):
        if shape is not None:
            try:
                shape = tuple(None if d is None or int(d) < 0 else int(d) for d in shape)
            except TypeError:
                raise TypeError(f"TensorSpec: shape must be a tuple of ints or None. Received: "
                                f"shape={shape!r}") from None
        self.shape = shape
        self.dtype = as_dtype(dtype, "TensorSpec dtype")
        self.name = name

    @property
    def rank(self):
        return None if self.shape is None else len(self.shape)

    def is_compatible_with(self, value) -> bool:
        """True when ``value`` (an array or another spec) has this dtype and a fitting shape."""
        shape = value.shape if isinstance(value, TensorSpec) else np.shape(value)
        dtype = value.dtype if isinstance(value, TensorSpec) else np.asarray(value).dtype
        return dtype == self.dtype and shapes_compatible(self.shape, shape)

    def __eq__(self, other):
        if not isinstance(other, TensorSpec):  # another TensorSpec class (glassnet.tf's)
            if not (hasattr(other, "shape") and hasattr(other, "dtype")):
                return NotImplemented
            try:
                other = TensorSpec(other.shape, other.dtype, getattr(other, "name", None))
            except TypeError:
                return False
        return (self.shape == other.shape and self.dtype == other.dtype
                and self.name == other.name)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.name))

    def __repr__(self):
        shape = "<unknown>" if self.shape is None else self.shape
        return f"TensorSpec(shape={shape}, dtype={self.dtype}, name={self.name!r})"


def as_dtype(dtype, what="dtype"):
    """A NumPy dtype from a NumPy/str dtype or anything naming one (``tf.float32``-like
    objects with ``as_numpy_dtype`` or a dtype ``name``)."""
    for attr in ("as_numpy_dtype", "numpy_dtype"):
        if hasattr(dtype, attr):
            dtype = getattr(dtype, attr)
            break
    try:
        return np.dtype(dtype)
    except TypeError:
        name = getattr(dtype, "name", None)
        if isinstance(name, str):
            return np.dtype(name)
        raise TypeError(f"{what} must be a dtype such as 'float32'. Received: {dtype!r}") from None


def shapes_compatible(expected, shape) -> bool:
    if expected is None or shape is None:
        return True
    return len(expected) == len(shape) and all(e is None or s is None or e == s
                                               for e, s in zip(expected, shape))


# -- nesting -------------------------------------------------------------------------------

def is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def flatten(structure) -> list:
    """The leaves of ``structure`` in order (dicts in their own key order)."""
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in flatten(v)]
    if isinstance(structure, tuple):
        return [leaf for v in structure for leaf in flatten(v)]
    return [structure]


def pack_as(structure, leaves):
    """``leaves`` (a flat sequence) arranged as ``structure`` (the inverse of ``flatten``)."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, dict):
            return {k: build(v) for k, v in s.items()}
        if is_namedtuple(s):
            return type(s)(*[build(v) for v in s])
        if isinstance(s, tuple):
            return tuple(build(v) for v in s)
        return next(it)
    return build(structure)


def map_structure(fn, structure):
    return pack_as(structure, [fn(leaf) for leaf in flatten(structure)])


def same_structure(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(
            same_structure(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(
            same_structure(x, y) for x, y in zip(a, b))
    return not isinstance(b, (dict, tuple))


def flatten_up_to(template, value, what):
    """``value``'s parts at the leaves of ``template``'s structure (a shape given as a list or
    tuple at a leaf stays whole)."""
    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            raise ValueError(f"{what} must have the structure of the elements "
                             f"(keys {list(template)}); received {value!r}")
        return [p for k in template for p in flatten_up_to(template[k], value[k], what)]
    if isinstance(template, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(template):
            raise ValueError(f"{what} must have the structure of the elements "
                             f"({len(template)} components); received {value!r}")
        return [p for t, v in zip(template, value) for p in flatten_up_to(t, v, what)]
    return [value]


# -- values --------------------------------------------------------------------------------

def to_array(value, dtype=None):
    """One component as a NumPy array (tf.data's conversion rules)."""
    data = getattr(value, "data", None)
    if isinstance(data, np.ndarray) and hasattr(value, "numpy"):  # a glassnet Tensor
        value = data
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
    else:
        try:
            array = np.asarray(value)
        except ValueError:
            raise ValueError(f"a dataset component is ragged (its rows have different "
                             f"lengths): {_short(value)}; pad it first (padded_batch or "
                             f"glassnet.data.pad_sequences)") from None
        if array.dtype.kind == "f" and not _has_numpy(value):
            array = array.astype(backend.floatx())  # Python floats: float32, as tf.data
        elif array.dtype.kind == "i" and not _has_numpy(value):
            array = array.astype(np.int32)  # Python ints: int32, as tf.data
    if array.dtype == object:
        raise TypeError(f"a dataset component must be numeric, bool or string data; received "
                        f"{_short(value)} (NumPy made an array of Python objects from it)")
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return array


def _has_numpy(value):
    if isinstance(value, (list, tuple)):
        return any(_has_numpy(v) for v in value[:1])
    return isinstance(value, (np.ndarray, np.generic))


def _short(value):
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def normalize(value):
    """A user's element (or slices) as a structure of arrays; lists become arrays, as in
    tf.data (a list of equal-length arrays is stacked into one)."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if is_namedtuple(value):
        return type(value)(*[normalize(v) for v in value])
    if isinstance(value, tuple):
        return tuple(normalize(v) for v in value)
    return to_array(value)


def normalize_output(value):
    """What a ``map`` function returned, as an element (lists count as tuples, as tf.data)."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, dict):
        return {k: normalize_output(v) for k, v in value.items()}
    if is_namedtuple(value):
        return type(value)(*[normalize_output(v) for v in value])
    if isinstance(value, tuple):
        return tuple(normalize_output(v) for v in value)
    return to_array(value)


def to_user(element):
    """An element as user code sees it: numeric components as glassnet ``Tensor`` objects
    (they have ``.numpy()``, operators and the ops), strings as ``TextArray``."""
    return map_structure(_to_tensor, element)


def _to_tensor(leaf):
    if hasattr(leaf, "element_spec"):  # a Dataset (a window) stays a Dataset
        return leaf
    array = np.asarray(leaf)
    if array.dtype.kind in "USO":
        return array.view(TextArray)
    if array.dtype.kind not in "fiub":
        return array
    return Tensor(array, dtype=array.dtype)  # keeps the dtype (float64 stays float64)


def to_numpy(element):
    """An element for ``as_numpy_iterator``: arrays, and NumPy scalars for 0-d components."""
    return map_structure(lambda a: a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a,
                         element)


class DatasetSpec:
    """The type of a component that is itself a Dataset (``window``'s): its element spec."""

    def __init__(self, element_spec):
        self.element_spec = element_spec

    def __eq__(self, other):
        return isinstance(other, DatasetSpec) and other.element_spec == self.element_spec

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r})"


def _leaf_spec(a):
    if hasattr(a, "element_spec"):
        return DatasetSpec(a.element_spec)
    return TensorSpec(np.shape(a), np.asarray(a).dtype)


def spec_of(element):
    """The spec structure of one element."""
    return map_structure(_leaf_spec, element)


def batched_spec(spec, batch_size):
    """``spec`` with a leading batch axis (``None`` when the batch size may vary)."""
    return map_structure(lambda s: TensorSpec(None if s.shape is None else
                                              (batch_size, *s.shape), s.dtype), spec)


def most_specific(a, b):
    """The spec both ``a`` and ``b`` fit (dims that differ become None)."""
    if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
        shape = None
    else:
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
    return TensorSpec(shape, a.dtype)
