"""Layers that merge a list of inputs: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot, and their functional forms (``add([a, b])`` is ``Add()([a, b])``).

The elementwise merges follow Keras 3's rules. The batch sizes must agree; the other axes
broadcast as NumPy's do, right-aligned (a size-1 axis stretches, and an input with fewer axes
gains size-1 axes right after the batch axis), so ``(None, 4)`` merges with ``(None, 3, 4)``.
The output's mask is the OR of the inputs' masks when every input has one (a step is kept
where any input keeps it), else None. Multiply, Maximum and Minimum also leave masked values
out of the result, as Keras does.

>>> import numpy as np
>>> Subtract()([np.ones((2, 3)), np.full((2, 3), 3.0)]).numpy()[0].tolist()
[-2.0, -2.0, -2.0]
"""

from __future__ import annotations

import functools

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.autograd.tensor import Tensor
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.masking import as_bool_array


def _check_list(layer, inputs, what="inputs"):
    """A merge takes a list (of tensors, or of shapes when building)."""
    items = inputs if isinstance(inputs, (list, tuple)) else None
    if what == "shapes" and items is not None and not all(
            isinstance(s, (list, tuple)) for s in items):
        items = None  # one shape (a tuple of ints), not a list of shapes
    if not items:
        received = "an empty list" if isinstance(inputs, (list, tuple)) and items is not None \
            else f"a single input {_describe(inputs)}"
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects a list of at least 1 "
                         f"input (a merge layer is called on a list of inputs); received "
                         f"{received}")


def _describe(value):
    shape = getattr(value, "shape", value)
    return f"of shape {tuple(shape)}" if isinstance(shape, (tuple, list)) else repr(value)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _shapes(inputs):
    return " and ".join(str(tuple(getattr(x, "shape", x))) for x in inputs)


def _given_masks(mask):
    masks = mask if isinstance(mask, (list, tuple)) else [mask]
    return [as_bool_array(m) for m in masks]


def _spread(mask, shape):
    """A (batch, time) mask spread over an input of ``shape`` (its feature axes)."""
    return np.broadcast_to(mask.reshape(mask.shape + (1,) * (len(shape) - mask.ndim)), shape)


class _Merge(Layer):
    """Shared rules of the elementwise merges: shapes, batch sizes, ranks, masks."""

    supports_masking = True
    _exact_inputs = None  # Subtract: exactly 2

    def build(self, input_shape):
        self._merged_shape(input_shape)

    def check_input(self, inputs):
        self._merged_shape([tuple(x.shape) for x in inputs])

    def compute_output_shape(self, input_shape):
        return self._merged_shape(input_shape)

    def _merged_shape(self, shapes):
        """The output shape of merging ``shapes``, or a ValueError naming the layer."""
        _check_list(self, shapes, "shapes")
        cls = type(self).__name__
        if self._exact_inputs is not None and len(shapes) != self._exact_inputs:
            raise ValueError(f"{cls} '{self.name}' should be called on exactly "
                             f"{self._exact_inputs} inputs; received {len(shapes)} inputs of "
                             f"shapes {_shapes(shapes)}")
        if any(len(s) == 0 for s in shapes):
            raise ValueError(f"{cls} '{self.name}' expects inputs with a batch axis; received "
                             f"shapes {_shapes(shapes)}")
        batch = {s[0] for s in shapes} - {None}
        if len(batch) > 1:
            raise ValueError(f"{cls} '{self.name}': cannot merge tensors with different batch "
                             f"sizes. Received tensors with shapes {_shapes(shapes)}")
        out = ()
        for shape in shapes:  # right-aligned broadcasting of the axes after the batch axis
            a, b = tuple(shape[1:]), out
            if len(a) < len(b):
                a, b = b, a
            b = (1,) * (len(a) - len(b)) + b
            merged = []
            for i, j in zip(a, b):
                if i is None or j is None:
                    merged.append(None)
                elif i == 1 or j == 1 or i == j:
                    merged.append(j if i == 1 else i)
                else:
                    raise ValueError(
                        f"{cls} '{self.name}': inputs have incompatible shapes. Received "
                        f"shapes {_shapes(shapes)} (merged inputs need the same shape, or "
                        f"shapes that broadcast: an axis of size 1, or fewer axes after the "
                        f"batch axis)")
            out = tuple(merged)
        return (batch.pop() if batch else None, *out)

    def call(self, inputs, mask=None):
        masks = _given_masks(mask) if mask is not None else [None] * len(inputs)
        rank = max(x.ndim for x in inputs)
        # A lower-rank input gains its missing axes right after the batch axis (Keras).
        expanded = [x if x.ndim == rank else
                    ops.reshape(x, (x.shape[0],) + (1,) * (rank - x.ndim) + tuple(x.shape[1:]))
                    for x in inputs]
        spread = [None if m is None or x.ndim != rank else _spread(m, tuple(x.shape))
                  for x, m in zip(inputs, masks)]
        return self._merge(expanded, spread)

    def _merge(self, inputs, masks):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = _given_masks(mask)
        if len(masks) != len(inputs) or any(m is None for m in masks):
            return None  # an input without a mask keeps every step: nothing to say (Keras)
        try:
            # (pairwise: a ufunc's reduce over a list would turn GPU masks into one host array)
            merged = functools.reduce(np.logical_or, np.broadcast_arrays(*masks))
        except ValueError:
            raise ValueError(f"{type(self).__name__} '{self.name}': the inputs' masks of "
                             f"shapes {_shapes(masks)} do not broadcast together") from None
        return Tensor._from_op(merged, None)


