"""What layers share beyond their own attributes: the counter that names them, the trace of
calls a diagnosis records, and the weight budget a loader sets. The trace and the budget
are per thread (context variables): a server thread loading a model or diagnosing a batch
changes nothing for the others."""

from __future__ import annotations

import contextlib
import contextvars
import threading

_name_counts: dict = {}
_names_lock = threading.Lock()
# While a diagnosis runs (see Model), every layer call made by this thread appends
# (layer, outputs) to this thread's list; None (the hot path's one check) otherwise.
_call_trace = contextvars.ContextVar("glassnet_call_trace", default=None)
# While a saved model is built from its config: [elements still allowed] (see weight_budget).
_weight_budget = contextvars.ContextVar("glassnet_weight_budget", default=None)


class WeightBudgetError(ValueError):
    """A layer asked for more weight elements than :func:`weight_budget` allows."""


@contextlib.contextmanager
def weight_budget(max_elements):
    """Refuse, before allocating, any weight that would take the elements created in this
    block past ``max_elements``: a loader builds a model from a file's config within the
    sizes the file's weights declare, so a config saying ``units: 10**12`` costs nothing.
    """
    token = _weight_budget.set([int(max_elements)])
    try:
        yield
    finally:
        _weight_budget.reset(token)


def unique_name(base):
    """'dense', then 'dense_1', 'dense_2', ... as Keras names layers (also when several
    threads create layers at once)."""
    with _names_lock:
        n = _name_counts.get(base, 0)
        _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def reset_names():
    """Start layer names from scratch (Keras's ``clear_session``)."""
    with _names_lock:
        _name_counts.clear()


class trace_calls:  # noqa: N801 - used as a context manager
    """Record every layer call this thread makes inside the block:
    ``with trace_calls() as calls:``."""

    def __enter__(self):
        calls = []
        self._token = _call_trace.set(calls)
        return calls

    def __exit__(self, *exc_info):
        _call_trace.reset(self._token)
        return False


def tracing_calls() -> bool:
    """Whether a :class:`trace_calls` block is open in this thread."""
    return _call_trace.get() is not None
