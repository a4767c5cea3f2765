"""Keras 3's object serialization: the custom-objects registry and the ``{"module",
"class_name", "config", "registered_name"}`` dicts of ``keras.saving``.

A class is found by name only if it is built in, registered
(``@register_keras_serializable``), in an active ``custom_object_scope``, or passed as
``custom_objects``; nothing named by a config is imported, and code (a ``lambda``) is never
rebuilt from text.

>>> from glassnet import keras
>>> @keras.saving.register_keras_serializable(package="demo")
... class Scale(keras.layers.Layer):
...     def call(self, x):
...         return 2 * x
>>> keras.saving.get_registered_name(Scale)
'demo>Scale'
>>> keras.saving.serialize_keras_object(keras.losses.MeanSquaredError())["module"]
'keras.losses'
"""

from __future__ import annotations

import inspect
import threading
import types

import numpy as np

__all__ = ["CustomObjectScope", "all_custom_objects", "custom_object_scope", "deserialize_layer",
           "model_from_json", "serialize_layer",
           "deserialize_keras_object", "get_custom_objects", "get_registered_name",
           "get_registered_object", "register_keras_serializable", "serialize_keras_object",
           "deserialize_activation", "serialize_activation"]

_GLOBAL_CUSTOM_OBJECTS: dict = {}
_GLOBAL_CUSTOM_NAMES: dict = {}
_SCOPES = threading.local()  # each thread's stack of custom_object_scope dicts


def register_keras_serializable(package="Custom", name=None):
    """A decorator registering a class or function as ``"package>name"`` (``name`` defaults
    to its ``__name__``), so that loading finds it without ``custom_objects``.

    A class must have ``get_config``, as in Keras.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a string without "
                         f"'>'. Received: package={package!r}")

    def decorator(arg):
        class_name = name if name is not None else getattr(arg, "__name__", None)
        if not isinstance(class_name, str) or not class_name:
            raise ValueError(f"register_keras_serializable: cannot name {arg!r}; pass name=")
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() "
                             "method.")
        registered_name = f"{package}>{class_name}"
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_custom_objects() -> dict:
    """The global registry ``{registered name: object}`` (mutable, as Keras's: adding
    ``get_custom_objects()["MyLayer"] = MyLayer`` registers ``MyLayer``)."""
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj) -> str:
    """``"package>name"`` for a registered object, else its ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or in scope, or in ``custom_objects`` / ``module_objects``)
    under ``name``, or None."""
    for table in (custom_objects or {}, *_scope_stack()[::-1], _GLOBAL_CUSTOM_OBJECTS,
                  module_objects or {}):
        if name in table:
            return table[name]
    return None


def _scope_stack():
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` makes the names loadable inside
    the block (this thread only), as ``custom_objects`` would."""

    def __init__(self, *custom_objects):
        for objects in custom_objects:
            if not isinstance(objects, dict):
                raise TypeError(f"custom_object_scope: expected dicts of name -> object. "
                                f"Received: {type(objects).__name__}")
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects)

    def __enter__(self):
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope_stack().remove(self.custom_objects)


custom_object_scope = CustomObjectScope


def all_custom_objects(custom_objects=None) -> dict:
    """What ``load_model`` / ``model_from_config`` may build besides the built-in classes:
    registered objects (by ``"package>Name"`` and, unless that is a built-in's name, by
    ``Name``), those of the active scopes, then ``custom_objects`` (which wins)."""
    from glassnet.io.registry import builtin_classes

    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"custom_objects must be a dict of name -> class. Received: "
                        f"{type(custom_objects).__name__}")
    builtin = builtin_classes()
    table = {}
    for registered, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        table[registered] = obj
        short = getattr(obj, "__name__", registered.split(">")[-1])
        if short not in builtin:
            table.setdefault(short, obj)
    for scope in _scope_stack():
        table.update(scope)
    table.update(custom_objects or {})
    return table


# -- serializing ---------------------------------------------------------------------------