class Add(_Merge):
    """Elementwise sum of a list of inputs: y = x_1 + ... + x_n.

    >>> Add()([np.ones((1, 2)), np.ones((1, 2))]).numpy().tolist()
    [[2.0, 2.0]]
    """

    def _merge(self, inputs, masks):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """Difference of exactly two inputs: y = x_1 - x_2.

    >>> Subtract()([np.ones((1, 2)), np.ones((1, 2))]).numpy().tolist()
    [[0.0, 0.0]]
    """

    _exact_inputs = 2

    def _merge(self, inputs, masks):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Elementwise product: y = x_1 * ... * x_n. A masked value counts as 1, and where every
    input is masked the output is 0 (Keras 3).

    >>> Multiply()([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).numpy().tolist()
    [[6.0, 6.0]]
    """

    def _merge(self, inputs, masks):
        out = None
        for x, m in zip(inputs, masks):
            x = x if m is None else ops.where(m, x, 1.0)
            out = x if out is None else out * x
        if all(m is not None for m in masks):
            out = ops.where(np.logical_or.reduce(np.broadcast_arrays(*masks)), out, 0.0)
        return out


class Average(_Merge):
    """Elementwise mean: y = (x_1 + ... + x_n) / n.

    >>> Average()([np.zeros((1, 2)), np.full((1, 2), 4.0)]).numpy().tolist()
    [[2.0, 2.0]]
    """

    def _merge(self, inputs, masks):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / float(len(inputs))


class _Extremum(_Merge):
    """max or min pairwise, a masked value replaced by the other operand's (Keras 3), so it
    never wins. The gradient goes to the winner (split in halves on ties, as torch)."""

    def _merge(self, inputs, masks):
        out, out_mask = inputs[0], masks[0]
        for x, m in zip(inputs[1:], masks[1:]):
            if m is not None:
                x = ops.where(m, x, out)
            if out_mask is not None:
                out = ops.where(out_mask, out, x)
            out_mask = out_mask | m if out_mask is not None and m is not None else None
            out = self._pair(out, x)
        return out


class Maximum(_Extremum):
    """Elementwise maximum: y = max(x_1, ..., x_n).

    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy().tolist()
    [[3.0, 5.0]]
    """

    _pair = staticmethod(ops.maximum)


class Minimum(_Extremum):
    """Elementwise minimum: y = min(x_1, ..., x_n).

    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy().tolist()
    [[1.0, 2.0]]
    """

    _pair = staticmethod(ops.minimum)



class Dot(_Merge):
    """Dot product of two inputs sample by sample, along ``axes`` (one axis for both, or one
    per input; negative counts from the end; never the batch axis 0):

        y[b, i..., j...] = sum_k x1[b, i..., k] * x2[b, k, j...]

    the output holding x1's other axes then x2's (at least one axis after the batch).
    ``normalize=True`` first scales each sample to unit L2 norm along its axis, so the
    result is the cosine similarity. Masks are dropped (the product mixes steps).

    >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).numpy().tolist()
    [[11.0]]
    >>> Dot(axes=(1, 2))([np.ones((2, 3, 5)), np.ones((2, 4, 3))]).shape
    (2, 5, 4)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if _is_int(axes):
            axes = int(axes)
        elif not isinstance(axes, (list, tuple)):
            raise TypeError(f"Dot: invalid type for argument `axes`: it should be a list or an "
                            f"int. Received: axes={axes!r}")
        elif len(axes) != 2:
            raise ValueError(f"Dot: invalid format for argument `axes`: it should contain two "
                             f"elements. Received: axes={axes!r}")
        elif not all(_is_int(a) for a in axes):
            raise ValueError(f"Dot: invalid format for argument `axes`: list elements should "
                             f"be integers. Received: axes={axes!r}")
        self.axes = axes
        self.normalize = check.boolean(normalize, "normalize", "Dot")

    def _pair(self, shapes):
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        return tuple(int(a) % len(s) if a < 0 else int(a) for a, s in zip(axes, shapes))

    def _merged_shape(self, shapes):
        _check_list(self, shapes, "shapes")
        name = f"Dot '{self.name}'"
        if len(shapes) != 2:
            raise ValueError(f"{name} should be called on a list of 2 inputs; received "
                             f"{len(shapes)} inputs of shapes {_shapes(shapes)}")
        s1, s2 = (tuple(s) for s in shapes)
        if len(s1) < 2 or len(s2) < 2:
            raise ValueError(f"{name} needs inputs of rank >= 2 (a batch axis and a product "
                             f"axis); received shapes {_shapes(shapes)}")
        if None not in (s1[0], s2[0]) and s1[0] != s2[0]:
            raise ValueError(f"{name}: cannot merge tensors with different batch sizes. "
                             f"Received tensors with shapes {_shapes(shapes)}")
        a1, a2 = self._pair((s1, s2))
        if 0 in (a1, a2):
            raise ValueError(f"{name} cannot take the dot product over axis 0 (the batch "
                             f"axis); received axes={self.axes!r}")
        if a1 >= len(s1) or a2 >= len(s2):
            raise ValueError(f"{name}: axes={self.axes!r} is out of range for inputs of "
                             f"shapes {_shapes(shapes)}")
        if None not in (s1[a1], s2[a2]) and s1[a1] != s2[a2]:
            raise ValueError(f"{name}: incompatible input shapes: axis values {s1[a1]} (at "
                             f"axis {a1}) != {s2[a2]} (at axis {a2}). Full input shapes: "
                             f"{_shapes(shapes)}")
        batch = s1[0] if s1[0] is not None else s2[0]
        out = (batch, *(n for i, n in enumerate(s1[1:], 1) if i != a1),
               *(n for i, n in enumerate(s2[1:], 1) if i != a2))
        return out if len(out) > 1 else (batch, 1)

    def call(self, inputs, mask=None):
        x, y = inputs
        a1, a2 = self._pair((x.shape, y.shape))
        if self.normalize:  # x / max(||x||, 1e-7) along the product axis, as Keras
            x, y = ops.normalize(x, axis=a1, order=2), ops.normalize(y, axis=a2, order=2)
        x, y = ops.moveaxis(x, a1, -1), ops.moveaxis(y, a2, 1)  # (b, I..., k), (b, k, J...)
        batch, k = x.shape[0], x.shape[-1]
        rows, cols = tuple(x.shape[1:-1]), tuple(y.shape[2:])
        # One batched GEMM over the flattened other axes.
        out = ops.matmul(ops.reshape(x, (batch, int(np.prod(rows)), k)),
                         ops.reshape(y, (batch, k, int(np.prod(cols)))))
        return ops.reshape(out, (batch, *rows, *cols) if rows or cols else (batch, 1))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}

