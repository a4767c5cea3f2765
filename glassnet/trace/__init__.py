"""``glassnet.trace``: one training step of a small network, every number written out.

>>> import numpy as np
>>> from glassnet import keras
>>> from glassnet.trace import trace
>>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="sigmoid"),
...                           keras.layers.Dense(1)])
>>> model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
>>> t = trace(model, np.array([[0.0, 1.0]]), np.array([[1.0]]))
>>> sorted(t.layers[0])[:3]
['W', 'a', 'activation']

The name is also the matrix trace op at the top level (``glassnet.trace(x)``, as
``torch.trace``): called, this package computes it, so both meanings hold whichever was
imported first. The tool loads on first use, keeping ``import glassnet`` light.

>>> import glassnet
>>> float(glassnet.trace(glassnet.eye(3)))
3.0
"""

import sys as _sys
import types as _types

from glassnet.autograd.ops import trace as _matrix_trace

__all__ = ["Trace", "trace"]


def trace(model, x, y, loss=None, optimizer=None, apply=True):
    """One training step of ``model`` on ``(x, y)``, recorded (see ``glassnet.trace.step``)."""
    from glassnet.trace.step import trace as step_trace

    return step_trace(model, x, y, loss=loss, optimizer=optimizer, apply=apply)


def __getattr__(name):
    if name == "Trace":
        from glassnet.trace.record import Trace

        return Trace
    raise AttributeError(f"module 'glassnet.trace' has no attribute '{name}'")


class _TraceModule(_types.ModuleType):
    def __call__(self, *args, **kwargs):  # glassnet.trace(x): the matrix trace
        return _matrix_trace(*args, **kwargs)


_sys.modules[__name__].__class__ = _TraceModule
