"""The arguments of ``MultiHeadAttention``, checked and put in one form: the constructor's
``output_shape`` and ``attention_axes``, the attention axes once the input's rank is known, the
shapes ``build`` receives, the list form of a call and the padding masks inputs carry.

>>> check_output_shape(8), check_attention_axes(-2)
((8,), (-2,))
>>> resolve_axes((-2,), 4, "mha"), resolve_axes(None, 4, "mha")
((2,), (1, 2))
"""

from __future__ import annotations

import numpy as np

_NAME = "MultiHeadAttention"


def mask_of(tensor, explicit):
    """The padding mask a call uses for ``tensor``: the one given, else the ``_keras_mask``
    the tensor carries (``Embedding(mask_zero=True)``), else None."""
    if explicit is not None:
        return explicit
    return getattr(tensor, "_keras_mask", None)


def unpack_inputs(inputs, key, attention_mask):
    """The list form of a call, ``[query, value, key, attention_mask]`` (the last two
    optional), as (query, value, key, attention_mask); ``key`` and ``attention_mask`` given
    as arguments stand where the list has none."""
    if not 2 <= len(inputs) <= 4:
        raise ValueError(f"{_NAME}: a list of inputs must be [query, value], [query, value, "
                         f"key] or [query, value, key, attention_mask]; received "
                         f"{len(inputs)} tensors")
    query, value, *rest = inputs
    if rest:
        key = rest[0]
    if len(rest) > 1:
        attention_mask = rest[1]
    return query, value, key, attention_mask


def split_shapes(input_shape):
    """``build``'s shapes ``[query_shape, value_shape, key_shape, ...]`` as (query_shape,
    value_shape, key_shape), the key's defaulting to the value's."""
    shapes = list(input_shape) if input_shape and isinstance(input_shape[0], (list, tuple)) \
        else None
    if shapes is None or not 2 <= len(shapes) <= 4:
        raise ValueError(f"{_NAME}: expected the shapes [query_shape, value_shape] or "
                         f"[query_shape, value_shape, key_shape]; received {input_shape!r}")
    query_shape, value_shape = tuple(shapes[0]), tuple(shapes[1])
    key_shape = tuple(shapes[2]) if len(shapes) > 2 else value_shape
    return query_shape, value_shape, key_shape


def check_output_shape(value):
    """``output_shape`` as a tuple of positive ints (an int is a one-axis shape), or None."""
    if value is None:
        return None
    shape = (value,) if isinstance(value, (int, np.integer)) else value
    if not isinstance(shape, (tuple, list)) or not shape or any(
            not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0
            for n in shape):
        raise ValueError(f"{_NAME}: Invalid `output_shape`: {value!r}. When specified, the "
                         f"`output_shape` should be a positive int or a tuple of them.")
    return tuple(int(n) for n in shape)


def check_attention_axes(value):
    """``attention_axes`` as a tuple of ints (an int is one axis), or None; their range is
    checked by :func:`resolve_axes` once the input's rank is known."""
    if value is None:
        return None
    axes = (value,) if isinstance(value, (int, np.integer)) else value
    if not isinstance(axes, (tuple, list)) or not axes or any(
            not isinstance(a, (int, np.integer)) or isinstance(a, bool) for a in axes):
        raise ValueError(f"{_NAME}: `attention_axes` must be an int, list, or tuple of ints. "
                         f"Received: attention_axes={value!r}")
    return tuple(int(a) for a in axes)


def resolve_axes(axes, rank, name):
    """The attention axes as positions 1 .. rank - 2 of the input (negative ones counted
    from the end, as Keras)."""
    if axes is None:
        return tuple(range(1, rank - 1))
    resolved = tuple(a if a >= 0 else rank + a for a in axes)
    if any(not 1 <= a <= rank - 2 for a in resolved) or len(set(resolved)) != len(resolved):
        raise ValueError(f"{_NAME} '{name}': `attention_axes` must be distinct axes between "
                         f"the batch and the features of an input of rank {rank}, i.e. in "
                         f"1 .. {rank - 2}; received attention_axes={axes}")
    return resolved
