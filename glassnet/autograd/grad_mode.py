"""Whether operations are recorded for backpropagation: ``no_grad`` and ``enable_grad``."""

from __future__ import annotations

import functools


class _GradMode:
    # A plain attribute read is the cheapest check an op can make on its hot path.
    enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded into the graph."""
    return _GradMode.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode and restores the previous one."""

    mode = True

    def __enter__(self):
        self._previous = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        _GradMode.enabled = self._previous
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
