"""The array module, the dtype policy and the random generator.

Every op finds its array module from its data (``xp = get_array_module(x)``), so nothing is
switched at import time. This is the only module that may import CuPy, and it does so only when
an array that lives on a GPU is handed to it.
"""

from __future__ import annotations

import numpy as np

_FLOATX = np.dtype(np.float32)
_generator = np.random.default_rng()


def get_array_module(*arrays):
    """Return the array module (``numpy``, or ``cupy`` for GPU arrays) that owns ``arrays``."""
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            import cupy  # only reached for arrays that already are CuPy arrays

            return cupy
    return np


def floatx() -> np.dtype:
    """The default floating dtype of new tensors and parameters (float32)."""
    return _FLOATX


def set_floatx(dtype) -> None:
    """Set the default floating dtype: ``"float32"`` (the default) or ``"float64"``."""
    global _FLOATX
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"set_floatx: expected 'float32' or 'float64'. Received: dtype={dtype}")
    _FLOATX = dtype


def seed(n: int) -> None:
    """Seed every random generator glassnet draws from (creators, initializers, dropout).

    >>> import glassnet
    >>> glassnet.seed(0); a = glassnet.randn(2)
    >>> glassnet.seed(0); b = glassnet.randn(2)
    >>> bool((a.numpy() == b.numpy()).all())
    True
    """
    global _generator
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"seed: expected a non-negative integer. Received: n={n!r}")
    _generator = np.random.default_rng(int(n))


def generator() -> np.random.Generator:
    """The generator seeded by :func:`seed`; draw from it, never from ``np.random`` directly."""
    return _generator
