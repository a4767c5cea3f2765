"""Configs as real Keras writes them (tf.keras 2 and Keras 3: ``model.to_json()``, the
``model_config`` of an ``.h5`` file, ``serialize_keras_object``), made into glassnet layers
and models.

Keras's configs carry arguments glassnet's layers do not take; one at its neutral value
(``kernel_constraint: null``, ``renorm: false``, ``quantization_config: null``) changes
nothing and is dropped, any other is refused naming the layer and the argument, never
silently ignored. Only built-in, registered or ``custom_objects`` classes are built.

>>> cfg = {"class_name": "Dense", "config": {"units": 2, "kernel_constraint": None,
...        "dtype": {"module": "keras", "class_name": "DTypePolicy",
...                  "config": {"name": "float32"}, "registered_name": None}}}
>>> keras_layer_from_config(cfg, {}).units
2
"""

from __future__ import annotations

import inspect

from glassnet.io.config_values import is_tensor_entry, map_tensor_entries, tensor_entries
from glassnet.io.registry import builtin_classes, resolve

# Arguments that only choose how Keras computes (or what it does in a mode glassnet lacks,
# when that mode is off): dropped whatever their value.
_HOW = {"implementation", "renorm_momentum", "renorm_clipping", "autocast", "lora_alpha"}
# Keras's keys holding a size tuple, which JSON turned into a list.
_TUPLES = {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "target_shape",
           "dims", "batch_input_shape", "batch_shape", "shape", "input_shape", "cropping",
           "padding"}


# Arguments a glassnet layer reads from its **kwargs rather than naming them.
_FROM_KWARGS = {"InputLayer": {"batch_shape", "batch_input_shape", "input_shape"}}


def accepted_arguments(cls):
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up the bases."""
    from glassnet.nn.layer import Layer
    from glassnet.optim.optimizer import Optimizer

    names = set(_FROM_KWARGS.get(cls.__name__, ()))
    if issubclass(cls, Optimizer):
        names.update(("lr", "decay"))
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                          p.KEYWORD_ONLY))
        # Layer's own **kwargs only refuses what is left, as does an optimizer's.
        if klass in (Layer, Optimizer) or not any(p.kind is p.VAR_KEYWORD for p in params):
            return names, False
    return names, True


def _neutral(key, value):
    return (value is None or value is False or key in _HOW
            or ("dropout" in key and value == 0) or (key == "groups" and value == 1))


def _dtype(value):
    """A Keras 3 ``DTypePolicy`` dict (or a policy name) as a dtype name."""
    if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "Policy"):
        value = value.get("config", {}).get("name")
    if isinstance(value, str) and value.startswith("mixed_"):
        raise ValueError(f"the dtype policy '{value}' (mixed precision) is not supported")
    return value


def _filter(cls, config, where):
    """``config`` keeping what ``cls`` takes; refusing what it lacks unless neutral."""
    names, takes_any = accepted_arguments(cls)
    out = {}
    for key, value in config.items():
        if key in names or takes_any:
            out[key] = value
        elif not _neutral(key, value):
            raise ValueError(f"{where}: the config sets {key}={value!r}, which glassnet's "
                             f"{cls.__name__} does not support")
    return out


def _component(value, custom):
    """An initializer / regularizer / activation / nested layer config inside a layer's
    config, in the form glassnet's getters read."""
    from glassnet.nn import initializers, regularizers

    if not (isinstance(value, dict) and isinstance(value.get("class_name"), str)
            and "config" in value):
        return value
    name, inner = value["class_name"], value["config"]
    registered = value.get("registered_name")
    if name == "function":  # Keras 3's form of a function (a custom activation)
        from glassnet.io.serialization import deserialize_keras_object

        return deserialize_keras_object(value, custom)
    if isinstance(registered, str) and registered in custom:
        return custom[registered].from_config(inner)
    if name in custom and not _is_layer_class(custom[name]):
        return custom[name].from_config(inner)
    if _is_layer_class(custom.get(name) or builtin_classes().get(name)):
        return {"class_name": name, "config": translate_layer_config(name, inner, custom)}
    for table in (initializers.INITIALIZERS, regularizers.REGULARIZERS):
        cls = table.get(name) or table.get(name.lower())
        if cls is not None and isinstance(inner, dict):
            return {"class_name": name, "config": _filter(cls, inner, f"the {name} config")}
    return value


