"""The TensorFlow top level (``tf.reshape``, ``tf.split``, ``tf.where``, ``tf.print``, ...):
TensorFlow's argument names and defaults over the op library, which does the computing.

Where glassnet's own op of the same name takes other arguments, these are supersets: what
glassnet code passed still works (``transpose(x, axes)``, ``pad(x, width, value=)``,
``argmax(x, keepdims=True)``). Two follow TensorFlow where the two disagree, and say so:
``split`` with a list takes section *sizes*, and ``argmax``/``argmin`` without an axis
reduce axis 0 (``glassnet.autograd.ops`` keeps NumPy's meanings).
"""

from __future__ import annotations

import sys

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.nn_functions import gather as _gather
from glassnet.autograd.tensor import Tensor
from glassnet.tf.dtypes import float32, int32, int64, numpy_dtype

__all__ = [
    "TensorSpec", "add_n", "argmax", "argmin", "argsort", "clip_by_value", "cumsum",
    "function", "gather", "identity", "is_tensor", "matmul", "newaxis", "norm", "pad",
    "rank", "reshape", "reverse", "shape", "size", "sort", "split", "stop_gradient", "tile",
    "transpose", "unstack", "where",
]

newaxis = None


def _ints(value, op, name):
    """A shape-like argument (list, tuple, int tensor) as a tuple of Python ints."""
    data = np.asarray(value.data if isinstance(value, Tensor) else value)
    if data.dtype.kind not in "iu" and data.size:
        raise TypeError(f"{op}: {name} must hold integers; received {value!r}")
    return tuple(int(v) for v in data.reshape(-1))


# -- facts about a tensor -------------------------------------------------------------------


def shape(input, out_type=int32, name=None) -> Tensor:  # noqa: A002 - tf's names
    """The shape of ``input`` as a 1-D int32 tensor (``x.shape`` is the Python tuple).

    >>> shape([[1, 2, 3]]).tolist()
    [1, 3]
    """
    return Tensor(np.asarray(np.shape(input), dtype=numpy_dtype(out_type)))


def size(input, out_type=int32, name=None) -> Tensor:  # noqa: A002
    """The number of elements of ``input``, a 0-d int32 tensor."""
    return Tensor(np.asarray(np.size(input), dtype=numpy_dtype(out_type)))


def rank(input, name=None) -> Tensor:  # noqa: A002
    """The number of dimensions of ``input``, a 0-d int32 tensor."""
    return Tensor(np.asarray(np.ndim(input), dtype=np.int32))


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


# -- layout ----------------------------------------------------------------------------------


def reshape(tensor, shape, name=None) -> Tensor:
    """``tensor`` with a new shape (a list, tuple or int tensor; one entry may be -1)."""
    return ops.reshape(tensor, _ints(shape, "reshape", "shape"))


def transpose(a, perm=None, conjugate=False, name=None, axes=None) -> Tensor:
    """Permute the axes by ``perm`` (None: reverse them); ``axes`` is glassnet's name."""
    if axes is not None:
        perm = axes
    return ops.transpose(a, None if perm is None else _ints(perm, "transpose", "perm"))


def split(value, num_or_size_splits, axis=0, num=None, name=None) -> list:
    """Split along ``axis`` into ``num_or_size_splits`` equal parts (an int), or into parts
    of the given sizes (a list; one size may be -1, the rest), as ``tf.split``.

    Note: with a list, NumPy's ``np.split`` and ``glassnet.autograd.ops.split`` take split
    *positions*; this takes sizes.

    >>> [p.shape for p in split(ops.reshape(range(6), (1, 6)), [1, -1, 2], axis=1)]
    [(1, 1), (1, 3), (1, 2)]
    """
    value = constant(value)
    if isinstance(num_or_size_splits, (int, np.integer)):
        return ops.split(value, int(num_or_size_splits), axis)
    sizes = list(_ints(num_or_size_splits, "split", "num_or_size_splits"))
    if value.ndim == 0:
        raise ValueError("split: a 0-d tensor has no axis to split")
    (axis,) = normalize_axis(axis, value.ndim, "split")
    n = value.shape[axis]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    if sum(sizes) != n or min(sizes, default=0) < 0:
        raise ValueError(f"split: sizes {list(num_or_size_splits)} must be non-negative and "
                         f"add up to {n}, the size of axis {axis} of shape {value.shape}")
    return ops.split(value, np.cumsum(sizes)[:-1].tolist(), axis)


