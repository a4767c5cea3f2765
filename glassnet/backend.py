"""The array module, the dtype policy and the random generator.

Every op finds its array module from its data (``xp = get_array_module(x)``), so nothing is
switched at import time. This is the only module that may import CuPy, and it does so only when
an array that lives on a GPU is handed to it.
"""

from __future__ import annotations

import ctypes
import sys

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


_freed_memory_kept = False


def keep_freed_memory() -> bool:
    """Ask the C allocator to keep freed memory for reuse (glibc; elsewhere a no-op).

    A training step frees and allocates the same multi-megabyte arrays (activations and
    their gradients) every step. By default glibc hands such blocks back to the operating
    system and takes them again, and every page of them faults on first touch: measured
    2,900 page faults and 40% of a CNN step at batch 32. With the mmap threshold at its
    maximum (32 MB) and trimming off, freed blocks are reused as PyTorch's and TensorFlow's
    caching allocators reuse theirs; the process keeps its peak memory instead of returning
    it. ``fit`` calls this once per process. Returns whether the allocator accepted it.
    """
    global _freed_memory_kept
    if _freed_memory_kept:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    accepted = bool(mallopt(m_mmap_threshold, 32 * 1024 * 1024)) and bool(
        mallopt(m_trim_threshold, 1 << 30))
    _freed_memory_kept = accepted
    return accepted