def _is_layer_class(cls):
    from glassnet.nn.layer import Layer

    return isinstance(cls, type) and issubclass(cls, Layer)


def translate_layer_config(class_name, config, custom):
    """A Keras layer's ``config`` as glassnet's ``class_name`` takes it."""
    if not isinstance(config, dict):
        raise ValueError(f"the config of a {class_name} layer is {config!r}; expected a dict")
    cls = resolve(class_name, custom)
    where = f"the layer '{config.get('name', class_name)}' ({class_name})"
    if class_name == "Lambda" and builtin_classes().get(class_name) is cls:
        config = _lambda_config(config, custom, where)
    out = {}
    for key, value in config.items():
        if key == "dtype":
            value = _dtype(value)
        elif key in _TUPLES and isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif key == "axis" and isinstance(value, list) and len(value) == 1:
            value = value[0]  # Keras 2's BatchNormalization writes axis=[3]
        elif isinstance(value, dict):
            value = _component(value, custom)
        out[key] = value
    if builtin_classes().get(class_name) is not cls:
        return out  # a user's class gets its own config back, as it wrote it
    return _filter(cls, out, where)


def _lambda_config(config, custom, where):
    """A Lambda layer only when its function is a registered (or ``custom_objects``) name:
    Keras writes a lambda as marshalled Python bytecode, which is never executed here."""
    function = config.get("function")
    if isinstance(function, dict) and function.get("class_name") == "function":
        function = function.get("config")
    if config.get("function_type") == "lambda" or not isinstance(function, str) \
            or function not in custom:
        raise ValueError(f"{where} holds Python code (a lambda or an unregistered function), "
                         f"and glassnet never runs code from a file; rebuild the model in "
                         f"code, or register the function with "
                         f"@keras.saving.register_keras_serializable()")
    return {k: v for k, v in {**config, "function": custom[function]}.items()
            if k not in ("function_type", "module", "output_shape_type",
                         "output_shape_module")}


def keras_layer_from_config(config, custom):
    """A layer or model from ``{"class_name", "config", ...}`` as any Keras writes it."""
    from glassnet.io.model_config import model_from_config

    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"a layer config must be a dict with a 'class_name'; received "
                         f"{config!r}"[:300])
    class_name, inner = config["class_name"], config.get("config")
    registered = config.get("registered_name")
    if isinstance(registered, str) and registered in custom:
        class_name = registered
    if class_name in ("Functional", "Model", "Sequential") and isinstance(inner, dict):
        if _is_glassnet_functional(inner) or "sublayer_build_shapes" in config:
            return model_from_config(config, custom)
        return keras_model_from_config(config, custom)
    cls = resolve(class_name, custom)
    if not _is_layer_class(cls) and hasattr(cls, "from_config"):
        return cls.from_config(inner)
    from glassnet.train import Model

    if isinstance(cls, type) and issubclass(cls, Model):
        return model_from_config({**config, "class_name": class_name}, custom)
    layer = cls.from_config(translate_layer_config(class_name, inner, custom))
    shape = (config.get("build_config") or {}).get("input_shape")
    if shape and not layer.built and all(isinstance(n, (int, type(None))) for n in shape):
        layer._build_for(tuple(shape))
    return layer


def _is_glassnet_functional(inner):
    layers = inner.get("layers")
    return isinstance(layers, list) and any(isinstance(e, dict) and "calls" in e
                                            for e in layers)


# -- models --------------------------------------------------------------------------------

def keras_model_from_config(config, custom):
    """A ``Sequential`` or functional model from Keras 2's or Keras 3's config."""
    from glassnet.train import Sequential

    inner = config["config"]
    layers = inner.get("layers")
    if not isinstance(layers, list):
        raise ValueError(f"the model config's 'layers' is {layers!r}; expected a list")
    if config["class_name"] == "Sequential":
        model = Sequential([keras_layer_from_config(c, custom) for c in layers],
                           name=inner.get("name"))
        shape = inner.get("build_input_shape")
        if not model.built and isinstance(shape, list):
            model._build_for(tuple(shape))
    else:
        model = _functional(inner, layers, custom)
    if inner.get("trainable") is False:
        model.trainable = False
    return model