def unstack(value, num=None, axis=0, name=None) -> list:
    """The slices of ``value`` along ``axis``, each without that axis."""
    value = constant(value)
    (axis,) = normalize_axis(axis, value.ndim, "unstack")
    if num is not None and num != value.shape[axis]:
        raise ValueError(f"unstack: num={num} does not match the size {value.shape[axis]} "
                         f"of axis {axis} of shape {value.shape}")
    lead = (slice(None),) * axis
    return [value[lead + (i,)] for i in np.arange(value.shape[axis]).tolist()]


def tile(input, multiples, name=None) -> Tensor:  # noqa: A002
    """``input`` repeated ``multiples[i]`` times along each axis i."""
    return ops.tile(input, _ints(multiples, "tile", "multiples"))


def reverse(tensor, axis) -> Tensor:
    """``tensor`` with the order along each axis in ``axis`` reversed."""
    tensor = constant(tensor)
    axes = normalize_axis(_ints(axis, "reverse", "axis"), tensor.ndim, "reverse")
    return tensor[tuple(slice(None, None, -1) if a in axes else slice(None)
                        for a in np.arange(tensor.ndim).tolist())]


_PAD_MODES = ("CONSTANT", "REFLECT", "SYMMETRIC")


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None, value=None) -> Tensor:
    """``tensor`` padded by ``paddings`` ([before, after] per axis): with ``constant_values``,
    or mirrored ("REFLECT" leaves the edge out, "SYMMETRIC" repeats it). ``value`` is
    glassnet's name for constant_values.

    >>> pad([[1, 2]], [[0, 0], [1, 1]]).tolist()
    [[0, 1, 2, 0]]
    """
    mode = str(mode).upper()
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}; received {mode!r}")
    fill = constant_values if value is None else value
    return ops.pad(tensor, paddings, mode.lower(), fill)


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of ``params`` along ``axis`` at ``indices`` (see the op library's gather)."""
    return _gather(params, indices, axis, batch_dims)


def where(condition, x=None, y=None, name=None) -> Tensor:
    """x where ``condition`` else y (broadcast together); with only ``condition``: the
    coordinates of its true entries, an int64 tensor of shape (count, rank).

    >>> where([True, False, True]).tolist()
    [[0], [2]]
    """
    if x is None and y is None:
        cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
        return Tensor(np.argwhere(cond).astype(np.int64))
    if x is None or y is None:
        raise ValueError("where: x and y must both be given, or neither")
    return ops.where(condition, x, y)


# -- math that tf keeps at the top -------------------------------------------------------------


def _swap_last(t):
    perm = list(np.arange(t.ndim)) if t.ndim >= 2 else None
    if perm is None:
        raise ValueError(f"matmul: transposing needs a matrix; received shape {t.shape}")
    perm[-2], perm[-1] = perm[-1], perm[-2]
    return ops.transpose(t, [int(p) for p in perm])


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None) -> Tensor:
    """a @ b over the last two axes, each optionally transposed first (adjoint is the same
    for real tensors)."""
    a, b = constant(a), constant(b)
    if transpose_a or adjoint_a:
        a = _swap_last(a)
    if transpose_b or adjoint_b:
        b = _swap_last(b)
    return ops.matmul(a, b)


def _arg(fn, input, axis, output_type, keepdims, name):  # noqa: A002
    x = constant(input)
    out = fn(x, 0 if axis is None else axis, keepdims)
    return ops.cast(out, numpy_dtype(output_type))


