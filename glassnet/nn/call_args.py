"""The arguments of a layer call beyond the first: ``layer(a, b)`` for ``call(self, a, b)``.

Keras 3 binds a call's arguments to ``call``'s signature. The first argument is the layer's
``inputs`` (a tensor or a list of them); further positional arguments and keyword arguments
may be tensors too. This module holds the small rules around them, so ``Layer`` stays a
readable life cycle:

- ``bind_positional``: extra positional values in call order; those that land on
  ``training`` or ``mask`` become those keywords (``layer(x, True)`` is ``training=True``);
- ``shapes_dict``: ``{"<arg>_shape": shape}`` of every tensor argument, in call order;
- ``target_shapes``: what ``build`` (or ``compute_output_shape``) receives: the first
  argument's shape when it takes one argument, else the shapes matched by name
  (``build(self, a_shape, b_shape)``), with Keras's error for a name that matches nothing.

>>> class Pair:
...     def call(self, a, b, training=None): ...
>>> bind_positional(Pair().call, "Pair", (1.0, True), None, {})
((1.0,), True, {})
"""

from __future__ import annotations

import inspect

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.symbolic import SymbolicTensor

_KEYWORD_ONLY = ("training", "mask")


def call_signature(call):
    """(names of ``call``'s positional parameters after the first, whether it takes *args,
    names of all its parameters)."""
    params = list(inspect.signature(call).parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    return positional[1:], varargs, [p.name for p in params]


def bind_positional(call, layer_name, args, training, kwargs):
    """``(args, training, kwargs)`` with the positional values that fall on ``training`` or
    ``mask`` (or any parameter after them) moved to keywords, as Python would bind them."""
    names, varargs, _ = call_signature(call)
    if len(args) > len(names) and not varargs:
        raise TypeError(f"{layer_name}.call() takes {len(names) + 1} positional argument(s) "
                        f"but {len(args) + 1} were given")
    kept = []
    for i, value in enumerate(args):
        name = names[i] if i < len(names) else None
        if name is None or (name not in _KEYWORD_ONLY and len(kept) == i):
            kept.append(value)
            continue
        if name == "training":
            if training is not None:
                raise TypeError(f"{layer_name}.call() got multiple values for argument "
                                f"'training'")
            training = value
            continue
        if name in kwargs:
            raise TypeError(f"{layer_name}.call() got multiple values for argument '{name}'")
        kwargs[name] = value
    return tuple(kept), training, kwargs


def is_tensor_like(value):
    return isinstance(value, (Tensor, SymbolicTensor, np.ndarray))


def is_tensor_argument(value):
    """A tensor or array, or a non-empty list of them (Keras's nested tensor argument)."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(is_tensor_like(v) or v is None for v in value) and \
            any(is_tensor_like(v) for v in value)
    return is_tensor_like(value)


def has_symbolic(value):
    if isinstance(value, SymbolicTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(has_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(has_symbolic(v) for v in value.values())
    return False


def shape_of(value):
    if isinstance(value, (list, tuple)):
        return [None if v is None else shape_of(v) for v in value]
    return tuple(value.shape)


def argument_names(call, n_positional):
    """The names of ``call``'s first ``1 + n_positional`` positional parameters (``arg<i>``
    for values that reach ``*args``)."""
    names, _, _ = call_signature(call)
    first = list(inspect.signature(call).parameters)[0]
    names = [first, *names]
    return [names[i] if i < len(names) else f"arg{i}" for i in range(1 + n_positional)]


def shapes_dict(call, inputs, args, kwargs):
    """``{"<name>_shape": shape}`` for every tensor argument of the call, in call order
    (masks left out, as Keras)."""
    names = argument_names(call, len(args))
    out = {f"{names[0]}_shape": shape_of(inputs)}
    for name, value in zip(names[1:], args):
        if is_tensor_argument(value):
            out[f"{name}_shape"] = shape_of(value)
    for name, value in kwargs.items():
        if name != "mask" and not name.endswith("_mask") and is_tensor_argument(value):
            out[f"{name}_shape"] = shape_of(value)
    return out


def target_shapes(target, shapes, call, class_name):
    """The keyword arguments for ``target`` (a bound ``build`` or ``compute_output_shape``):
    ``{param: first shape}`` for a one-argument method, else the shapes matched by name."""
    params = [p for p in inspect.signature(target).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if len(params) <= 1:
        first = next(iter(shapes.values()), None)
        return {params[0].name: first} if params else {}
    _, _, call_names = call_signature(call)
    method = target.__name__
    matched = {}
    for p in params:
        preamble = (f"For a `{method}()` method with more than one argument, all arguments "
                    f"should have a `_shape` suffix and match an argument from `call()`. E.g. "
                    f"`{method}(self, foo_shape, bar_shape)` ")
        if not p.name.endswith("_shape"):
            raise ValueError(f"{preamble} For layer '{class_name}', Received `{method}()` "
                             f"argument `{p.name}`, which does not end in `_shape`.")
        if p.name[:-len("_shape")] not in call_names:
            raise ValueError(f"{preamble} For layer '{class_name}', received `{method}()` "
                             f"argument `{p.name}`, but `call()` does not have argument "
                             f"`{p.name[:-len('_shape')]}`.")
        if p.name in shapes:
            matched[p.name] = shapes[p.name]
    return matched


def populate_masks(call_params, inputs, args, kwargs, names, get_mask):
    """Keras's rule for several tensor arguments: ``<arg>_mask`` (when ``call`` takes it and
    it was not given) is the mask attached to that argument."""
    values = dict(zip(names, (inputs, *args)))
    values.update(kwargs)
    for name, value in values.items():
        key = f"{name}_mask"
        if key in call_params and kwargs.get(key) is None and is_tensor_argument(value):
            mask = get_mask(value)
            if mask is not None:
                kwargs[key] = mask
    return kwargs
