"""``keras.ops`` core: conversion, shapes, slicing, scatter, and control flow.

Control flow (``cond``, ``while_loop``, ``fori_loop``, ``scan``, ``map``, ``switch``) runs as
plain Python, eagerly: glassnet records every op it runs, so a loop's gradient is the
gradient of the ops its iterations ran, as in Keras's NumPy and PyTorch backends.

>>> from glassnet.keras import ops
>>> ops.shape(ops.zeros((2, 3)))
(2, 3)
>>> ops.fori_loop(0, 3, lambda i, v: v + i, 10)
13
"""

from __future__ import annotations

import builtins

import numpy as np

from glassnet import backend
from glassnet.autograd import ops as _ops
from glassnet.autograd.tensor import Tensor

__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor", "dtype",
    "fori_loop", "is_tensor", "map", "saturate_cast", "scan", "scatter", "scatter_update",
    "shape", "slice", "slice_update", "stop_gradient", "switch", "unstack", "vectorized_map",
    "while_loop",
]


def _dtype_arg(dtype, op):
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: expected a dtype name such as 'float32'. "
                        f"Received: dtype={dtype!r}") from None


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """``x`` (array, list, number or tensor) as a glassnet ``Tensor``.

    Floating data becomes ``floatx()`` (float32) unless ``dtype`` says otherwise, as every
    glassnet tensor does (Keras keeps a NumPy float64 array float64); integer and bool data
    keep their dtype. A tensor is returned as is, or cast (differentiably) to ``dtype``.
    ``sparse``/``ragged`` are accepted for compatibility; glassnet tensors are dense.

    >>> convert_to_tensor([1.0, 2.0]).dtype
    dtype('float32')
    """
    if sparse or ragged:
        raise ValueError(f"convert_to_tensor: glassnet tensors are dense; sparse/ragged tensors "
                         f"are not supported. Received: sparse={sparse}, ragged={ragged}")
    dtype = _dtype_arg(dtype, "convert_to_tensor")
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else _ops.cast(x, dtype)
    try:
        array = np.asarray(x)
    except ValueError as err:
        raise ValueError(f"convert_to_tensor: cannot make an array of {type(x).__name__} "
                         f"{x!r}: {err}") from None
    if array.dtype == object:
        raise TypeError(f"convert_to_tensor: expected numbers, arrays or tensors. "
                        f"Received: x of type {type(x).__name__}")
    return Tensor(array, dtype=dtype)


def floating(x) -> Tensor:
    """``x`` as a tensor, integer and bool data cast to ``floatx()`` (for ops whose result is
    real-valued: Keras's ``mean`` or ``sqrt`` of integers is float32)."""
    x = convert_to_tensor(x)
    return x if x.dtype.kind == "f" else _ops.cast(x, backend.floatx())


def convert_to_numpy(x) -> np.ndarray:
    """The value of ``x`` as a NumPy array (a tensor's data, outside any graph)."""
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def is_tensor(x) -> bool:
    """True for a glassnet ``Tensor``."""
    return isinstance(x, Tensor)


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple of ints."""
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def dtype(x) -> str:
    """The dtype of ``x`` as Keras's standard name (``"float32"``, ``"int64"``, ``"bool"``)."""
    return str(convert_to_tensor(x).dtype)


def cast(x, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between floating dtypes)."""
    return _ops.cast(convert_to_tensor(x), _dtype_arg(dtype, "cast"))


def saturate_cast(x, dtype) -> Tensor:
    """``x`` clipped to the range of ``dtype``, then cast (no integer wrap-around)."""
    return _ops.saturate_cast(convert_to_tensor(x), _dtype_arg(dtype, "saturate_cast"))


def stop_gradient(variable) -> Tensor:
    """The value of ``variable`` as a tensor outside the graph: no gradient flows back."""
    return convert_to_tensor(variable).detach()


def _int_tuple(values, name, op):
    values = convert_to_numpy(values)
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be a sequence of integers. Received: {name}="
                        f"{values.tolist()!r}")
    return tuple(int(v) for v in values)


def slice(inputs, start_indices, shape) -> Tensor:  # noqa: A001 - Keras's name
    """The block of ``inputs`` of ``shape`` starting at ``start_indices`` (one per axis).

    >>> slice(np.arange(10.0).reshape(2, 5), (0, 1), (2, 2)).tolist()
    [[1.0, 2.0], [6.0, 7.0]]
    """
    x = convert_to_tensor(inputs)
    start = _int_tuple(start_indices, "start_indices", "slice")
    size = _int_tuple(shape, "shape", "slice")
    if len(start) != x.ndim or len(size) != x.ndim:
        raise ValueError(f"slice: start_indices and shape need one entry per axis of inputs of "
                         f"shape {x.shape}. Received: start_indices={start}, shape={size}")
    bad = [(s, n, d) for s, n, d in zip(start, size, x.shape) if s < 0 or n < 0 or s + n > d]
    if bad:
        raise ValueError(f"slice: the block start_indices={start}, shape={size} does not fit "
                         f"inputs of shape {x.shape}")
    return x[tuple(builtins.slice(s, s + n) for s, n in zip(start, size))]


def slice_update(inputs, start_indices, updates) -> Tensor:
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    return _ops.slice_update(convert_to_tensor(inputs), start_indices,
                             convert_to_tensor(updates))


def scatter(indices, values, shape) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (N x rank)."""
    return _ops.scatter(indices, convert_to_tensor(values), shape)


