"""The array module, the dtype policy, the random generator, and which kernel runs an op.

Every op finds its array module from its data (``xp = get_array_module(x)``), and its fast
kernel, if any, from the calling thread's context (:func:`kernel_for`), so nothing is
switched at import time. This is the only module that may import CuPy, and it does so only when
an array that lives on a GPU is handed to it.
"""

from __future__ import annotations

import contextlib
import contextvars

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


_kernels = contextvars.ContextVar("glassnet_kernels", default=None)


def kernel_for(op):
    """The ``Function`` class that runs the readable op ``op``: its fast kernel while the
    calling thread is inside a ``glassnet.kernels.training()`` or ``inference()`` block (which
    computes the same, faster), else ``op`` itself. The one place an op's fast path is chosen.

    >>> from glassnet.autograd.ops.arithmetic import Linear
    >>> kernel_for(Linear) is Linear
    True
    """
    table = _kernels.get()
    return op if table is None else table.get(op, op)


@contextlib.contextmanager
def using_kernels(table):
    """A block in which :func:`kernel_for` answers from ``table`` ({readable op: fast
    kernel}) for the calling thread (a context variable: other threads are not affected)."""
    token = _kernels.set(table)
    try:
        yield
    finally:
        _kernels.reset(token)
