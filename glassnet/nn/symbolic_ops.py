"""Ops on ``keras.Input`` tensors: ``keras.Model(x, ops.sum(ops.square(x), -1))``.

Keras 3 lets a functional model call ``keras.ops`` between layers, and tf.keras 2 lets it
call TensorFlow functions (``tf.reduce_mean(z)``, ``tf.nn.relu(h)``): ``keras.ops``, the
top-level ``tf.*`` functions and ``tf.nn`` are wrapped by ``symbolic_aware``. An op called
on a symbolic tensor (anywhere in its arguments, or one level down in a list of them) becomes
a ``Lambda`` layer named after the op, whose function replays the op on the real tensors;
the model's graph then runs it like any layer. As with every ``Lambda``, such a model trains and
predicts but is refused by ``save`` (a function is code, not data).

>>> from glassnet import keras
>>> from glassnet.keras import ops
>>> x = keras.Input((3,))
>>> model = keras.Model(x, ops.sum(ops.square(x), axis=-1))
>>> model.predict(ops.ones((2, 3)), verbose=0).tolist()
[3.0, 3.0]
"""

from __future__ import annotations

import functools

from glassnet.nn.context import unique_name
from glassnet.nn.layers.core import Lambda
from glassnet.nn.symbolic import SymbolicTensor

# Ops that take functions or return Python values: they keep their own meaning.
_KEEP = {"cond", "while_loop", "fori_loop", "scan", "map", "vectorized_map", "switch",
         "associative_scan", "convert_to_numpy", "is_tensor", "dtype", "result_type"}


def _symbolic_places(args, kwargs):
    """Where the symbolic tensors are: ("arg", i), ("arg", i, j), ("kw", name)."""
    places = []
    for i, a in enumerate(args):
        if isinstance(a, SymbolicTensor):
            places.append(("arg", i))
        elif isinstance(a, (list, tuple)):
            places.extend(("arg", i, j) for j, b in enumerate(a)
                          if isinstance(b, SymbolicTensor))
    places.extend(("kw", k) for k, v in kwargs.items() if isinstance(v, SymbolicTensor))
    return places


def _get(args, kwargs, place):
    if place[0] == "kw":
        return kwargs[place[1]]
    return args[place[1]] if len(place) == 2 else args[place[1]][place[2]]


def _replaced(args, kwargs, places, values):
    args, kwargs = list(args), dict(kwargs)
    for place, value in zip(places, values):
        if place[0] == "kw":
            kwargs[place[1]] = value
        elif len(place) == 2:
            args[place[1]] = value
        else:
            inner = list(args[place[1]])
            inner[place[2]] = value
            args[place[1]] = type(args[place[1]])(inner)
    return args, kwargs


_WRAPPED = {}  # one wrapper per function, so that aliases stay one object (max_pool2d)


def symbolic_aware(fn):
    """``fn`` as is on values; on symbolic tensors, a Lambda layer that calls ``fn``.
    ``inspect.unwrap`` gives ``fn`` back."""
    if fn.__name__ in _KEEP or hasattr(fn, "__wrapped__") and fn in _WRAPPED.values():
        return fn
    if fn in _WRAPPED:
        return _WRAPPED[fn]

    @functools.wraps(fn)
    def op(*args, **kwargs):
        places = _symbolic_places(args, kwargs)
        if not places:
            return fn(*args, **kwargs)
        if fn.__name__ == "shape" and not kwargs and len(args) == 1:
            return args[0].shape  # Keras: the shape, None for the batch
        symbolic = [_get(args, kwargs, p) for p in places]

        def replay(inputs):
            values = inputs if len(places) > 1 else [inputs]
            real_args, real_kwargs = _replaced(args, kwargs, places, values)
            return fn(*real_args, **real_kwargs)

        layer = Lambda(replay, name=unique_name(fn.__name__))
        return layer(symbolic if len(places) > 1 else symbolic[0])

    _WRAPPED[fn] = op
    return op


def wrap_namespace(namespace, names):
    """Make each function ``names`` of ``namespace`` (a module's globals) symbolic-aware."""
    for name in names:
        value = namespace.get(name)
        if callable(value) and not isinstance(value, type) and hasattr(value, "__name__"):
            namespace[name] = symbolic_aware(value)
