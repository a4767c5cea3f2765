"""Whether operations are recorded for backpropagation: ``no_grad`` and ``enable_grad``.

The mode is per thread, as in PyTorch: a server thread running ``predict`` under ``no_grad``
leaves every other thread's mode alone. A new thread starts with gradients enabled.
"""

from __future__ import annotations

import functools
import threading


class _GradMode(threading.local):
    # A class attribute is each thread's starting value; an attribute read is the cheapest
    # check an op can make on its hot path.
    enabled = True


_grad_mode = _GradMode()


class _Recording(threading.local):
    """The GradientTapes recording in this thread, innermost last: each op made while one
    is open is noted by it (``Function.__call__``), so a tape sees only its own ops."""

    def __init__(self):
        self.tapes = []


_recording = _Recording()


def is_grad_enabled() -> bool:
    """True when new operations are recorded into the graph by this thread."""
    return _grad_mode.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode and restores the previous one."""

    mode = True

    def __init__(self):
        self._previous = threading.local()

    def __enter__(self):
        # The previous modes are a stack per thread, so one instance may be entered by
        # several threads or re-entered (a decorated function calling itself).
        self._previous.__dict__.setdefault("stack", []).append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        _grad_mode.enabled = self._previous.stack.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_SetGradMode):  # noqa: N801 - named as in PyTorch
    """Do not record operations: for inference and for updating parameters in place.

    >>> import glassnet
    >>> w = glassnet.ones(3, requires_grad=True)
    >>> with glassnet.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_SetGradMode):  # noqa: N801 - named as in PyTorch
    """Record operations again inside a ``no_grad`` block."""

    mode = True