def argmax(input, axis=None, output_type=int64, name=None, keepdims=False):  # noqa: A002
    """Index of the largest entry along ``axis`` (None: axis 0, as tf); int64.

    >>> argmax([[1, 5], [7, 0]]).tolist()
    [1, 0]
    """
    return _arg(ops.argmax, input, axis, output_type, keepdims, "argmax")


def argmin(input, axis=None, output_type=int64, name=None, keepdims=False):  # noqa: A002
    """Index of the smallest entry along ``axis`` (None: axis 0, as tf); int64."""
    return _arg(ops.argmin, input, axis, output_type, keepdims, "argmin")


def _descending(direction, op):
    if isinstance(direction, bool):  # glassnet's third argument: descending
        return direction
    direction = str(direction).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{op}: direction must be 'ASCENDING' or 'DESCENDING'; received "
                         f"{direction!r}")
    return direction == "DESCENDING"


def sort(values, axis=-1, direction="ASCENDING", name=None, *, descending=None, stable=True):
    """``values`` sorted along ``axis`` (None: flattened); the gradient follows each value
    to its place. glassnet's ``sort(x, axis, descending)`` (a bool third) works too.

    >>> sort([3, 1, 2], direction="DESCENDING").tolist()
    [3, 2, 1]
    """
    if descending is None:
        descending = _descending(direction, "sort")
    return ops.sort(values, axis, descending, stable)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None, *,
            descending=None):
    """The indices that sort ``values`` along ``axis``: int32 as tf for tf's call
    (``direction=`` a string); int64 as glassnet's op for ``argsort(x, axis, descending)``
    (a bool third argument, or ``descending=``). Ties keep their order either way.

    >>> argsort([3, 1, 2]).tolist(), argsort([3, 1, 2]).dtype
    ([1, 2, 0], dtype('int32'))
    """
    tf_call = descending is None and not isinstance(direction, bool)
    if descending is None:
        descending = _descending(direction, "argsort")
    out = ops.argsort(values, axis, descending, True)
    return ops.cast(out, np.int32) if tf_call else out


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """Cumulative sum along ``axis`` (tf's default 0); ``exclusive`` leaves each entry out
    of its own sum, ``reverse`` sums from the end.

    >>> cumsum([1, 2, 3], exclusive=True).tolist(), cumsum([1, 2, 3], reverse=True).tolist()
    ([0, 1, 3], [6, 5, 3])
    """
    x = constant(x)
    if x.ndim == 0:
        return ops.cumsum(x, axis)
    (axis,) = normalize_axis(axis, x.ndim, "cumsum")
    flip = tuple(slice(None, None, -1) if a == axis else slice(None)
                 for a in np.arange(x.ndim).tolist())
    x = x[flip] if reverse else x
    if exclusive:  # the sum of the elements before: a zero, then all but the last one
        before = [(1, 0) if a == axis else (0, 0) for a in range(x.ndim)]
        keep = tuple(slice(0, -1) if a == axis else slice(None) for a in range(x.ndim))
        x = ops.pad(x, before)[keep]
    y = ops.cumsum(x, axis)
    return y[flip] if reverse else y


def clip_by_value(t, clip_value_min, clip_value_max, name=None) -> Tensor:
    """``t`` limited to [clip_value_min, clip_value_max] (numbers or broadcasting tensors)."""
    if np.ndim(clip_value_min) == 0 and np.ndim(clip_value_max) == 0 \
            and not isinstance(clip_value_min, Tensor) and not isinstance(clip_value_max, Tensor):
        return ops.clip(t, clip_value_min, clip_value_max)
    return ops.minimum(ops.maximum(t, clip_value_min), clip_value_max)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """A vector or matrix norm. tf's default ``ord="euclidean"`` with ``axis=None`` is the
    2-norm of all entries together, whatever the rank; any other ``ord`` (1, 2, inf, "fro",
    "nuc", a number) and any axis follow ``numpy.linalg.norm``, as glassnet's op (for
    vectors and explicit axes that is also tf's; tf's flattening for ``ord=1`` on a matrix
    without an axis is the one case that differs).

    >>> norm([[3.0], [4.0]]).item()
    5.0
    """
    t = constant(tensor)
    keepdims = bool(keepdims)
    if isinstance(axis, (list, Tensor, np.ndarray)):
        axis = _ints(axis, "norm", "axis")
    if isinstance(ord, str) and ord == "euclidean":
        if axis is None:
            out = ops.norm(ops.reshape(t, (-1,)), None)
            return ops.reshape(out, (1,) * t.ndim) if keepdims else out
        ord = None if isinstance(axis, (int, np.integer)) or len(axis) == 1 else "fro"  # noqa: A001
    return ops.norm(t, ord, axis, keepdims)