def scatter_update(inputs, indices, updates, reduction=None) -> Tensor:
    """``inputs`` with the entries at ``indices`` (N x k) set to ``updates``."""
    if reduction is not None:
        raise ValueError(f"scatter_update: only reduction=None (replace) is supported. "
                         f"Received: reduction={reduction!r}")
    return _ops.scatter_update(convert_to_tensor(inputs), indices, convert_to_tensor(updates))


def unstack(x, num=None, axis=0) -> list:
    """The slices of ``x`` along ``axis``, as a list."""
    return _ops.unstack(convert_to_tensor(x), num=num, axis=axis)


# -- control flow (eager Python) ----------------------------------------------------------


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``; only the chosen branch runs."""
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond: true_fn and false_fn must be callables taking no arguments")
    return true_fn() if bool(convert_to_numpy(pred)) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clamped to the valid range as in Keras."""
    if not branches:
        raise ValueError("switch: branches must hold at least one callable")
    i = int(np.clip(int(convert_to_numpy(index)), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most
    ``maximum_iterations`` times); ``loop_vars`` is a tuple/list, or one value."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    done = 0
    while (maximum_iterations is None or done < maximum_iterations) and bool(
            convert_to_numpy(cond(*state))):
        out = body(*state)
        state = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        done += 1
    return state if is_tuple else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns ``val``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _stack(ys):
    first = ys[0]
    if first is None:
        return None
    if isinstance(first, (tuple, list)):
        return type(first)(_stack([y[i] for y in ys]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack([y[k] for y in ys]) for k in first}
    return _ops.stack([convert_to_tensor(y) for y in ys])


def _leading(xs, op):
    leaves = xs if isinstance(xs, (tuple, list)) else [xs]
    leaves = [convert_to_tensor(x) for x in leaves]
    lengths = {int(x.shape[0]) if x.ndim else None for x in leaves}
    if len(lengths) != 1 or None in lengths:
        raise ValueError(f"{op}: every element of xs needs the same leading axis. Received "
                         f"shapes {[x.shape for x in leaves]}")
    return leaves, lengths.pop()


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns
    ``(final carry, ys stacked)``. With ``xs=None``, ``f`` gets ``None`` ``length`` times."""
    if xs is None:
        if length is None:
            raise ValueError("scan: give xs, or length when xs is None")
        n, pick = int(length), (lambda i: None)
    else:
        leaves, n = _leading(xs, "scan")
        if length is not None and int(length) != n:
            raise ValueError(f"scan: length={length} does not match xs's leading axis {n}")
        many = isinstance(xs, (tuple, list))

        def pick(i):
            return type(xs)(x[i] for x in leaves) if many else leaves[0][i]
    carry, ys = init, []
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        carry, y = f(carry, pick(i))
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, (_stack(ys) if ys else None)


def map(f, xs):  # noqa: A001 - Keras's name
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked."""
    leaves, n = _leading(xs, "map")
    many = isinstance(xs, (tuple, list))
    ys = [f(type(xs)(x[i] for x in leaves) if many else leaves[0][i]) for i in range(n)]
    return _stack(ys) if ys else None


def vectorized_map(function, elements):
    """``map(function, elements)``: eager, one call per slice (no vectorizing compiler)."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Prefix reduction with the associative ``f``: out[i] = f(out[i-1], elems[i]).

    Run sequentially over ``axis`` (glassnet has no parallel-prefix compiler); ``f`` gets and
    returns tensors of one slice's shape.
    """
    x = convert_to_tensor(elems)
    x = _ops.moveaxis(x, axis, 0) if axis != 0 else x
    order = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outs, acc = [], None
    for i in order:
        acc = x[i] if acc is None else f(acc, x[i])
        outs.append(acc)
    if reverse:
        outs.reverse()
    out = _ops.stack(outs)
    return _ops.moveaxis(out, 0, axis) if axis != 0 else out
