"""The masks of the attention layers, as bool arrays (True = may attend) of the array module
``xp`` of the scores (NumPy, or CuPy on a GPU), and the softmax that honours them.

Keras combines every source with a logical AND: the query's padding mask (B, Tq) read as
(B, Tq, 1), the value's and key's (B, Tv) read as (B, 1, Tv), the causal mask (1, Tq, Tv)
and the caller's ``attention_mask`` (B, Tq, Tv).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.nn.masking import as_bool_array


def causal_mask(query_length, key_length, xp=np):
    """(query_length, key_length), True where key j <= query i: the lower triangle aligned
    at the top left (Keras's and PyTorch's convention).

    >>> causal_mask(3, 3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    return xp.tri(query_length, key_length, dtype=bool)


def band_mask(query_length, key_length, window, xp=np):
    """(query_length, key_length), True where |i - j| < window (Keras's sliding window)."""
    i = xp.arange(query_length)[:, None]
    j = xp.arange(key_length)[None, :]
    return np.abs(i - j) < window


def padding_mask(mask, arg, layer, shape, xp=np):
    """A (batch, time) mask as a bool array of ``shape`` (of ``xp``), or a ValueError naming
    ``arg``."""
    array = on_module(as_bool_array(mask), xp)
    if array is None:
        return None
    if array.shape != tuple(shape):
        raise ValueError(f"{layer}: `{arg}` must have shape (batch, time) = {tuple(shape)}; "
                         f"received shape {array.shape}")
    return array


def on_module(array, xp):
    """``array`` (a mask or None) as an array of ``xp``: a mask given as a NumPy array is
    copied to the GPU the scores are on; on the CPU it is returned as it is."""
    if array is None or xp is np or backend.on_device(array):
        return array
    return xp.asarray(array)


def combine(*masks):
    """The logical AND of the masks that are not None (broadcasting), or None."""
    result = None
    for m in masks:
        if m is not None:
            result = m if result is None else np.logical_and(result, m)
    return result


def masked_softmax(scores, mask=None, axis=-1):
    """softmax(scores) over ``axis`` with masked entries left out and given weight 0; a row
    with every entry masked is all 0 (Keras's Softmax with a mask).

        p = softmax(where(mask, scores, -1e9)) * mask

    -1e9 rather than -inf keeps a fully masked row finite (0 after the multiplication)
    instead of 0/0.
    """
    if mask is None:
        return ops.softmax(scores, axis=axis)
    p = ops.softmax(ops.where(mask, scores, -1e9), axis=axis)
    return ops.where(mask, p, 0.0)
