"""The trick: a parameter's gradient written into one buffer kept across training steps.

Replaces the fresh array that ``Linear.backward`` and ``Conv2D.backward`` (in
``autograd/ops``) return for a weight gradient. A large fresh array costs page faults on
every step; while a training loop owns ``.grad`` between steps (``fit``: it reads the
gradient, steps the optimizer and sets ``.grad`` back to None), the fast kernels write the
gradient into the same array each step instead. The values are those of the fresh array.

The buffers belong to one :func:`reusing` block of one thread (a context variable), so a
second thread predicting with the same model, or calling backward of its own, never writes
into them.

>>> import numpy as np, glassnet
>>> w = glassnet.nn.Parameter(np.zeros(3))
>>> with reusing([w]):
...     out_for(w) is out_for(w)
True
>>> out_for(w) is None
True
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np

_buffers = contextvars.ContextVar("glassnet_grad_buffers", default=None)


class _Buffers:
    def __init__(self, params):
        self.params = {id(p): p for p in params}
        self.arrays = {}

    def get(self, tensor):
        if self.params.get(id(tensor)) is not tensor:
            return None
        array = self.arrays.get(id(tensor))
        if array is None or array.shape != tensor.data.shape or array.dtype != tensor.dtype:
            array = self.arrays[id(tensor)] = np.empty_like(tensor.data)
        return array


@contextlib.contextmanager
def reusing(params):
    """A block in which the gradients of ``params`` may be written into reused buffers
    (the caller owns ``.grad`` between steps and sets it to None before each backward)."""
    token = _buffers.set(_Buffers(params))
    try:
        yield
    finally:
        _buffers.reset(token)


def out_for(tensor):
    """The array an op may write ``tensor``'s gradient into, or None (allocate a new one).

    Only inside a :func:`reusing` block naming ``tensor``, and only while no gradient is
    pending: a second use of the parameter in the same backward pass finds ``.grad`` set and
    gets a fresh array.
    """
    buffers = _buffers.get()
    if buffers is None or getattr(tensor, "grad", None) is not None:
        return None
    return buffers.get(tensor)
