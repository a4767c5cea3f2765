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
import zlib

import numpy as np

from glassnet.io.atomic import atomic_write
from glassnet.io.registry import resolve

WEIGHTS_NAME = "model.weights.npz"
OPTIMIZER_NAME = "optimizer.npz"
MEMBERS = ("config.json", "metadata.json", WEIGHTS_NAME, OPTIMIZER_NAME)
# Refuse archives that would expand beyond these (zip bombs): per member, and per
# compression ratio (model weights compress by a few times at most, bombs by thousands).
MAX_MEMBER_BYTES = 4 << 30
MAX_COMPRESSION_RATIO = 200


class UnsafeFileError(ValueError):
    """A model or weights file that glassnet refuses to read (nothing in it was run)."""


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
    """A layer's class name and config; a model used as a layer (the frozen base of a
    transfer-learning model) nests its whole architecture."""
    from glassnet.train import Model

    if isinstance(layer, Model):
        return model_to_config(layer)
    return {"class_name": type(layer).__name__,
            "config": _jsonable(layer.get_config(), f"layer '{layer.name}'")}


def layer_from_config(config, custom_objects=None):
    """The inverse of ``layer_to_config``: the same path as a model's, which builds any
    registered class and nested models."""
    return model_from_config(config, custom_objects)


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
    layers = {layer.name: {**layer_to_config(layer), "calls": []} for layer in graph.layers}
    for t in graph.nodes:
        index = calls.get(t.layer.name, 0)
        calls[t.layer.name] = index + 1
        args = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
        call = {"inputs": [tensor_ref[id(a)] for a in args],
                "list_input": isinstance(t.inputs, (list, tuple))}
        if t.training is not None:
            call["training"] = bool(t.training)
        layers[t.layer.name]["calls"].append(call)
        tensor_ref[id(t)] = [t.layer.name, index]
    return {"name": model.name, "trainable": model.trainable, "layers": list(layers.values()),
            "inputs": [tensor_ref[id(t)] for t in graph.inputs],
            "outputs": [tensor_ref[id(t)] for t in graph.outputs],
            "multi_input": graph.multi_input, "multi_output": graph.multi_output}


def _build_functional(config, custom_objects):
    from glassnet.nn.layers.core import InputLayer
    from glassnet.train import Model

    made, produced = {}, {}
    for entry in config["layers"]:
        layer = layer_from_config(entry, custom_objects)
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
                training = call.get("training")
                if training not in (None, True, False):
                    raise ValueError(f"config.json: layer '{name}' has a call whose "
                                     f"'training' is {training!r}; expected true or false")
                produced[(name, index)] = made[name][0](
                    args if call["list_input"] else args[0], training=training)
                pending.remove(item)
                progressed = True
        if not progressed:
            raise ValueError("the saved functional model's graph refers to layer calls that "
                             "do not exist")
    inputs = [produced[tuple(r)] for r in config["inputs"]]
    outputs = [produced[tuple(r)] for r in config["outputs"]]
    model = Model(inputs if config["multi_input"] else inputs[0],
                  outputs if config["multi_output"] else outputs[0], name=config["name"])
    if not config.get("trainable", True):
        model.trainable = False  # True would also unfreeze layers frozen one by one
    return model


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
        model = cls([layer_from_config(c, custom_objects) for c in layer_configs],
                    name=config["config"].get("name"))
        if not config["config"].get("trainable", True):
            model.trainable = False
        return model
    model = cls.from_config(config["config"])
    if config.get("build_input_shape"):
        model._build_for(tuple(config["build_input_shape"]))
    return model


def _weights_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{i:05d}": a for i, a in enumerate(arrays)})
    return buffer.getvalue()


