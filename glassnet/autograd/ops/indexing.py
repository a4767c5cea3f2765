"""Indexing: ``x[key]`` with ints, slices, ``None``, ``...``, integer arrays and boolean masks."""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Function, Tensor


class GetItem(Function):
    """y = x[key];  dx = zeros of x's shape with gy added at the indexed positions.

    An integer array may name one position several times (``x[[0, 0, 1]]``); each occurrence
    contributes, so the backward must *add* (``np.add.at``), not assign, for such keys.
    """

    def __init__(self, key):
        self.key = key
        self.repeats_possible = any(
            (isinstance(k, np.ndarray) or backend.on_device(k)) and k.dtype.kind in "iu"
            for k in key
        )

    def forward(self, x):
        self.in_shape, self.in_dtype = x.shape, x.dtype
        return backend.asarray(x[self.key])

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=self.in_dtype)
        if self.repeats_possible:
            xp.add.at(gx, self.key, gy)
        else:
            gx[self.key] = gy
        return gx


def _key_part(k):
    """One entry of a key; a list, tuple, tensor or array of indices becomes one index array
    (inside a key, ``x[:, (0, 0)]`` indexes as ``x[:, [0, 0]]``, in NumPy and PyTorch alike)."""
    if isinstance(k, Tensor):
        k = k.data
    if isinstance(k, (list, tuple, np.ndarray)) or backend.on_device(k):
        k = backend.asarray(k)
        if k.size == 0 and k.dtype.kind == "f":  # [] holds no indices, not floats
            k = k.astype(np.intp)
        if k.dtype.kind not in "iub":
            raise TypeError(
                f"getitem: index arrays must hold integers or booleans; received dtype {k.dtype}"
            )
    return k


def getitem(x, key) -> Tensor:
    """``x[key]`` as a differentiable op.

    >>> import glassnet
    >>> x = glassnet.arange(4.0, requires_grad=True)
    >>> x[[0, 0, 3]].sum().backward(); x.grad.tolist()
    [2.0, 0.0, 0.0, 1.0]
    """
    key = tuple(_key_part(k) for k in key) if isinstance(key, tuple) else (_key_part(key),)
    try:
        return GetItem(key)(x)
    except IndexError as err:
        raise IndexError(
            f"getitem: index {key if len(key) > 1 else key[0]!r} does not fit a tensor of "
            f"shape {x.shape}: {err}"
        ) from None
