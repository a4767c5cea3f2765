"""Making tensors the TensorFlow way: constant, convert_to_tensor, zeros/ones (a shape tuple,
or glassnet's varargs), fill, eye, range, linspace, one_hot.

TensorFlow's dtype rules: Python floats become float32 and Python ints int32 (so
``tf.constant([1, 2]).dtype == tf.int32``); a NumPy array or a tensor keeps its dtype.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import creation
from glassnet.autograd.tensor import Tensor
from glassnet.autograd.text import TextArray
from glassnet.tf.dtypes import numpy_dtype

# ``range`` is left out of __all__: a star import must not replace Python's range
__all__ = ["constant", "convert_to_tensor", "eye", "fill", "linspace", "one_hot", "ones",
           "ones_like", "zeros", "zeros_like"]


def _array(value, op):
    """``value`` as an array with TensorFlow's default dtypes."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
    else:
        array = np.asarray(value)
        if array.dtype.kind == "f":
            array = array.astype(backend.floatx())
        elif array.dtype.kind == "i":
            info = np.iinfo(np.int32)
            fits = array.size == 0 or (array.min() >= info.min and array.max() <= info.max)
            array = array.astype(np.int32 if fits else np.int64)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{op}: cannot make a tensor of {type(value).__name__} values "
                        f"(dtype {array.dtype}); expected numbers or booleans")
    return array


def _is_text(value):
    try:
        return np.asarray(value).dtype.kind in "SU"
    except (ValueError, TypeError):
        return False


def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """A tensor holding ``value`` (a copy), optionally cast to ``dtype`` and reshaped or
    filled to ``shape`` (a scalar value fills the whole shape, as tf).

    >>> constant([1, 2]).dtype, constant(0.5, shape=(2,)).tolist()
    (dtype('int32'), [0.5, 0.5])
    """
    if dtype in (None, "string") and _is_text(value):
        text = TextArray.of(value)  # tf.constant(["a review"]): strings, for text layers
        return text if shape is None else np.broadcast_to(text, shape).view(TextArray)
    array = _array(value, "constant")
    dtype = numpy_dtype(dtype)
    if dtype is not None:
        array = array.astype(dtype)
    if shape is not None:
        shape = tuple(int(n) for n in shape)
        if array.size == 1:
            array = np.full(shape, array.reshape(()), dtype=array.dtype)
        elif array.size == int(np.prod(shape)):
            array = array.reshape(shape)
        else:
            raise TypeError(f"constant: expected {int(np.prod(shape))} values for shape "
                            f"{shape}; received {array.size} values of shape {array.shape}")
    return Tensor(np.array(array, copy=True), dtype=array.dtype)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None) -> Tensor:
    """``value`` as a tensor: a tensor is returned as it is (it must have ``dtype``, when
    given); anything else as :func:`constant` makes it (``dtype_hint`` is used when the
    value converts to it without loss).

    >>> t = constant([1.0]); convert_to_tensor(t) is t
    True
    """
    dtype = numpy_dtype(dtype)
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtype:
            raise ValueError(f"convert_to_tensor: a tensor of dtype {value.dtype} cannot be "
                             f"converted to dtype {dtype}")
        return value
    if dtype is None and dtype_hint is not None:
        hinted = numpy_dtype(dtype_hint)
        array = _array(value, "convert_to_tensor")
        if np.can_cast(array.dtype, hinted, casting="same_kind"):
            return constant(array, hinted)
    return constant(value, dtype)


def _shape_and_dtype(shape, dtype, op):
    """zeros/ones arguments: tf's ``(shape, dtype)`` or glassnet's ``(*shape, dtype=)``."""
    if shape and creation.as_size(shape[0]) is None:
        if len(shape) > 2:
            raise TypeError(f"{op}: expected (shape, dtype); received {len(shape)} arguments")
        if len(shape) == 2:
            if dtype is not None:
                raise TypeError(f"{op}: dtype given twice")
            dtype = shape[1]
        dims = shape[0]
        shape = tuple(dims.data.tolist() if isinstance(dims, Tensor) else dims)
    return shape, numpy_dtype(dtype)


