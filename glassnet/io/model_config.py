"""A model's architecture as JSON-able data (class names and arguments), and back.

Building from a config makes only registered classes (see ``registry``); a config that is
malformed (a missing key, a wrong type) is a ValueError naming what is wrong, never a raw
KeyError or TypeError. Layers nested in a config (an RNN's cell, a Bidirectional's halves, the
cells of a stack) are built from the same tables, ``custom_objects`` included.

A stateful recurrent layer's carried states are not part of its config or weights (as in
Keras): a loaded model starts from zero states, as after ``reset_states()``.
"""

from __future__ import annotations

import inspect

from glassnet.io.config_values import (
    decode_values,
    encode_tensors,
    jsonable,
    map_tensor_entries,
    tensor_entries,
    tensor_history,
)
from glassnet.io.registry import builtin_classes, resolve
from glassnet.nn.layers.core import Lambda


def layer_to_config(layer):
    """A layer's class name and config; a model used as a layer (the frozen base of a
    transfer-learning model) nests its whole architecture."""
    from glassnet.train import Model

    if isinstance(layer, Model):
        return model_to_config(layer)
    if isinstance(layer, Lambda):
        raise TypeError(f"cannot save layer '{layer.name}': its argument 'function' holds "
                        f"{layer.function!r}, which is code rather than data (a Lambda layer); "
                        f"replace it by a small registered Layer subclass (passed back through "
                        f"custom_objects when loading)")
    return {"class_name": type(layer).__name__,
            "config": jsonable(layer.get_config(), f"layer '{layer.name}'")}


def model_to_config(model):
    from glassnet.train import Sequential

    if isinstance(model, Sequential):
        return {"class_name": type(model).__name__,
                "config": {"name": model.name, "trainable": model.trainable,
                           "layers": [layer_to_config(layer) for layer in model._sublayers()]}}
    if model._graph is None:
        return _subclassed_config(model)
    return {"class_name": "Functional", "config": _functional_config(model)}