def _check_zip_members(archive, source, allowed=None):
    """Refuse unexpected names (path traversal) and declared sizes or ratios that a genuine
    file never has; returns the member infos."""
    infos = archive.infolist()
    for info in infos:
        name = info.filename
        if allowed is not None and name not in allowed:
            raise UnsafeFileError(f"{source}: unexpected member '{name}' (a glassnet file holds "
                                  f"only {', '.join(allowed)}); refused")
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise UnsafeFileError(f"{source}: member name '{name}' points outside the "
                                  f"archive; refused")
        if info.file_size > MAX_MEMBER_BYTES:
            raise UnsafeFileError(f"{source}: member '{name}' declares {info.file_size} bytes, "
                                  f"over the {MAX_MEMBER_BYTES}-byte limit; refused")
        ratio = info.file_size / info.compress_size if info.compress_size else 0
        if ratio > MAX_COMPRESSION_RATIO:
            raise UnsafeFileError(f"{source}: member '{name}' expands {ratio:.0f} times on "
                                  f"reading (a zip bomb?); refused")
    return infos


def _read_member(archive, name, source):
    """A member's bytes, reading no more than it declared (the declared size may lie)."""
    info = archive.getinfo(name)
    with archive.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise UnsafeFileError(f"{source}: member '{name}' holds more than the {info.file_size} "
                              f"bytes it declares; refused")
    return data


def _read_arrays(data, what):
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError(f"{what}: the weights are not a valid .npz archive") from None
    with inner:
        _check_zip_members(inner, what)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return [npz[k] for k in sorted(npz.files)]
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise UnsafeFileError(f"{what}: the weights contain pickled Python objects, which "
                                  f"could run code when read; refused (weights must be plain "
                                  f"numeric arrays)") from None
        raise ValueError(f"{what}: unreadable weights ({err})") from None


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
    if os.path.getsize(filepath) > MAX_MEMBER_BYTES:
        raise UnsafeFileError(f"{filepath} is larger than {MAX_MEMBER_BYTES} bytes; refused")
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
    are built, nothing in the file is executed, and files that could not have been written
    by ``save_model`` (unexpected members, zip bombs, pickled arrays, truncation) are refused.

    Loading draws no random numbers: the layers are built and their initial values replaced,
    with the random generator's state restored afterwards, so a resumed fit shuffles as an
    uninterrupted one would.
    """
    filepath = os.fspath(filepath)
    try:
        archive = zipfile.ZipFile(filepath)
    except zipfile.BadZipFile:
        raise ValueError(f"{filepath} is not a glassnet .keras file (not a zip archive, or "
                         f"truncated)") from None
    from glassnet import backend

    rng_state = backend.generator().bit_generator.state
    try:
        with archive:
            names = [i.filename for i in _check_zip_members(archive, filepath, MEMBERS)]
            for required in ("config.json", WEIGHTS_NAME):
                if required not in names:
                    raise ValueError(f"{filepath} lacks {required}")
            try:
                config = json.loads(_read_member(archive, "config.json", filepath))
            except json.JSONDecodeError as err:
                raise ValueError(f"{filepath}: config.json is not valid JSON ({err})") from None
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as err:
                raise ValueError(f"{filepath} is damaged or truncated ({err})") from None
            model = model_from_config(config, custom_objects)  # registered classes only
            try:
                weights = _read_arrays(_read_member(archive, WEIGHTS_NAME, filepath), filepath)
                optimizer_state = None
                if OPTIMIZER_NAME in names:
                    with np.load(io.BytesIO(_read_member(archive, OPTIMIZER_NAME, filepath)),
                                 allow_pickle=False) as z:
                        optimizer_state = {k.replace("__", "/"): z[k] for k in z.files}
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as err:
                raise ValueError(f"{filepath} is damaged or truncated ({err})") from None
            _ensure_built(model, weights)
            _assign_weights(model, weights, filepath)
            if compile and "compile_config" in config:
                from glassnet import optim

                cc = config["compile_config"]
                model.compile(optimizer=optim.get(cc["optimizer"]), loss=cc["loss"],
                              metrics=cc["metrics"], loss_weights=cc["loss_weights"])
                if optimizer_state is not None:
                    model.optimizer.load_state_dict(optimizer_state)
    finally:
        backend.generator().bit_generator.state = rng_state
    return model


def _ensure_built(model, weights):
    if not model.built or len(model.weights) != len(weights):
        shape = getattr(model, "_build_input_shape", None)
        if shape is not None:
            model._build_for(shape)