def zeros(*shape, dtype=None, name=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``zeros([2, 3])``, ``zeros((2, 3), tf.int32)`` or ``zeros(2, 3)``
    (float32 unless ``dtype``).

    >>> zeros([2], "int32").tolist(), zeros(1, 2).shape
    ([0, 0], (1, 2))
    """
    shape, dtype = _shape_and_dtype(shape, dtype, "zeros")
    return creation.zeros(*shape, dtype=dtype, requires_grad=requires_grad)


def ones(*shape, dtype=None, name=None, requires_grad=False) -> Tensor:
    """A tensor of ones: ``ones([2, 3])``, ``ones((2, 3), tf.int32)`` or ``ones(2, 3)``."""
    shape, dtype = _shape_and_dtype(shape, dtype, "ones")
    return creation.ones(*shape, dtype=dtype, requires_grad=requires_grad)


def zeros_like(input, dtype=None, name=None, requires_grad=False) -> Tensor:  # noqa: A002
    """Zeros of ``input``'s shape and (unless given) dtype."""
    return creation.zeros_like(_like(input), numpy_dtype(dtype), requires_grad)


def ones_like(input, dtype=None, name=None, requires_grad=False) -> Tensor:  # noqa: A002
    """Ones of ``input``'s shape and (unless given) dtype."""
    return creation.ones_like(_like(input), numpy_dtype(dtype), requires_grad)


def _like(value):
    if isinstance(value, Tensor):
        return value
    array = _array(value, "zeros_like")
    return Tensor(array, dtype=array.dtype)


def fill(dims, value, name=None) -> Tensor:
    """A tensor of shape ``dims`` filled with ``value`` (whose dtype it takes, tf's rules).

    >>> fill([2], 7).tolist(), fill([2], 7).dtype
    ([7, 7], dtype('int32'))
    """
    array = _array(value, "fill")
    if array.ndim:
        raise ValueError(f"fill: value must be a scalar; received shape {array.shape}")
    return constant(array, shape=tuple(np.asarray(dims, dtype=np.int64).reshape(-1)))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=None, name=None,
        requires_grad=False) -> Tensor:
    """The identity matrix (num_rows x num_columns), repeated over ``batch_shape``.

    >>> eye(2, batch_shape=[3]).shape
    (3, 2, 2)
    """
    matrix = creation.eye(num_rows, num_columns, dtype=numpy_dtype(dtype))
    if batch_shape is None:
        matrix.requires_grad = requires_grad
        return matrix
    shape = tuple(int(n) for n in batch_shape) + matrix.shape
    return Tensor(np.broadcast_to(matrix.data, shape).copy(), dtype=matrix.dtype,
                  requires_grad=requires_grad)


def range(start, limit=None, delta=1, dtype=None, name=None) -> Tensor:  # noqa: A001
    """[start, start + delta, ...) up to ``limit`` (``range(n)``: 0..n-1); int32 for
    integer arguments, float32 when any is a float, as tf.

    >>> range(3).tolist(), range(1, 2, 0.5).tolist()
    ([0, 1, 2], [1.0, 1.5])
    """
    if limit is None:
        start, limit = 0, start
    if delta == 0:
        raise ValueError("range: delta must not be 0")
    values = [_array(v, "range") for v in (start, limit, delta)]
    floats = [v.dtype for v in values if v.dtype.kind == "f"]
    # tf: the widest float argument's dtype, else the widest integer's (NumPy's promotion
    # would turn int32 with float32 into float64)
    inferred = np.result_type(*floats) if floats else np.result_type(*values)
    dtype = inferred if dtype is None else numpy_dtype(dtype)
    return Tensor(np.arange(*[v.item() for v in values]).astype(dtype), dtype=dtype)


def linspace(start, stop, num, name=None, axis=0) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included), float32;
    array endpoints give one sequence per element, along ``axis``.

    >>> linspace(0.0, 1.0, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    start, stop = _array(start, "linspace"), _array(stop, "linspace")
    dtype = np.result_type(start, stop, backend.floatx())
    return Tensor(np.linspace(start, stop, int(num), axis=axis).astype(dtype), dtype=dtype)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None,
            name=None) -> Tensor:
    """out[..., j, ...] = on_value where indices == j, else off_value, with the new axis of
    size ``depth`` at ``axis`` (None: last). Indices outside [0, depth) give an all-off row,
    as tf. float32 unless ``dtype`` (or the dtype of on_value / off_value).

    >>> one_hot([0, 2, -1], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    idx = _array(indices, "one_hot")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers; received dtype {idx.dtype}")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
        raise ValueError(f"one_hot: depth must be a non-negative integer; received {depth!r}")
    given = [_array(v, "one_hot") for v in (on_value, off_value) if v is not None]
    if dtype is None:
        dtype = given[0].dtype if given else backend.floatx()
    dtype = numpy_dtype(dtype)
    on = np.asarray(1 if on_value is None else _array(on_value, "one_hot"), dtype)
    off = np.asarray(0 if off_value is None else _array(off_value, "one_hot"), dtype)
    axis = -1 if axis is None else int(axis)
    if not -1 <= axis <= idx.ndim:
        raise ValueError(f"one_hot: axis must be in [-1, {idx.ndim}] for indices of rank "
                         f"{idx.ndim}; received {axis}")
    hot = idx[..., None] == np.arange(depth)
    out = np.where(hot, on, off)
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return Tensor(out, dtype=dtype)
