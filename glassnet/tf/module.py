"""``tf.Module``: a container whose ``variables`` are found by walking its attributes.

TensorFlow's guides build models from it ("Basic training loops"): Variables assigned in
``__init__`` (directly, or inside lists, tuples and dicts, or inside sub-modules) are what
``trainable_variables`` returns, in the order the attributes were set. A Keras layer held as
an attribute counts with its weights.

>>> import glassnet as tf
>>> class Linear(tf.Module):
...     def __init__(self):
...         super().__init__()
...         self.w = tf.Variable(2.0)
...         self.b = tf.Variable(0.5, trainable=False)
...     def __call__(self, x):
...         return self.w * x + self.b
>>> m = Linear()
>>> [v.numpy().item() for v in m.trainable_variables], len(m.variables), m.name
([2.0], 2, 'linear')
"""

from __future__ import annotations

import contextlib

from glassnet import backend
from glassnet.autograd.variable import Variable
from glassnet.naming import snake_case

__all__ = ["Module", "device", "name_scope"]


def _is_layer(value):
    # duck-typed: the layers live above this package
    return hasattr(value, "weights") and hasattr(value, "trainable_weights") and \
        not isinstance(value, Module)


class Module:
    """Base class for objects that own Variables (``tf.Module``)."""

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Module: `name` must be a string. Received: name={name!r}")
        self._name = name or snake_case(type(self).__name__)

    @property
    def name(self):
        return getattr(self, "_name", None) or snake_case(type(self).__name__)

    @property
    def name_scope(self):
        return name_scope(self.name)

    def _walk(self, want_variables):
        found, seen = [], {id(self)}
        stack = [v for k, v in reversed(list(vars(self).items())) if k != "_name"]
        while stack:
            value = stack.pop()
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, Variable):
                if want_variables:
                    found.append(value)
            elif isinstance(value, Module):
                if not want_variables:
                    found.append(value)
                stack.extend(reversed(list(vars(value).values())))
            elif _is_layer(value):
                if want_variables:
                    found.extend(w for w in value.weights if id(w) not in seen)
                    seen.update(id(w) for w in value.weights)
                else:
                    found.append(value)
            elif isinstance(value, dict):
                stack.extend(reversed(list(value.values())))
            elif isinstance(value, (list, tuple)):
                stack.extend(reversed(value))
        return found

    @property
    def variables(self):
        """Every Variable reachable from this module's attributes."""
        return tuple(self._walk(True))

    @property
    def trainable_variables(self):
        return tuple(v for v in self._walk(True) if v.trainable)

    @property
    def non_trainable_variables(self):
        return tuple(v for v in self._walk(True) if not v.trainable)

    @property
    def submodules(self):
        """The modules (and layers) reachable from this module's attributes."""
        return tuple(self._walk(False))

    @classmethod
    def with_name_scope(cls, method):
        """A decorator TensorFlow uses to name ops; names nothing here (eager)."""
        return method


class name_scope:  # noqa: N801 - TensorFlow's name
    """``tf.name_scope(name)``: a block that would prefix op names in a graph; glassnet runs
    eagerly and names no ops, so the block only carries its ``name``."""

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"name_scope: `name` must be a string. Received: {name!r}")
        self.name = name

    def __enter__(self):
        return self.name

    def __exit__(self, *exc):
        return False


def device(name):
    """``tf.device("/GPU:0")``: a block whose new tensors and weights are placed on that
    device (:func:`glassnet.device`). As TensorFlow's soft placement, a GPU asked for on a
    machine without one means the CPU; ``None`` changes nothing."""
    if name is None:
        return contextlib.nullcontext()
    target = backend.Device.parse(name)
    if target.kind == "gpu" and not backend.gpu_available():
        target = backend.CPU
    return backend.device(target)
