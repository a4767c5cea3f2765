"""Saving and loading models without ever executing anything from the file.

A ``.keras`` file is a zip holding ``config.json`` (the architecture: class names and
arguments; the compile settings), ``metadata.json`` (glassnet version, date),
``model.weights.npz`` and ``optimizer.npz`` (arrays, read with ``allow_pickle=False``).
Loading builds only registered classes by name (see ``registry``). Writes are atomic.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

import numpy as np

from glassnet.io.atomic import atomic_write
from glassnet.io.registry import resolve

WEIGHTS_NAME = "model.weights.npz"
OPTIMIZER_NAME = "optimizer.npz"
MEMBERS = ("config.json", "metadata.json", WEIGHTS_NAME, OPTIMIZER_NAME)


def _jsonable(value, where, argument=None):
    if isinstance(value, dict):
        return {str(k): _jsonable(v, where, argument or k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, where, argument) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    held = f"its argument '{argument}' holds" if argument else "it holds"
    raise TypeError(
        f"cannot save {where}: {held} {value!r}, which is code rather than data. Only "
        f"configurations made of names and numbers can be saved safely; replace a Lambda "
        f"layer or a custom function by a small registered Layer subclass "
        f"(passed back through custom_objects when loading)")


def layer_to_config(layer):
    return {"class_name": type(layer).__name__,
            "config": _jsonable(layer.get_config(), f"layer '{layer.name}'")}


def model_to_config(model):
    from glassnet.train import Sequential

    if isinstance(model, Sequential):
        return {"class_name": type(model).__name__,
                "config": {"name": model.name, "trainable": model.trainable,
                           "layers": [layer_to_config(layer) for layer in model._sublayers()]}}
    if model._graph is None:
        config = layer_to_config(model)
        config["build_input_shape"] = _jsonable(getattr(model, "_build_input_shape", None),
                                                "the input shape")
        return config
    return {"class_name": "Functional", "config": _functional_config(model)}


def _functional_config(model):
    graph = model._graph
    calls, tensor_ref = {}, {}
    for t in graph.inputs:
        tensor_ref[id(t)] = [t.layer.name, 0]
    layers = {layer.name: {"class_name": type(layer).__name__,
                           "config": _jsonable(layer.get_config(), f"layer '{layer.name}'"),
                           "calls": []} for layer in graph.layers}
    for t in graph.nodes:
        index = calls.get(t.layer.name, 0)
        calls[t.layer.name] = index + 1
        args = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
        layers[t.layer.name]["calls"].append({
            "inputs": [tensor_ref[id(a)] for a in args],
            "list_input": isinstance(t.inputs, (list, tuple))})
        tensor_ref[id(t)] = [t.layer.name, index]
    return {"name": model.name, "layers": list(layers.values()),
            "inputs": [tensor_ref[id(t)] for t in graph.inputs],
            "outputs": [tensor_ref[id(t)] for t in graph.outputs],
            "multi_input": graph.multi_input, "multi_output": graph.multi_output}


def _build_functional(config, custom_objects):
    from glassnet.nn.layers.core import InputLayer
    from glassnet.train import Model

    made, produced = {}, {}
    for entry in config["layers"]:
        cls = resolve(entry["class_name"], custom_objects)
        layer = cls.from_config(entry["config"])
        made[layer.name] = (layer, entry["calls"])
        if isinstance(layer, InputLayer):
            produced[(layer.name, 0)] = layer.output
    pending = [(name, i, call) for name, (_, cs) in made.items() for i, call in enumerate(cs)]
    while pending:
        progressed = False
        for item in list(pending):
            name, index, call = item
            refs = [tuple(r) for r in call["inputs"]]
            if all(r in produced for r in refs):
                args = [produced[r] for r in refs]
                produced[(name, index)] = made[name][0](args if call["list_input"] else args[0])
                pending.remove(item)
                progressed = True
        if not progressed:
            raise ValueError("the saved functional model's graph refers to layer calls that "
                             "do not exist")
    inputs = [produced[tuple(r)] for r in config["inputs"]]
    outputs = [produced[tuple(r)] for r in config["outputs"]]
    return Model(inputs if config["multi_input"] else inputs[0],
                 outputs if config["multi_output"] else outputs[0], name=config["name"])


def model_from_config(config, custom_objects=None):
    """Rebuild a model (untrained) from ``model_to_config``."""
    from glassnet.train import Sequential

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("config.json does not describe a model (no class_name)")
    if config["class_name"] == "Functional":
        return _build_functional(config["config"], custom_objects)
    cls = resolve(config["class_name"], custom_objects)
    if cls is Sequential or issubclass(cls, Sequential):
        layer_configs = config["config"].get("layers", [])
        layers = [resolve(c["class_name"], custom_objects).from_config(c["config"])
                  for c in layer_configs]
        return cls(layers, name=config["config"].get("name"))
    model = cls.from_config(config["config"])
    if config.get("build_input_shape"):
        model._build_for(tuple(config["build_input_shape"]))
    return model


def _weights_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{i:05d}": a for i, a in enumerate(arrays)})
    return buffer.getvalue()


def _read_arrays(data, what):
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return [npz[k] for k in sorted(npz.files)]


def save_weights(model, filepath):
    """The weights, in ``model.weights`` order, to a ``.weights.npz`` file (atomically)."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".weights.h5"):
        return _save_weights_h5(model, filepath)
    if not filepath.endswith(".weights.npz"):
        raise ValueError(f"save_weights: the filename must end in .weights.npz (or "
                         f".weights.h5). Received: {filepath}")
    with atomic_write(filepath) as f:
        f.write(_weights_bytes(model.get_weights()))