def add_n(inputs, name=None) -> Tensor:
    """The elementwise sum of a list of tensors of one shape."""
    if not inputs:
        raise ValueError("add_n: expected a non-empty list of tensors")
    total = constant(inputs[0])
    for t in inputs[1:]:
        total = total + t
    return total


def identity(input, name=None) -> Tensor:  # noqa: A002
    """A tensor equal to ``input`` that gradients flow through (a reshape to its own shape:
    a new tensor, the same values)."""
    input = constant(input)  # noqa: A001
    return ops.reshape(input, input.shape)


def stop_gradient(input, name=None) -> Tensor:  # noqa: A002
    """``input`` cut from the graph: the same values, no gradient flows back through it."""
    return constant(input).detach()


# -- program structure -------------------------------------------------------------------------


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None):
    """``@tf.function``: returns ``func`` itself. glassnet runs eagerly, so there is no graph
    to trace or compile; the decorated function runs as plain Python each call (and prints,
    breakpoints and NumPy calls inside it work).

    Works as ``@function``, ``@function(jit_compile=True, input_signature=...)`` and
    ``function(f)``.
    """
    if func is None:
        return lambda f: f
    if not callable(func):
        raise TypeError(f"function: expected a callable; received {type(func).__name__}")
    return func


class TensorSpec:
    """The shape and dtype a function expects (``None`` in the shape: any size); glassnet
    does not trace, so a spec only documents and checks."""

    def __init__(self, shape, dtype=float32, name=None):
        self.shape = None if shape is None else tuple(None if n is None else int(n)
                                                      for n in shape)
        self.dtype, self.name = dtype, name

    def is_compatible_with(self, value) -> bool:
        value = constant(value)
        if numpy_dtype(self.dtype) != value.dtype:
            return False
        if self.shape is None:
            return True
        return len(self.shape) == value.ndim and all(
            n is None or n == m for n, m in zip(self.shape, value.shape))

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and (self.shape, self.dtype, self.name) == (
            other.shape, other.dtype, other.name)

    __hash__ = object.__hash__

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"


def _number(v):
    text = str(v)  # NumPy's shortest round-trip form of the element's own dtype
    return text[:-2] if text.endswith(".0") else text


# tf.print writes numbers bare (1.5 2 3.25), booleans as 1/0, and no column padding
_PRINT_FORMAT = {"float_kind": _number, "int_kind": str, "bool": lambda b: str(int(b))}


def _format(value, summarize):
    if isinstance(value, Tensor):
        value = value.data
    if not isinstance(value, np.ndarray):
        return str(value)
    if value.ndim == 0:
        return _format(value.reshape(1), summarize)[1:-1]
    whole = summarize is None or summarize < 0
    # an axis longer than 2 * summarize shows its first and last ``summarize`` entries
    return np.array2string(value, separator=" ", formatter=_PRINT_FORMAT,
                           threshold=sys.maxsize if whole else 0,
                           edgeitems=3 if whole else summarize, max_line_width=sys.maxsize)


def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001
    """Print tensors' values as tf does: ``[1 2 3]``, no ``tensor(...)`` around them, at most
    ``summarize`` entries at each end of an axis (-1 or None: all), to ``output_stream``
    (None: sys.stderr, as tf).

    >>> print(Tensor([1, 2, 3]), "done", output_stream=sys.stdout)
    [1 2 3] done
    """
    text = sep.join(_format(v, summarize) for v in inputs)
    (sys.stderr if output_stream is None else output_stream).write(text + end)