def _refs(value):
    """[name, node, tensor] or a list of them (Keras 3 writes one output flat)."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [tuple(value)]
    if not (isinstance(value, list) and all(isinstance(v, list) and len(v) >= 3
                                            and isinstance(v[0], str) for v in value)):
        raise ValueError(f"the model config refers to tensors as {value!r}; expected "
                         f"[layer name, node index, tensor index]")
    return [tuple(v[:3]) for v in value]


def _node_call(node, where):
    """(refs, (args, kwargs)) of one inbound node, Keras 2's or Keras 3's: the tensors it
    needs, and the call's arguments with Keras tensors still in place."""
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        args, kwargs = node.get("args", []), node.get("kwargs", {})
        refs = [_history(e, where) for e in tensor_entries([args, kwargs])] \
            if isinstance(args, list) and isinstance(kwargs, dict) else []
        if not refs:
            raise ValueError(f"{where} has the inbound node {node!r}; expected args and kwargs "
                             f"holding the tensors it is called on")
        return refs, (args, kwargs)
    if isinstance(node, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
        refs = [tuple(r[:3]) for r in _refs(node)]
        kwargs = node[0][3] if node and len(node[0]) > 3 else {}
        if not isinstance(kwargs, dict):
            raise ValueError(f"{where} is called with the arguments {kwargs!r}; expected a dict")
        first = [{"class_name": "__keras_tensor__", "config": {"keras_history": list(r)}}
                 for r in refs]
        return refs, ([first if len(refs) > 1 else first[0]], kwargs)
    raise ValueError(f"{where} has the inbound node {node!r}; expected a list or a dict")


def _history(tensor, where):
    if not is_tensor_entry(tensor):
        raise ValueError(f"{where} is called on {tensor!r}; expected a Keras tensor")
    history = tensor.get("config", {}).get("keras_history")
    return _refs(history)[0]


def _functional(inner, entries, custom):
    from glassnet.nn.layers.core import InputLayer
    from glassnet.train import Model

    made, produced, pending = {}, {}, []
    for entry in entries:
        layer = keras_layer_from_config(entry, custom)
        name = entry.get("name", layer.name)
        if name in made:
            raise ValueError(f"the model config has two layers named '{name}'")
        made[name] = layer
        if isinstance(layer, InputLayer):
            produced[(name, 0, 0)] = layer.output
        for i, node in enumerate(entry.get("inbound_nodes") or []):
            pending.append((name, i, _node_call(node, f"the layer '{name}'")))
    while pending:
        ready = [p for p in pending if all(r in produced for r in p[2][0])]
        if not ready:
            missing = sorted({r for p in pending for r in p[2][0] if r not in produced})
            raise ValueError(f"the model config's layers are called on tensors no layer "
                             f"makes: {missing[:3]}")
        for item in ready:
            name, index, (_, (args, kwargs)) = item
            where = f"the layer '{name}'"
            args, kwargs = (map_tensor_entries(v, lambda e, where=where: produced[
                _history(e, where)]) for v in (args, kwargs))
            out = made[name](*args, **kwargs)
            for t, tensor in enumerate(out if isinstance(out, (list, tuple)) else [out]):
                produced[(name, index, t)] = tensor
            pending.remove(item)

    def tensors(key):
        refs = _refs(inner.get(key))
        missing = [r for r in refs if r not in produced]
        if missing:
            raise ValueError(f"the model config's {key} refer to {missing}, which no layer "
                             f"call makes")
        found = [produced[r] for r in refs]
        return found[0] if len(found) == 1 else found

    return Model(tensors("input_layers"), tensors("output_layers"), name=inner.get("name"))


def optimizer_config(class_name, config):
    """A Keras optimizer's config as glassnet's optimizer ``class_name`` takes it."""
    from glassnet import optim
    from glassnet.naming import lookup

    cls = lookup(optim.OPTIMIZERS, class_name.split(">")[-1], "optimizer")
    config = {k: v for k, v in dict(config).items()
              if k not in ("jit_compile", "is_legacy_optimizer")}
    if not config.get("use_ema"):
        for key in ("use_ema", "ema_momentum", "ema_overwrite_frequency"):
            config.pop(key, None)
    if config.get("name", "").lower() == cls.__name__.lower():
        config["name"] = cls.__name__.lower()
    return _filter(cls, config, f"the optimizer {class_name}")
