"""Shape ops: reshape, transpose/permute, flatten, squeeze, unsqueeze, broadcast_to/expand,
concatenate, stack, split, pad (constant, reflect, symmetric, edge, wrap). They move elements
without changing them, so each backward moves the gradient back the same way."""

from __future__ import annotations

import builtins
import itertools

import numpy as np

from glassnet import backend
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
        self.inverse = tuple(np.argsort(axes).tolist())  # Python ints: any device takes them

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, gy):
        return np.transpose(gy, self.inverse)


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
        self.bounds = list(itertools.accumulate(x.shape[self.axis] for x in xs))[:-1]
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


def _source_positions(n, before, after, mode, xp=np):
    """For each position of an axis of size n padded by (before, after), the position of x it
    copies: q = p - before, folded back into [0, n) by the mode (np.pad's rules, including
    widths larger than the axis, where reflect and symmetric keep bouncing). An index array
    of the module ``xp``, on the device of the data it indexes."""
    q = xp.arange(-before, n + after)
    if mode == "edge":
        return np.clip(q, 0, n - 1)
    if mode == "wrap":
        return q % n
    if mode == "symmetric":  # period 2n: ... 1 0 | 0 1 ... n-1 | n-1 n-2 ...
        q = q % (2 * n)
        return np.where(q >= n, 2 * n - 1 - q, q)
    if n == 1:  # reflect about a single element: nothing to bounce between
        return np.zeros_like(q)
    period = 2 * (n - 1)  # reflect, period 2(n-1): ... 2 1 | 0 1 ... n-1 | n-2 ...
    q = q % period
    return np.where(q >= n, period - q, q)


class PadCopy(Function):
    """y = x padded with copies of its own elements ("reflect", "symmetric", "edge",
    "wrap"): along each axis y_p = x_{s(p)} with s from ``_source_positions``;
    dx_j = sum of gy_p over the p with s(p) = j, axis by axis (the padding is separable: one
    gather per axis, so its adjoint is one scatter-add per axis)."""

    def __init__(self, pad_width, mode):
        self.pad_width, self.mode = pad_width, mode

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.in_shape = x.shape
        # An axis padded by (0, 0) copies itself (positions 0..n-1): None, nothing to move.
        self.positions = [
            _source_positions(n, before, after, self.mode, xp) if before or after else None
            for (before, after), n in zip(self.pad_width, x.shape)
        ]
        y = x
        for axis, pos in enumerate(self.positions):
            if pos is not None:
                y = np.take(y, pos, axis=axis)
        return y

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        g = gy
        for axis, (pos, n) in enumerate(zip(self.positions, self.in_shape)):
            if pos is None:
                continue
            out = xp.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1:], dtype=gy.dtype)
            np.add.at(np.moveaxis(out, axis, 0), pos, np.moveaxis(g, axis, 0))
            g = out
        return g


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


_PAD_MODES = ("constant", "reflect", "symmetric", "edge", "wrap")


def _pad_widths(pad_width, ndim, shape):
    """``pad_width`` as NumPy takes it (an int, one (before, after) pair for every axis, or a
    pair per axis) as a tuple of ndim (before, after) int pairs."""
    widths = backend.asarray(pad_width.data if isinstance(pad_width, Tensor) else pad_width)
    if widths.size == 0 and widths.dtype.kind == "f":  # () pads a 0-d tensor: no floats in it
        widths = widths.astype(np.int64)
    if widths.dtype.kind not in "iu" or widths.ndim > 2:
        raise ValueError(
            f"pad: pad_width must be an integer, a (before, after) pair or one pair per axis; "
            f"received {pad_width!r}"
        )
    if ndim == 0:  # no axes to pad, as np.pad
        return ()
    try:
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        widths = None
    if widths is None or (widths < 0).any():
        raise ValueError(
            f"pad: pad_width must give a non-negative (before, after) pair for each of the "
            f"{ndim} axes of a tensor of shape {shape}; received {pad_width}"
        )
    return tuple(map(tuple, widths.tolist()))


def pad(x, pad_width, mode="constant", constant_values=0.0, *, value=None) -> Tensor:
    """x padded along each axis, as ``np.pad`` (``pad_width``: an int, a (before, after)
    pair for every axis, or one pair per axis), by ``mode``:

    - "constant": ``constant_values`` (``value=`` is an older name for it);
    - "reflect": mirrored about the edge element, not repeating it (``3 2 | 1 2 3 | 2 1``);
    - "symmetric": mirrored including the edge (``2 1 | 1 2 3 | 3 2``);
    - "edge": the edge element repeated (``1 1 | 1 2 3 | 3 3``);
    - "wrap": the other end continued (``2 3 | 1 2 3 | 1 2``).

    Gradient: the part of the gradient where x was, plus, for the copying modes, the
    gradient of every padded copy added back onto the element it copies.

    >>> pad([1.0, 2.0, 3.0], 2, mode="reflect").tolist()
    [3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]
    """
    x = constant(x)
    if isinstance(mode, (int, float, np.number)) and not isinstance(mode, bool):
        # the signature used to be pad(x, pad_width, value): a number here is that value
        mode, constant_values = "constant", mode
    if value is not None:
        constant_values = value
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}; received {mode!r}")
    widths = _pad_widths(pad_width, x.ndim, x.shape)
    if not widths:  # a 0-d tensor: nothing to pad
        return x
    if mode == "constant":
        return Pad(widths, 0.0 if constant_values is None else constant_values)(x)
    if constant_values not in (None, 0, 0.0):
        raise ValueError(f"pad: constant_values can only be set with mode='constant'; "
                         f"received mode={mode!r} and constant_values={constant_values!r}")
    for axis, ((before, after), n) in enumerate(zip(widths, x.shape)):
        if n == 0 and before + after > 0:
            raise ValueError(f"pad: mode {mode!r} copies elements of x, but axis {axis} of "
                             f"shape {x.shape} is empty")
    return PadCopy(widths, mode)(x)