def load_weights(model, filepath):
    """Read weights saved by ``save_weights`` into ``model`` (shapes must match)."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".weights.h5"):
        return _load_weights_h5(model, filepath)
    with open(filepath, "rb") as f:
        arrays = _read_arrays(f.read(), filepath)
    _assign_weights(model, arrays, filepath)


def _assign_weights(model, arrays, source):
    weights = model.weights
    if len(arrays) != len(weights):
        raise ValueError(f"{source} holds {len(arrays)} weight arrays but the model has "
                         f"{len(weights)}")
    for p, a in zip(weights, arrays):
        if a.shape != p.data.shape:
            raise ValueError(f"{source}: weight '{p.name}' has shape {a.shape} in the file but "
                             f"{p.data.shape} in the model")
        if a.dtype.kind not in "fiub":
            raise ValueError(f"{source}: weight '{p.name}' has dtype {a.dtype}; only numeric "
                             f"arrays are accepted")
    for p, a in zip(weights, arrays):
        p.assign(a.astype(p.data.dtype))


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("saving weights as .weights.h5 needs h5py: "
                          "pip install 'glassnet[h5]'") from None
    return h5py


def _save_weights_h5(model, filepath):
    h5py = _h5py()
    with atomic_write(filepath) as f:
        with h5py.File(f, "w") as h5:
            for i, w in enumerate(model.get_weights()):
                h5.create_dataset(f"{i:05d}", data=w)


def _load_weights_h5(model, filepath):
    h5py = _h5py()
    with h5py.File(filepath, "r") as h5:
        arrays = [np.asarray(h5[k]) for k in sorted(h5.keys())]
    _assign_weights(model, arrays, filepath)


def save_model(model, filepath):
    """The whole model (architecture, weights, compile settings, optimizer state) to a
    ``.keras`` zip, atomically."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"save: the filename must end in .keras. Received: {filepath}")
    from glassnet import __version__, optim

    config = model_to_config(model)
    if model.compiled:
        config["compile_config"] = _jsonable({
            "optimizer": optim.serialize(model.optimizer),
            "loss": _serialize_loss(model._loss_spec),
            "metrics": model._metrics_spec, "loss_weights": model._loss_weights,
        }, "the compile settings")
    metadata = {"glassnet_version": __version__,
                "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    with atomic_write(filepath) as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("config.json", json.dumps(config, indent=1))
            archive.writestr("metadata.json", json.dumps(metadata))
            archive.writestr(WEIGHTS_NAME, _weights_bytes(model.get_weights()))
            if model.compiled and model.optimizer is not None:
                state = model.optimizer.state_dict()
                buffer = io.BytesIO()
                np.savez(buffer, **{k.replace("/", "__"): v for k, v in state.items()})
                archive.writestr(OPTIMIZER_NAME, buffer.getvalue())


def _serialize_loss(loss):
    from glassnet import losses

    if isinstance(loss, losses.Loss):
        return losses.serialize(loss)
    if isinstance(loss, (list, tuple)):
        return [_serialize_loss(x) for x in loss]
    if isinstance(loss, dict):
        return {k: _serialize_loss(v) for k, v in loss.items()}
    return loss


def load_model(filepath, custom_objects=None, compile=True):  # noqa: A002 - Keras's name
    """A model saved by ``save_model``; only registered classes (and ``custom_objects``)
    are built, nothing in the file is executed."""
    filepath = os.fspath(filepath)
    try:
        archive = zipfile.ZipFile(filepath)
    except zipfile.BadZipFile:
        raise ValueError(f"{filepath} is not a glassnet .keras file (not a zip archive, or "
                         f"truncated)") from None
    with archive:
        names = archive.namelist()
        for required in ("config.json", WEIGHTS_NAME):
            if required not in names:
                raise ValueError(f"{filepath} lacks {required}")
        config = json.loads(archive.read("config.json"))
        model = model_from_config(config, custom_objects)
        weights = _read_arrays(archive.read(WEIGHTS_NAME), filepath)
        _ensure_built(model, weights)
        _assign_weights(model, weights, filepath)
        if compile and "compile_config" in config:
            from glassnet import optim

            cc = config["compile_config"]
            model.compile(optimizer=optim.get(cc["optimizer"]), loss=cc["loss"],
                          metrics=cc["metrics"], loss_weights=cc["loss_weights"])
            if OPTIMIZER_NAME in names:
                with np.load(io.BytesIO(archive.read(OPTIMIZER_NAME)), allow_pickle=False) as z:
                    model.optimizer.load_state_dict({k.replace("__", "/"): z[k] for k in z.files})
    return model


def _ensure_built(model, weights):
    if not model.built or len(model.weights) != len(weights):
        shape = getattr(model, "_build_input_shape", None)
        if shape is not None:
            model._build_for(shape)
