"""Masks: which timesteps of a padded batch of sequences are real.

A mask is a bool tensor of shape (batch, time), True where a step holds data. ``Embedding(...,
mask_zero=True)`` and ``Masking`` make one and attach it to their output as ``_keras_mask``
(Keras's attribute); each following layer that ``supports_masking`` passes it on, recurrent
layers skip the masked steps, pooling and attention leave them out, and ``fit``'s losses and
metrics give them no weight.

>>> import numpy as np
>>> as_bool_array(np.array([[1, 0]]))
array([[ True, False]])
"""

from __future__ import annotations

from glassnet import backend
from glassnet.autograd.tensor import Tensor

__all__ = ["as_bool_array", "get_mask", "set_mask"]


def as_bool_array(mask):
    """``mask`` (a Tensor, an array, a nested list or None) as a bool array (NumPy, or on the
    GPU for a mask there) or None."""
    if mask is None:
        return None
    return backend.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool,
                                                                                  copy=False)


def get_mask(x):
    """The mask attached to ``x`` (a tensor, or a list of them: a list of masks), or None."""
    if isinstance(x, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in x]
        return None if all(m is None for m in masks) else masks
    return getattr(x, "_keras_mask", None)


def set_mask(outputs, mask):
    """Attach ``mask`` (one mask, or a list matching a list of outputs) to ``outputs``, as
    Keras does: a tensor that already carries a mask keeps it."""
    if mask is None:
        return
    if isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(outputs)
        for out, m in zip(outputs, masks):
            set_mask(out, m)
        return
    if isinstance(outputs, Tensor) and getattr(outputs, "_keras_mask", None) is None:
        if not isinstance(mask, Tensor):
            mask = Tensor._from_op(backend.asarray(mask, dtype=bool), None)
        outputs._keras_mask = mask
