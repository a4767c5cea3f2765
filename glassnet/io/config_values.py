"""How values travel in a saved config: what ``get_config`` returns made JSON-able (numbers,
names, NumPy values, a user's functions by name; anything else refused as code), the
tensors a layer call reads written as Keras 3 writes them, and both read back."""

from __future__ import annotations

import types

import numpy as np

from glassnet.io.serialization import all_custom_objects, get_registered_name


def jsonable(value, where, argument=None):
    if isinstance(value, dict):
        return {str(k): jsonable(v, where, argument or k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, where, argument) for v in value]
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":  # Constant(array)
        return {"class_name": "__numpy__",
                "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, types.FunctionType) and value.__name__ != "<lambda>":
        # a function of the user's (an activation, an initializer): saved by its name, as
        # Keras 3 does; loading finds it only among registered objects and custom_objects
        return {"class_name": "function", "config": get_registered_name(value)}
    held = f"its argument '{argument}' holds" if argument else "it holds"
    raise TypeError(
        f"cannot save {where}: {held} {value!r}, which is code rather than data. Only "
        f"configurations made of names and numbers can be saved safely; replace a Lambda "
        f"layer or a custom function by a small registered Layer subclass "
        f"(passed back through custom_objects when loading)")


def encode_tensors(value, tensor_ref):
    """A call argument with each symbolic tensor written as Keras 3 writes one in a node:
    ``{"class_name": "__keras_tensor__", "config": {shape, dtype, keras_history}}``."""
    from glassnet.nn.symbolic import SymbolicTensor

    if isinstance(value, SymbolicTensor):
        name, index = tensor_ref[id(value)]
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype.name,
                           "keras_history": [name, index, 0]}}
    if isinstance(value, (list, tuple)):
        return [encode_tensors(v, tensor_ref) for v in value]
    if isinstance(value, dict):
        return {k: encode_tensors(v, tensor_ref) for k, v in value.items()}
    return value


def is_tensor_entry(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def tensor_history(value, where):
    """(layer name, call index) of an encoded tensor, checked."""
    config = value.get("config")
    history = config.get("keras_history") if isinstance(config, dict) else None
    if not (isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)
            and type(history[1]) is int and history[2] == 0):
        raise ValueError(f"config.json: {where} holds the tensor {value!r}; expected "
                         f"keras_history [layer name, call index, 0]")
    return history[0], history[1]


def tensor_entries(value, found=None):
    """The encoded tensors (``{"class_name": "__keras_tensor__", ...}``) inside ``value``
    (nested lists and dicts), in order: what a node of a saved graph reads."""
    found = [] if found is None else found
    if is_tensor_entry(value):
        found.append(value)
    elif isinstance(value, (list, dict)):
        for v in value.values() if isinstance(value, dict) else value:
            tensor_entries(v, found)
    return found


def map_tensor_entries(value, fn):
    """``value`` with ``fn(entry)`` in place of each encoded tensor inside it."""
    if is_tensor_entry(value):
        return fn(value)
    if isinstance(value, list):
        return [map_tensor_entries(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: map_tensor_entries(v, fn) for k, v in value.items()}
    return value


def decode_values(value, custom_objects, where):
    """A config with the values ``_jsonable`` tagged made again: NumPy arrays (their size
    bounded as a weight's), and functions looked up by name among the registered objects and
    ``custom_objects`` (never imported)."""
    if isinstance(value, list):
        return [decode_values(v, custom_objects, where) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get("class_name")
    if tag == "__numpy__" and set(value) == {"class_name", "config"}:
        inner = value["config"]  # its size is bounded by the JSON's
        try:
            if np.dtype(str(inner["dtype"])).kind not in "biuf":
                raise TypeError
            return np.asarray(inner["value"], dtype=inner["dtype"])
        except (TypeError, ValueError, KeyError):
            raise ValueError(f"the layer '{where}' holds the array {str(value)[:200]}; "
                             f"expected a rectangular numeric value and its dtype") from None
    if tag == "function" and set(value) == {"class_name", "config"}:
        name = value["config"]
        found = all_custom_objects(custom_objects)
        fn = found.get(name) if isinstance(name, str) else None
        if fn is None and isinstance(name, str):
            fn = found.get(name.split(">")[-1])
        if not callable(fn):
            raise ValueError(f"the layer '{where}' uses the function {name!r}, which is not "
                             f"registered (keras.saving.register_keras_serializable) nor in "
                             f"custom_objects; nothing from the file is imported or executed")
        return fn
    return {k: decode_values(v, custom_objects, where) for k, v in value.items()}