def _family(obj):
    """Keras's public module for a built-in glassnet object, or None."""
    from glassnet.losses.base import Loss
    from glassnet.metrics.base import Metric
    from glassnet.nn.initializers import Initializer
    from glassnet.nn.layer import Layer
    from glassnet.nn.regularizers import Regularizer
    from glassnet.optim.optimizer import Optimizer

    for kind, module in ((Layer, "keras.layers"), (Loss, "keras.losses"),
                         (Metric, "keras.metrics"), (Optimizer, "keras.optimizers"),
                         (Initializer, "keras.initializers"),
                         (Regularizer, "keras.regularizers")):
        if isinstance(obj, kind):
            return module
    return None


def serialize_keras_object(obj):
    """``obj`` as JSON-able data in Keras 3's format: plain values as they are, arrays as
    ``{"class_name": "__numpy__", ...}``, functions by name, objects with ``get_config`` as
    ``{"module", "class_name", "config", "registered_name"}`` (plus ``build_config`` for a
    built layer)."""
    from glassnet.nn.layer import Layer
    from glassnet.train import Model

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                      "dtype": obj.dtype.name}}
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.item()
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        raise TypeError("serialize_keras_object: a lambda is code, not data, and glassnet "
                        "never rebuilds code from a file; use a named function registered "
                        "with @keras.saving.register_keras_serializable()")
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return {"module": "builtins", "class_name": "function",
                "config": get_registered_name(obj), "registered_name": "function"}
    if isinstance(obj, Model):
        from glassnet.io.model_config import model_to_config

        config = model_to_config(obj)
        return {"module": "keras.src.models.functional" if obj._graph is not None
                and type(obj) is Model else obj.__class__.__module__,
                "class_name": config["class_name"], "config": config["config"],
                "registered_name": _GLOBAL_CUSTOM_NAMES.get(type(obj)),
                **{k: v for k, v in config.items() if k not in ("class_name", "config")}}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj).__name__}. To be "
                        f"serializable, a class must implement the `get_config()` method.")
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It "
                        f"returned: {config!r}")
    registered = _GLOBAL_CUSTOM_NAMES.get(type(obj))
    family = _family(obj) if type(obj).__module__.startswith("glassnet.") else None
    out = {"module": family if registered is None and family else
           (None if registered else type(obj).__module__),
           "class_name": type(obj).__name__,
           "config": {k: serialize_keras_object(v) for k, v in config.items()},
           "registered_name": registered}
    if isinstance(obj, Layer) and obj.built and getattr(obj, "_build_input_shape", None):
        out["build_config"] = {"input_shape": serialize_keras_object(obj._build_input_shape)}
    return out


# -- deserializing -------------------------------------------------------------------------

_FAMILIES = ("layers", "losses", "metrics", "optimizers", "initializers", "regularizers",
             "activations")


