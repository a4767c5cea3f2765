"""Making tensors: ``tensor`` (copies its data) and the creators zeros, ones, full, arange,
linspace, randn, rand, eye. Random creators draw from the generator that ``glassnet.seed`` fixes."""

from __future__ import annotations

import operator

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor


def as_size(n):
    """``n`` as a size: an int, a NumPy integer or a 0-d integer tensor; else None."""
    if isinstance(n, (bool, np.bool_)):
        return None
    try:
        return operator.index(n)
    except TypeError:
        return None


def _shape(shape):
    if len(shape) == 1 and as_size(shape[0]) is None:
        shape = tuple(shape[0])
    sizes = tuple(as_size(n) for n in shape)
    if any(n is None or n < 0 for n in sizes):
        raise ValueError(f"expected a shape of non-negative integers. Received: {shape}")
    return sizes


def _float_dtype(dtype):
    return backend.floatx() if dtype is None else np.dtype(dtype)


def _make(data, requires_grad):
    return Tensor(data, dtype=data.dtype, requires_grad=requires_grad)


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (floats become float32 unless ``dtype``).

    >>> tensor([[1, 2], [3, 4]]).dtype
    dtype('int64')
    >>> tensor([0.5, 1.5], requires_grad=True)
    tensor([0.5, 1.5], requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    return Tensor(xp.array(data, copy=True), dtype=dtype, requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _make(np.zeros(_shape(shape), dtype=_float_dtype(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _make(np.ones(_shape(shape), dtype=_float_dtype(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    shape = _shape((shape,) if isinstance(shape, (int, np.integer)) else (shape,))
    return _make(np.full(shape, fill_value, dtype=_float_dtype(dtype)), requires_grad)


def _like_dtype(t, dtype):
    if dtype is not None:
        return np.dtype(dtype)
    return t.dtype if isinstance(t, Tensor) else Tensor(np.asarray(t)).dtype


def _like_module(t):
    return backend.get_array_module(t.data if isinstance(t, Tensor) else t)


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    """Zeros of ``t``'s shape and (unless given) dtype."""
    return _make(_like_module(t).zeros(np.shape(t), dtype=_like_dtype(t, dtype)), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    """Ones of ``t``'s shape and (unless given) dtype."""
    return _make(_like_module(t).ones(np.shape(t), dtype=_like_dtype(t, dtype)), requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Evenly spaced values in [start, stop) (``arange(n)``: [0, n)): integers (int64) for
    integer arguments, float32 when any argument is a float; ``step=None`` means 1.

    >>> arange(3).tolist(), arange(0, 1, 0.25).tolist()
    ([0, 1, 2], [0.0, 0.25, 0.5, 0.75])
    """
    if step is None:
        step = 1
    if step == 0:
        raise ValueError("arange: step must not be 0")
    data = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def linspace(start, stop, num=50, endpoint=True, dtype=None, requires_grad=False) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless
    ``endpoint=False``): start + i * (stop - start) / (num - 1 if endpoint else num); float32
    unless ``dtype``.

    >>> linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative integer; received num={num!r}")
    # computed in float64, then cast, so float32 results are the correctly rounded values
    data = np.linspace(start, stop, int(num), endpoint=endpoint, dtype=np.float64)
    dtype = _float_dtype(dtype)
    data = np.floor(data).astype(dtype) if dtype.kind in "iu" else data.astype(dtype)
    return _make(data, requires_grad)


def randn(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Samples of the standard normal distribution."""
    dtype = _float_dtype(dtype)
    return _make(backend.generator().standard_normal(_shape(shape), dtype=dtype), requires_grad)


def rand(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    dtype = _float_dtype(dtype)
    return _make(backend.generator().random(_shape(shape), dtype=dtype), requires_grad)


def eye(n, m=None, k=0, dtype=None, requires_grad=False) -> Tensor:
    """The n x m matrix (m defaults to n) with ones on diagonal ``k`` (0: the main one,
    > 0 above it, < 0 below) and zeros elsewhere.

    >>> eye(2, 3, k=1).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    for name, value in (("n", n), ("m", m), ("k", k)):
        if value is None and name == "m":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
                name != "k" and value < 0):
            raise ValueError(f"eye: {name} must be a{' non-negative' if name != 'k' else 'n'} "
                             f"integer; received {name}={value!r}")
    return _make(np.eye(n, m, k, dtype=_float_dtype(dtype)), requires_grad)
