"""Layers that merge several inputs: Add, Concatenate."""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.tensor import Tensor
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.masking import as_bool_array


def _check_list(layer, inputs):
    if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects a list of at least 2 "
                         f"inputs; received {type(inputs).__name__}")


def _shapes(inputs):
    return " and ".join(str(tuple(x.shape)) for x in inputs)


def _given_masks(mask):
    masks = mask if isinstance(mask, (list, tuple)) else [mask]
    return [as_bool_array(m) for m in masks]


class Add(Layer):
    """Elementwise sum of a list of inputs of one shape. A step is kept (mask True) where
    every input's mask keeps it."""

    supports_masking = True

    def build(self, input_shape):
        _check_list(self, input_shape)

    def check_input(self, inputs):
        _check_list(self, inputs)
        if any(tuple(x.shape) != tuple(inputs[0].shape) for x in inputs[1:]):
            raise ValueError(f"Add '{self.name}' expected inputs of the same shape, received "
                             f"shapes {_shapes(inputs)}")

    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def compute_mask(self, inputs, mask=None):
        masks = [m for m in _given_masks(mask) if m is not None]
        return Tensor._from_op(np.logical_and.reduce(masks), None) if masks else None


class Concatenate(Layer):
    """Joins a list of inputs along ``axis`` (default the last). Masks join as in Keras:
    along the features a step is kept where any input keeps it; along time they concatenate."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = check.integer(axis, "axis", "Concatenate")

    def build(self, input_shape):
        _check_list(self, input_shape)

    def check_input(self, inputs):
        _check_list(self, inputs)
        ndim = inputs[0].ndim
        axis = self.axis % ndim
        for x in inputs[1:]:
            if x.ndim != ndim or any(a != b for i, (a, b) in
                                     enumerate(zip(x.shape, inputs[0].shape)) if i != axis):
                raise ValueError(
                    f"Concatenate '{self.name}' expected inputs whose shapes match except "
                    f"along axis {self.axis}, received shapes {_shapes(inputs)}")

    def call(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape[0])
        axis = self.axis % len(shape)
        sizes = [s[axis] for s in input_shape]
        shape[axis] = None if None in sizes else sum(sizes)
        return tuple(shape)

    def compute_mask(self, inputs, mask=None):
        masks = _given_masks(mask)
        if all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):  # each mask spread over its input's shape
            shape = tuple(x.shape)
            full.append(np.ones(shape, bool) if m is None else
                        np.broadcast_to(m.reshape(m.shape + (1,) * (len(shape) - m.ndim)),
                                        shape))
        return Tensor._from_op(np.concatenate(full, axis=self.axis).any(axis=-1), None)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Keras's functional form: ``add([a, b])`` is ``Add()([a, b])``."""
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Keras's functional form: ``concatenate([a, b])`` is ``Concatenate(axis)([a, b])``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