def _module_family(module):
    if not isinstance(module, str):
        return None
    for family in _FAMILIES:
        if f".{family}" in f".{module}" or module.endswith(family):
            return family
    if "models" in module or module == "keras":
        return "models"
    return None


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a ``serialize_keras_object`` config describes (Keras 3's dicts, or the
    older ``{"class_name", "config"}`` ones), built only from built-in, registered, scoped or
    ``custom_objects`` names; a string is looked up as a registered name, activation or loss.
    """
    from glassnet.io.keras_config import keras_layer_from_config

    custom = all_custom_objects(custom_objects)
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        return _by_name(config, custom)
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects, safe_mode) for c in config]
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object: expected a dict, list, string or number. "
                        f"Received: {type(config).__name__}")
    if "class_name" not in config or "config" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode)
                for k, v in config.items()}
    class_name, inner = config["class_name"], config["config"]
    if class_name == "__lambda__":
        raise ValueError("deserialize_keras_object: the config holds a lambda (Python "
                         "bytecode); glassnet never executes code from a config, safe_mode "
                         "or not. Register a named function instead.")
    if class_name in ("__numpy__", "__tensor__"):
        dtype = np.dtype(inner["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"deserialize_keras_object: arrays of dtype {dtype} are not read")
        return np.asarray(inner["value"], dtype=dtype)
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(v, custom_objects, safe_mode)
                     for v in inner["value"])
    if class_name == "function":
        return _by_name(inner, custom, config.get("module"))
    registered = config.get("registered_name")
    cls = custom.get(registered) if isinstance(registered, str) else None
    cls = cls or custom.get(class_name)
    family = _module_family(config.get("module"))
    if cls is None and family not in (None, "layers", "models"):
        return _builtin(family, class_name, inner)
    return keras_layer_from_config(config, custom)


def _by_name(name, custom, module=None):
    from glassnet import losses
    from glassnet.naming import lookup
    from glassnet.nn import activations

    if name in custom:
        return custom[name]
    if module is None or "activations" in str(module) or module == "builtins":
        if name in activations.ACTIVATIONS:
            return activations.ACTIVATIONS[name]
    if name in losses.FUNCTIONS:
        return losses.FUNCTIONS[name]
    return lookup(activations.ACTIVATIONS, name, "object (activation, loss or registered "
                  "name)")


def _builtin(family, class_name, inner):
    from glassnet import losses, metrics, optim
    from glassnet.io.keras_config import optimizer_config
    from glassnet.nn import initializers, regularizers

    if family == "optimizers":
        return optim.get({"class_name": class_name,
                          "config": optimizer_config(class_name, inner)})
    if family == "metrics":
        from glassnet.naming import lookup

        cls = lookup(metrics.METRICS, class_name, "metric")
        return cls.from_config(inner)
    if family == "activations":
        return _by_name(inner if isinstance(inner, str) else class_name, {})
    getter = {"losses": losses.get, "initializers": initializers.get,
              "regularizers": regularizers.get}[family]
    return getter({"class_name": class_name, "config": inner})


def serialize_layer(layer):
    """``keras.layers.serialize``: a layer's Keras 3 config dict."""
    from glassnet.nn.layer import Layer

    if not isinstance(layer, Layer):
        raise TypeError(f"layers.serialize: expected a Layer. Received: "
                        f"{type(layer).__name__}")
    return serialize_keras_object(layer)


def deserialize_layer(config, custom_objects=None):
    """``keras.layers.deserialize``: the layer a config describes (Keras 3's dict or the
    ``{"class_name", "config"}`` form)."""
    from glassnet.nn.layer import Layer

    if not isinstance(config, dict):
        raise ValueError(f"Could not parse Keras layer config: {config!r}")
    layer = deserialize_keras_object(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"layers.deserialize: the config describes a "
                         f"{type(layer).__name__}, not a layer")
    return layer


def model_from_json(json_string, custom_objects=None):
    """``keras.models.model_from_json``: the model ``model.to_json()`` described (or
    tf.keras's / Keras 3's JSON), parsed as strictly as a ``.keras`` file's config (bounded
    size and depth, no duplicate keys) and built from registered classes only."""
    from glassnet.io.archive import parse_json
    from glassnet.io.keras_config import keras_layer_from_config

    if isinstance(json_string, str):
        json_string = json_string.encode("utf-8")
    if not isinstance(json_string, (bytes, bytearray)):
        raise TypeError(f"model_from_json: expected a JSON string. Received: "
                        f"{type(json_string).__name__}")
    config = parse_json(bytes(json_string), "model_from_json", "the JSON string")
    return keras_layer_from_config(config, all_custom_objects(custom_objects))


def serialize_activation(fn):
    """``keras.activations.serialize``: a built-in's name, else Keras 3's function dict
    (``{"class_name": "function", "config": "package>name", ...}``)."""
    from glassnet.nn import activations

    name = activations.serialize(fn)
    return name if isinstance(name, str) else serialize_keras_object(fn)


def deserialize_activation(config, custom_objects=None):
    """``keras.activations.deserialize``: the function a name or a function dict names,
    among the built-ins, the registered functions and ``custom_objects``."""
    from glassnet.nn import activations

    if isinstance(config, str) and config in activations.ACTIVATIONS:
        return activations.ACTIVATIONS[config]
    fn = deserialize_keras_object(config, custom_objects)
    if not callable(fn):
        raise ValueError(f"Could not interpret activation function identifier: {config!r}")
    return fn