class Concatenate(Layer):
    """Joins a list of inputs along ``axis`` (default the last). Masks join as in Keras:
    along the features a step is kept where any input keeps it; along time they concatenate."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = check.integer(axis, "axis", "Concatenate")

    def build(self, input_shape):
        self._joined_shape(input_shape)

    def check_input(self, inputs):
        self._joined_shape([tuple(x.shape) for x in inputs])

    def _joined_shape(self, shapes):
        _check_list(self, shapes, "shapes")
        ndim = len(shapes[0])
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"Concatenate '{self.name}': axis {self.axis} is out of range for "
                             f"inputs with {ndim} dimensions; received shapes {_shapes(shapes)}")
        axis = self.axis % ndim
        for s in shapes[1:]:
            if len(s) != ndim or any(a != b and None not in (a, b) for i, (a, b) in
                                     enumerate(zip(s, shapes[0])) if i != axis):
                raise ValueError(
                    f"Concatenate '{self.name}' expected inputs whose shapes match except "
                    f"along axis {self.axis}, received shapes {_shapes(shapes)}")
        out = list(shapes[0])
        sizes = [s[axis] for s in shapes]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def call(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return self._joined_shape(input_shape)

    def compute_mask(self, inputs, mask=None):
        masks = _given_masks(mask)
        if all(m is None for m in masks):
            return None
        xp = backend.get_array_module(inputs[0].data)
        full = [xp.ones(tuple(x.shape), bool) if m is None else _spread(m, tuple(x.shape))
                for x, m in zip(inputs, masks)]  # each mask spread over its input's shape
        return Tensor._from_op(np.concatenate(full, axis=self.axis).any(axis=-1), None)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Keras's functional form: ``add([a, b])`` is ``Add()([a, b])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Keras's functional form: ``subtract([a, b])`` is ``Subtract()([a, b])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Keras's functional form: ``multiply([a, b])`` is ``Multiply()([a, b])``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Keras's functional form: ``average([a, b])`` is ``Average()([a, b])``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Keras's functional form: ``maximum([a, b])`` is ``Maximum()([a, b])``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Keras's functional form: ``minimum([a, b])`` is ``Minimum()([a, b])``."""
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Keras's functional form: ``dot([a, b], axes)`` is ``Dot(axes)([a, b])`` (here
    ``axes`` defaults to the last axis, as Keras's ``dot``)."""
    return Dot(axes=axes, **kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Keras's functional form: ``concatenate([a, b])`` is ``Concatenate(axis)([a, b])``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