def _init_arguments(cls):
    """The named arguments of ``cls.__init__`` and whether it takes ``**kwargs``."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def _subclassed_config(model):
    """A subclassed Model as Keras saves one: its class name and ``get_config()`` (which
    ``from_config`` passes back to ``__init__``), and the input shapes it was built for.

    ``Model.get_config`` (not overridden) gives ``name`` and ``trainable``; as in Keras, those
    an ``__init__`` does not accept are left out (an ``__init__`` taking no arguments gets an
    empty config), and an ``__init__`` argument the config would not give back is refused
    here, when saving, rather than silently defaulted when loading."""
    from glassnet.train import Model

    cls = type(model)
    where = f"the subclassed model '{model.name}' ({cls.__name__})"
    config = model.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"cannot save {where}: get_config() returned {config!r}, not a dict")
    if getattr(cls.get_config, "__func__", cls.get_config) is Model.get_config:
        named, takes_kwargs = _init_arguments(cls)
        names = {p.name for p in named}
        if not takes_kwargs:
            config = {k: v for k, v in config.items() if k in names}
        unsaved = [p.name for p in named if p.name not in config]
        if unsaved:
            raise TypeError(
                f"cannot save {where}: its __init__ takes {', '.join(map(repr, unsaved))}, "
                f"which get_config() does not return, so loading could not rebuild it as it "
                f"was made. Override get_config() to return them (e.g. "
                f"{{**super().get_config(), {unsaved[0]!r}: self.{unsaved[0]}}}), as Keras "
                f"requires")
    # The name beside the config: one the config leaves out is given back when loading
    # (a functional model containing this one refers to it by name).
    out = {"class_name": cls.__name__, "name": model.name, "config": jsonable(config, where)}
    shape = getattr(model, "_build_input_shape", None)
    if shape is not None:
        out["build_input_shape"] = jsonable(shape, "the input shape")
    out["sublayer_build_shapes"] = _sublayer_build_shapes(model)
    return out


def _sublayer_build_shapes(model):
    """[[path, shape], ...]: each built sub-layer (by its index at each level of
    ``_sublayers()``) with the input shape it was built for; the layers inside one that has
    a shape are built by building it."""
    found = []

    def walk(layer, path):
        for i, sub in enumerate(layer._sublayers()):
            shape = getattr(sub, "_build_input_shape", None)
            if sub.built and shape is not None:
                found.append([path + [i], jsonable(shape, f"the input shape of '{sub.name}'")])
            else:
                walk(sub, path + [i])

    walk(model, [])
    return found


def _functional_config(model):
    graph = model._graph
    calls, tensor_ref = {}, {}
    for t in graph.inputs:
        tensor_ref[id(t)] = [t.layer.name, 0]
    # the name beside the config as well: a user's get_config may leave it out (Keras 3)
    layers = {layer.name: {**layer_to_config(layer), "name": layer.name, "calls": []}
              for layer in graph.layers}
    for t in graph.nodes:
        index = calls.get(t.layer.name, 0)
        calls[t.layer.name] = index + 1
        args = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
        call = {"inputs": [tensor_ref[id(a)] for a in args],
                "list_input": isinstance(t.inputs, (list, tuple))}
        if t.training is not None:
            call["training"] = bool(t.training)
        where = f"a call of layer '{t.layer.name}'"
        if getattr(t, "args", ()):  # layer(a, b): the further arguments as Keras 3's node
            call["args"] = jsonable(encode_tensors(list(t.args), tensor_ref), where)
        if t.call_kwargs:
            call["kwargs"] = jsonable(encode_tensors(t.call_kwargs, tensor_ref), where)
        layers[t.layer.name]["calls"].append(call)
        tensor_ref[id(t)] = [t.layer.name, index]
    return {"name": model.name, "trainable": model.trainable, "layers": list(layers.values()),
            "inputs": [tensor_ref[id(t)] for t in graph.inputs],
            "outputs": [tensor_ref[id(t)] for t in graph.outputs],
            "multi_input": graph.multi_input, "multi_output": graph.multi_output,
            **({"input_keys": graph.input_keys} if graph.input_keys else {}),
            **({"output_keys": graph.output_keys} if graph.output_keys else {})}


# -- building ------------------------------------------------------------------------------

def _need(mapping, key, kind, where):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ValueError(f"config.json: {where} has no '{key}'")
    value = mapping[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ValueError(f"config.json: {where}'s '{key}' is {value!r}; expected a {names}")
    return value


def _ref(value, where):
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and type(value[1]) is int):
        raise ValueError(f"config.json: {where} refers to {value!r}; expected "
                         f"[layer name, call index]")
    return value[0], value[1]


def _is_shape(shape, depth=0):
    """A list of sizes (None for unknown), or for several inputs a list of such lists."""
    return isinstance(shape, list) and depth < 2 and all(
        n is None or (type(n) is int and n >= 0) or _is_shape(n, depth + 1) for n in shape)


def layer_from_config(config, custom_objects=None):
    """The inverse of ``layer_to_config``: the same path as a model's, which builds any
    registered class and nested models."""
    return model_from_config(config, custom_objects)


def _build_functional(config, custom_objects):
    from glassnet.nn.layers.core import InputLayer
    from glassnet.train import Model

    where = f"the model '{config.get('name')}'"
    made, produced = {}, {}
    for entry in _need(config, "layers", list, where):
        calls = _need(entry, "calls", list, "a layer entry")
        layer = layer_from_config(entry, custom_objects)
        name = entry.get("name", layer.name)
        if not isinstance(name, str):
            raise ValueError(f"config.json: a layer entry is named {name!r}; expected a string")
        if name != layer.name and "name" not in entry.get("config", {}):
            layer.name = name  # its get_config left the name out
        if name in made:
            raise ValueError(f"config.json: two layers are named '{name}'")
        for call in calls:
            _need(call, "inputs", list, f"a call of layer '{name}'")
        made[name] = (layer, calls)
        if isinstance(layer, InputLayer):
            produced[(name, 0)] = layer.output
    pending = [(name, i, call) for name, (_, cs) in made.items() for i, call in enumerate(cs)]
    while pending:
        progressed = False
        for item in list(pending):
            name, index, call = item
            where = f"a call of layer '{name}'"
            first = [_ref(r, where) for r in call["inputs"]]
            extra = call.get("args", [])
            if not isinstance(extra, list):
                raise ValueError(f"config.json: {where} has 'args' {extra!r}; expected a list")
            refs = first + [tensor_history(e, where) for e in
                            tensor_entries([extra, call.get("kwargs", {})])]
            if all(r in produced for r in refs):
                args = [produced[r] for r in first]
                training = call.get("training")
                if training not in (None, True, False):
                    raise ValueError(f"config.json: layer '{name}' has a call whose "
                                     f"'training' is {training!r}; expected true or false")
                kwargs = call.get("kwargs", {})
                if not isinstance(kwargs, dict) or not all(isinstance(k, str) and k.isidentifier()
                                                           and k != "training" for k in kwargs):
                    raise ValueError(f"config.json: layer '{name}' has a call whose 'kwargs' is "
                                     f"{kwargs!r}; expected a mapping of argument names")
                kwargs, extra = (map_tensor_entries(
                    v, lambda e, where=where: produced[tensor_history(e, where)])
                    for v in (kwargs, extra))
                produced[(name, index)] = made[name][0](
                    args if call.get("list_input") else args[0], *extra, training=training,
                    **kwargs)
                pending.remove(item)
                progressed = True
        if not progressed:
            raise ValueError("config.json: the saved functional model's graph refers to layer "
                             "calls that do not exist")

    def tensors(key):
        refs = [_ref(r, f"{where}'s {key}") for r in _need(config, key, list, where)]
        missing = [r for r in refs if r not in produced]
        if missing or not refs:
            raise ValueError(f"config.json: {where}'s {key} refer to {missing or 'nothing'}, "
                             f"which no layer call makes")
        return [produced[r] for r in refs]

    inputs, outputs = tensors("inputs"), tensors("outputs")
    inputs, outputs = (_keyed(config, key, tensors, f"the model '{config.get('name')}'")
                       for key, tensors in (("input_keys", inputs), ("output_keys", outputs)))
    model = Model(inputs if config.get("multi_input") else inputs[0],
                  outputs if config.get("multi_output") else outputs[0], name=config.get("name"))
    if not config.get("trainable", True):
        model.trainable = False  # True would also unfreeze layers frozen one by one
    return model


def _keyed(config, key, tensors, where):
    """``tensors`` as the dict a model of dict inputs or outputs was made with."""
    keys = config.get(key)
    if keys is None:
        return tensors
    if not isinstance(keys, list) or len(keys) != len(tensors) or \
            not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
        raise ValueError(f"config.json: {where} has {key} {keys!r}; expected {len(tensors)} "
                         f"distinct names")
    return dict(zip(keys, tensors))


def model_from_config(config, custom_objects=None):
    """Rebuild a model (untrained) from ``model_to_config``."""
    from glassnet.train import Sequential

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("config.json does not describe a model (no class_name)")
    class_name = config["class_name"]
    inner = _need(config, "config", dict, f"the entry of class '{class_name}'")
    if class_name == "Functional":
        return _build_functional(inner, custom_objects)
    cls = resolve(class_name, custom_objects)
    if isinstance(cls, type) and issubclass(cls, Sequential):
        layer_configs = inner.get("layers", [])
        if not isinstance(layer_configs, list):
            raise ValueError(f"config.json: the layers of '{inner.get('name')}' are "
                             f"{layer_configs!r}; expected a list")
        model = cls([layer_from_config(c, custom_objects) for c in layer_configs],
                    name=inner.get("name"))
        if not inner.get("trainable", True):
            model.trainable = False
        return model
    if not hasattr(cls, "from_config"):
        raise ValueError(f"config.json: custom_objects gives {cls!r} for '{class_name}', "
                         f"which has no from_config")
    try:
        model = _from_config(cls, inner, custom_objects, class_name)
    except TypeError as err:
        raise ValueError(f"config.json: the layer '{inner.get('name', class_name)}' "
                         f"({class_name}) cannot be made from its config ({err})") from None
    name = config.get("name")
    if "sublayer_build_shapes" in config and "name" not in inner and isinstance(name, str):
        model.name = name
    shape = config.get("build_input_shape")
    if shape:
        model._build_for(_shape(shape, f"the build_input_shape of '{class_name}'"))
    if "sublayer_build_shapes" in config:
        _build_sublayers(model, config["sublayer_build_shapes"], class_name)
    return model


def _from_config(cls, config, custom_objects, class_name):
    """``cls.from_config(config)``, after the checks of a built-in text layer's config.

    A built-in wrapper (``RNN``, ``StackedRNNCells``, ``Bidirectional``, ``TimeDistributed``:
    a ``from_config`` taking ``custom_objects``) gets them, and the layers its config nests (a
    cell, the cells of a stack, a wrapped layer) built here first through the same registry,
    so that a user's cell is found at any depth: ``RNN(StackedRNNCells([MyCell(4), ...]))``.
    """
    if builtin_classes().get(class_name) is cls:
        _check_text_arguments(config, class_name)
    config = decode_values(config, custom_objects, config.get("name", class_name))
    takes_custom = "custom_objects" in inspect.signature(cls.from_config).parameters
    if not takes_custom:
        return cls.from_config(config)
    if custom_objects and class_name not in custom_objects:
        # The nested layers compute in the wrapper's dtype, as its own from_config makes them.
        dtype = {"dtype": config["dtype"]} if "dtype" in config else {}
        config = {key: _nested_layers(value, custom_objects, dtype)
                  for key, value in config.items()}
    return cls.from_config(config, custom_objects=custom_objects)


# With pad_to_max_tokens a lookup allocates max_tokens columns (its idf weights when it is
# built, its outputs when it is called): bounded for a config read from a file, as weights are.
MAX_PADDED_TOKENS = 1 << 24


def _check_text_arguments(config, class_name):
    """Refuse what a saved text layer never holds: a vocabulary or idf weights given as a
    path (``get_config`` writes the tokens themselves, so a path would name a file of the
    loading machine), and a padded width beyond ``MAX_PADDED_TOKENS``."""
    where = f"config.json: the layer '{config.get('name', class_name)}' ({class_name})"
    for argument in ("vocabulary", "idf_weights"):
        if isinstance(config.get(argument), str):
            raise ValueError(f"{where} gives `{argument}` as the path "
                             f"{config[argument]!r}; a saved model carries its vocabulary "
                             f"as a list of tokens, and files named by a config are never "
                             f"read")
    max_tokens, vocabulary = config.get("max_tokens"), config.get("vocabulary")
    if type(max_tokens) is int and isinstance(vocabulary, list) \
            and len(vocabulary) > max_tokens:  # refused before the table is built
        raise ValueError(f"{where} holds {len(vocabulary)} tokens, more than its "
                         f"max_tokens={max_tokens}")
    if config.get("pad_to_max_tokens") is True and type(max_tokens) is int \
            and max_tokens > MAX_PADDED_TOKENS:
        raise ValueError(f"{where} pads to max_tokens={max_tokens}, over the "
                         f"{MAX_PADDED_TOKENS} columns a loaded text layer may allocate")


def _is_layer_config(value, custom_objects):
    from glassnet.nn.layer import Layer

    if not (isinstance(value, dict) and isinstance(value.get("class_name"), str)
            and isinstance(value.get("config"), dict)):
        return False
    cls = custom_objects.get(value["class_name"]) or builtin_classes().get(value["class_name"])
    return isinstance(cls, type) and issubclass(cls, Layer)


def _nested_layers(value, custom_objects, dtype):
    """``value`` with each layer config in it (alone or in a list) made into its layer."""
    if isinstance(value, list) and value and all(_is_layer_config(v, custom_objects)
                                                 for v in value):
        return [_nested_layers(v, custom_objects, dtype) for v in value]
    if not _is_layer_config(value, custom_objects):
        return value  # a plain argument, or a class no table names: from_config refuses it
    return model_from_config({**value, "config": {**value["config"], **dtype}}, custom_objects)


def _shape(value, where):
    """A shape from JSON, as ``build`` receives it: a tuple, or a list of tuples."""
    if not _is_shape(value):
        raise ValueError(f"config.json: {where} is {value!r}; expected a list of sizes")
    if any(isinstance(n, list) for n in value):
        if not all(isinstance(n, list) for n in value):
            raise ValueError(f"config.json: {where} is {value!r}; expected a list of sizes")
        return [tuple(n) for n in value]
    return tuple(value)


def _build_sublayers(model, entries, class_name):
    """Build a subclassed model's sub-layers for the shapes they were saved with (weights are
    budgeted by ``weight_budget`` as any layer's)."""
    where = f"the sublayer_build_shapes of '{class_name}'"
    if not isinstance(entries, list):
        raise ValueError(f"config.json: {where} is {entries!r}; expected a list")
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)
                and entry[0] and all(type(i) is int and i >= 0 for i in entry[0])):
            raise ValueError(f"config.json: {where} holds {entry!r}; expected "
                             f"[[index, ...], shape]")
        path, shape = entry
        layer = model
        for i in path:
            subs = layer._sublayers()
            if i >= len(subs):
                raise ValueError(f"config.json: {where} names the sub-layer {path}, which "
                                 f"{class_name} (as its __init__ makes it) does not have")
            layer = subs[i]
        if not layer.built:
            layer._build_for(_shape(shape, f"{where}: the shape of {path}"))
    model.built = True
