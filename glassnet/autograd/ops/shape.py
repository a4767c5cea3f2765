"""Shape ops: reshape, transpose/permute, flatten, squeeze, unsqueeze, broadcast_to/expand,
concatenate, stack, split, pad. They move elements without changing them, so each backward
moves the gradient back the same way."""

from __future__ import annotations

import builtins

import numpy as np

from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.elementwise import cast
from glassnet.autograd.tensor import Function, Tensor


class Reshape(Function):
    """y = x with a new shape (same elements, row-major order);  dx = gy reshaped back."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)

    def input_error(self, inputs, err):
        (x,) = inputs
        return ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
            f"into shape {self.shape}"
        )


class Transpose(Function):
    """y = x with axes permuted;  dx = gy with the inverse permutation."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, gy):
        return np.transpose(gy, np.argsort(self.axes))


class BroadcastTo(Function):
    """y = x repeated along broadcast axes;  dx = gy summed back over them."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return np.broadcast_to(x, self.shape)

    def backward(self, gy):
        return unbroadcast(gy, self.in_shape)

    def input_error(self, inputs, err):
        return ValueError(f"broadcast_to: cannot broadcast shape {inputs[0].shape} to {self.shape}")


class Concatenate(Function):
    """y = inputs joined along ``axis``;  each input's gradient is its slice of gy."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.bounds = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        parts = np.split(gy, self.bounds, axis=self.axis)
        return tuple(p if need else None for p, need in zip(parts, self.needs_input_grad))

    def input_error(self, inputs, err):
        shapes = ", ".join(str(t.shape) for t in inputs)
        return ValueError(
            f"concatenate: tensors must have the same number of dimensions and the same shape "
            f"except along axis {self.axis}; received shapes {shapes}"
        )


class Stack(Function):
    """y = inputs stacked along a new ``axis``;  each input's gradient is its slice of gy."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, gy):
        parts = np.moveaxis(gy, self.axis, 0)
        return tuple(parts[i] if need else None for i, need in enumerate(self.needs_input_grad))

    def input_error(self, inputs, err):
        shapes = ", ".join(str(t.shape) for t in inputs)
        return ValueError(f"stack: tensors must all have the same shape; received {shapes}")


class Pad(Function):
    """y = x surrounded by a constant;  dx = the part of gy where x was."""

    def __init__(self, pad_width, value):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        self.inner = tuple(
            slice(before, before + n) for (before, _), n in zip(self.pad_width, x.shape)
        )
        return np.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        return gy[self.inner]


def _shape_arg(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(n) for n in shape)


def reshape(x, shape) -> Tensor:
    """x with a new shape; one entry may be -1 (inferred)."""
    return Reshape(_shape_arg(shape))(constant(x))


def transpose(x, axes=None) -> Tensor:
    """Permute the axes (None: reverse them, as ``.T``)."""
    x = constant(x)
    if axes is None:
        axes = tuple(range(x.ndim))[::-1]
    axes = normalize_axis(axes, x.ndim, "transpose")
    if len(axes) != x.ndim:
        raise ValueError(
            f"transpose: axes {axes} must name each of the {x.ndim} axes of a tensor of "
            f"shape {x.shape} exactly once"
        )
    return Transpose(axes)(x)


permute = transpose


def flatten(x, start_axis=0, end_axis=-1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` (inclusive) into one."""
    x = constant(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    (start,) = normalize_axis(start_axis, x.ndim, "flatten")
    (end,) = normalize_axis(end_axis, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis}")
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of size 1 (all of them, or the ones named)."""
    x = constant(x)
    axes = normalize_axis(axis, x.ndim, "squeeze")
    if axis is None:
        axes = tuple(a for a in axes if x.shape[a] == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: cannot remove axis {a} of a tensor of shape {x.shape}: "
                f"its size is {x.shape[a]}, not 1"
            )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def unsqueeze(x, axis) -> Tensor:
    """Insert an axis of size 1 at position ``axis`` (NumPy's expand_dims)."""
    x = constant(x)
    (axis,) = normalize_axis(axis, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


expand_dims = unsqueeze


def broadcast_to(x, shape) -> Tensor:
    """x repeated along new or size-1 axes to ``shape``; -1 keeps a size (PyTorch's expand)."""
    x = constant(x)
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    shape = tuple(
        x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape)
    )
    return BroadcastTo(shape)(x)


expand = broadcast_to


def _tensors(tensors, op):
    tensors = [constant(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    dtype = np.result_type(*[t.data.dtype for t in tensors])
    return [t if t.data.dtype == dtype else cast(t, dtype) for t in tensors]


def concatenate(tensors, axis=0) -> Tensor:
    """Join tensors along an existing axis.

    >>> import glassnet
    >>> glassnet.concatenate([glassnet.ones(2, 1), glassnet.zeros(2, 2)], axis=1).shape
    (2, 3)
    """
    tensors = _tensors(tensors, "concatenate")
    if tensors[0].ndim == 0:
        raise ValueError("concatenate: 0-d tensors have no axis to join along; use stack")
    (axis,) = normalize_axis(axis, tensors[0].ndim, "concatenate")
    return Concatenate(axis)(*tensors)


concat = concatenate


def stack(tensors, axis=0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    tensors = _tensors(tensors, "stack")
    (axis,) = normalize_axis(axis, tensors[0].ndim + 1, "stack")
    return Stack(axis)(*tensors)


def split(x, indices_or_sections, axis=0) -> list:
    """Split into equal sections (an int) or at the given indices, as ``np.split``.

    Each part is an indexing op, so the gradient flows back through every part used.
    """
    x = constant(x)
    if x.ndim == 0:
        raise ValueError("split: a 0-d tensor has no axis to split")
    (axis,) = normalize_axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(
                f"split: axis {axis} of size {n} cannot be split into {sections} equal sections"
            )
        bounds = list(range(0, n + 1, n // sections))
    else:
        bounds = [0, *(builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections), n]
    lead = (slice(None),) * axis
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def pad(x, pad_width, value=0.0) -> Tensor:
    """Surround x with ``value``; ``pad_width`` as NumPy: an int, a (before, after) pair for
    every axis, or one pair per axis."""
    x = constant(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2)) \
        if np.ndim(pad_width) < 2 else np.asarray(pad_width, dtype=np.int64)
    if widths.shape != (x.ndim, 2) or (widths < 0).any():
        raise ValueError(
            f"pad: pad_width must give a non-negative (before, after) pair for each of the "
            f"{x.ndim} axes of a tensor of shape {x.shape}; received {pad_width}"
        )
    return Pad(tuple(map(tuple, widths.tolist())), value)(x)
