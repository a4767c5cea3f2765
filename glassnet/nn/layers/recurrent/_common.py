"""Helpers shared by the recurrent layers: nested states, calling a cell, slicing a sequence
into timesteps, and the configs of the layers a wrapper holds.

States are nested as Keras nests them: one tensor per state of a cell (``[h, c]`` for an
LSTM cell), a list per cell for stacked cells (``[[h1, c1], [h2]]``). The recurrence works on
the flat list of tensors and packs it back into that structure for each call of the cell.
"""

from __future__ import annotations

import inspect

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.nn.layer import Layer


def flatten(structure):
    """The tensors of a nested list of states, in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack(template, flat):
    """``flat`` (a list) nested as ``template``: the inverse of ``flatten``."""
    items = iter(flat)

    def rebuild(node):
        if isinstance(node, (list, tuple)):
            return [rebuild(n) for n in node]
        return next(items)

    return rebuild(template)


def flat_sizes(state_size):
    """The sizes of the states a cell's ``state_size`` describes (an int or nested lists)."""
    return [int(n) for n in flatten(state_size)]


def cell_output_size(cell):
    """The size of a cell's output: its ``output_size``, else its first state's size."""
    size = getattr(cell, "output_size", None)
    if size is None:
        size = flat_sizes(cell.state_size)[0]
    return int(size)


def check_cell(cell, owner):
    """A ValueError naming ``owner`` unless ``cell`` has a ``call`` and a ``state_size``."""
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"{owner}: argument `cell` should have a `call` method. "
                         f"Received: cell={cell!r}")
    if getattr(cell, "state_size", None) is None:
        raise ValueError(f"{owner}: the RNN cell should have a `state_size` attribute (single "
                         f"integer or list of integers, one integer per RNN state). "
                         f"Received: cell={cell!r}")
    sizes = cell.state_size
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
               for n in flatten(sizes)):
        raise ValueError(f"{owner}: `state_size` must be a positive integer or a list of "
                         f"positive integers. Received: state_size={sizes!r}")


def _states_argument(cell):
    """The name of the second parameter of ``cell.call`` (``states`` in Keras's guide)."""
    params = [p for p in inspect.signature(cell.call).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(params) < 2:
        raise TypeError(f"cell '{getattr(cell, 'name', cell)}': call(inputs, states) must take "
                        f"the states as its second argument")
    return params[1].name


def call_cell(cell, inputs, states, training):
    """``(output, new_states)`` of one step of any cell.

    The built-in cells are called straight (the loop already built them and checked the
    input); a user's Layer goes through ``__call__`` with the states by keyword (``Layer``
    takes one positional input); any other object with ``call`` is called as is.
    """
    from glassnet.nn.layers.recurrent.cell_base import RecurrentCell
    from glassnet.nn.layers.recurrent.stacked import StackedRNNCells

    if isinstance(cell, (RecurrentCell, StackedRNNCells)):
        return cell.call(inputs, states, training=training)
    if isinstance(cell, Layer):
        return cell(inputs, training=training, **{_states_argument(cell): states})
    return cell.call(inputs, states)


def unstack_time(x):
    """The timesteps ``x[:, t]`` of ``x`` (batch, time, ...), as differentiable slices.

    The sequence is halved recursively rather than sliced T times: a slice's gradient is an
    array of its parent's size, so T slices of the whole sequence would cost T full-size
    arrays in backprop (quadratic in T); halving costs about two per level, O(T log T).
    """
    length = x.shape[1]
    if length <= 4:
        return [x[:, t] for t in range(length)]
    mid = length // 2
    return unstack_time(x[:, :mid]) + unstack_time(x[:, mid:])


def as_tensor(value, dtype):
    """``value`` as a tensor of ``dtype`` (arrays become constants; tensors keep their graph)."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else value.astype(dtype)
    return Tensor._from_op(backend.asarray(value, dtype=dtype), None)


def zero_states(shape, dtype):
    """Zeros of ``shape`` as a constant tensor on the current device (an RNN makes its
    initial states under its input's device, so they are made where the sequence is)."""
    return Tensor._from_op(backend.xp_for().zeros(shape, dtype), None)


def incompatible_input(layer, shape, ndim):
    """Keras's words for an input of the wrong rank."""
    return ValueError(f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected '
                      f"ndim={ndim}, found ndim={len(shape)}. Full shape received: "
                      f"{tuple(shape)}")


# -- the configs of wrapped layers --------------------------------------------------------

def serialize_layer(layer):
    """``{"class_name", "config"}`` of a layer, as Keras nests a wrapped layer's config."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(config, owner, custom_objects=None, **overrides):
    """The layer a ``serialize_layer`` dict describes (a Layer passes through unchanged).

    Only glassnet's layers and the classes in ``custom_objects`` are made: a class name is
    looked up, never imported.
    """
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{owner}: expected a layer or a layer config "
                         f"({{'class_name': ..., 'config': ...}}). Received: {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _builtin_layers().get(name)
    if cls is None:
        raise ValueError(f"{owner}: unknown layer class '{name}'; for a class of your own pass "
                         f"custom_objects={{'{name}': YourClass}} to from_config")
    return from_config_with(cls, {**config.get("config", {}), **overrides}, custom_objects)


def from_config_with(cls, config, custom_objects):
    """``cls.from_config(config)``, passing ``custom_objects`` on when it takes them."""
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def copy_layer(layer, **overrides):
    """A fresh layer made from ``layer``'s config with ``overrides``; the classes of the
    layers inside it (a user's cell) are known by their objects, so any of them is rebuilt."""
    classes, stack = {}, [layer]
    while stack:
        sub = stack.pop()
        classes.setdefault(type(sub).__name__, type(sub))
        stack.extend(sub._sublayers())
        cell = getattr(sub, "cell", None)
        if isinstance(cell, Layer):
            stack.append(cell)
        stack.extend(c for c in getattr(sub, "cells", ()) if isinstance(c, Layer))
    return from_config_with(type(layer), {**layer.get_config(), **overrides}, classes)


def _builtin_layers():
    from glassnet.nn import layers as layers_module
    from glassnet.nn.layers import recurrent

    table = {}
    for module in (layers_module, recurrent):
        for key, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Layer):
                table.setdefault(key, value)
    return table
