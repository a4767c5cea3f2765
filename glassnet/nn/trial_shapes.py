"""Output shapes found by running a layer on zeros: the default ``compute_output_shape``.

A symbolic shape has unknown sizes (None): the batch becomes 1, any other unknown size a
small length, and sizes of the output that change with that length are unknown again.

>>> concrete((None, None, 3), length=2)
(1, 2, 3)
"""

from __future__ import annotations

import numpy as np

from glassnet.nn.symbolic import SymbolicTensor


def concrete(shape, length=1):
    """``shape`` with a batch of 1 for an unknown batch and ``length`` for other unknowns."""
    if shape and isinstance(shape[0], (tuple, list)):
        return [concrete(s, length) for s in shape]
    return tuple((1 if i == 0 else length) if n is None else n for i, n in enumerate(shape))


def unknown_lengths(shape):
    if shape and isinstance(shape[0], (tuple, list)):
        return any(unknown_lengths(s) for s in shape)
    return any(n is None for n in shape[1:])


def zeros_for(value, length):
    """``value`` with each symbolic tensor in it replaced by zeros of its shape (a batch of 1,
    other unknown sizes ``length``)."""
    if isinstance(value, SymbolicTensor):
        return np.zeros(concrete(value.shape, length), value.dtype)
    if isinstance(value, (list, tuple)):
        return [zeros_for(v, length) for v in value]
    if isinstance(value, dict):
        return {k: zeros_for(v, length) for k, v in value.items()}
    return value


def symbolic_shapes(value):
    """The shapes of the symbolic tensors in ``value``, as a (nested) list."""
    if isinstance(value, SymbolicTensor):
        return value.shape
    if isinstance(value, (list, tuple)):
        return [s for s in (symbolic_shapes(v) for v in value) if s is not None]
    if isinstance(value, dict):
        return symbolic_shapes(list(value.values()))
    return None


def zeros_like_shape(shape, dtype):
    if isinstance(shape, list):  # several inputs, or a layer's nested states
        return [zeros_like_shape(s, dtype) for s in shape]
    return np.zeros(shape, dtype)


def batch_unknown(shape):
    while shape and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return bool(shape) and shape[0] is None


def restore_none(input_shape, out):
    if isinstance(out, (list, tuple)):  # several outputs (a layer's states)
        return [restore_none(input_shape, o) for o in out]
    shape = tuple(out.shape)
    return (None, *shape[1:]) if batch_unknown(input_shape) and shape else shape

