"""Writing Keras 2's HDF5 layout, which tf.keras 2 and Keras 3 load (``load_model("m.h5")``).

Root attributes ``keras_version``, ``backend``, ``model_config`` (the architecture as JSON in
tf.keras 2's format: ``Sequential`` layers, or a functional model's ``inbound_nodes``,
``input_layers``, ``output_layers``) and ``training_config`` when compiled; group
``model_weights`` (attributes ``layer_names``, ``backend``, ``keras_version``) with one group
per layer whose attribute ``weight_names`` (``"dense/kernel:0"``) names its datasets, in
Keras's legacy order (trainable weights, then the others). ``save_weights`` writes the same
layer groups at the root (the weights-only layout). Writes are atomic.
"""

from __future__ import annotations

import json

import numpy as np

from glassnet import backend
from glassnet.files import atomic_write
from glassnet.io.h5 import import_h5py

# The format written: tf.keras 2's (the backend named is Keras 3's numpy one, so readers
# apply no backend conversion to the weights).
KERAS_VERSION = "2.15.0"
BACKEND = "numpy"


def _lists(value):
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def _layer_config(layer):
    """``{"class_name", "config"}`` of one layer as tf.keras 2 reads it."""
    from glassnet.io.config_values import jsonable
    from glassnet.nn.layers.core import InputLayer
    from glassnet.nn.layers.operators import TensorOperator
    from glassnet.train import Model

    if isinstance(layer, Model):
        return keras2_model_config(layer)
    if isinstance(layer, TensorOperator):
        raise ValueError(f"cannot save as .h5: the layer '{layer.name}' is an operator between "
                         f"tensors (a + b, slicing), which Keras 2's format writes as TensorFlow "
                         f"ops; use keras.layers.Add() and the like, or save as .keras")
    if isinstance(layer, InputLayer):
        config = {"batch_input_shape": [layer.batch_size, *layer.shape],
                  "dtype": layer.dtype.name, "sparse": False, "ragged": False,
                  "name": layer.name}
    else:
        config = jsonable(layer.get_config(), f"layer '{layer.name}'")
        # glassnet's arguments Keras 2 lacks, at their neutral values
        config = {k: v for k, v in config.items() if not (k == "seed" and v is None)}
    return {"class_name": type(layer).__name__, "config": _lists(config)}


def keras2_model_config(model):
    """``model``'s architecture in tf.keras 2's JSON form."""
    from glassnet.io.model_config import model_to_config
    from glassnet.train import Sequential

    if isinstance(model, Sequential):
        return {"class_name": "Sequential",
                "config": {"name": model.name,
                           "layers": [_layer_config(layer) for layer in model._sublayers()]}}
    if model._graph is None:
        raise ValueError(f"cannot save the subclassed model '{model.name}' as .h5 (Keras 2 "
                         f"could not either); save it as .keras")
    graph_config = model_to_config(model)["config"]
    by_name = {layer.name: layer for layer in model._graph.layers}
    layers = []
    for entry in graph_config["layers"]:
        name = entry["config"].get("name") or entry.get("name")
        layer = by_name[name]
        nodes = []
        for call in entry["calls"]:
            if call.get("args") or "__keras_tensor__" in json.dumps(call.get("kwargs", {})):
                raise ValueError(f"cannot save as .h5: the layer '{name}' is called with "
                                 f"several tensor arguments, which Keras 2's format cannot "
                                 f"write; save as .keras")
            kwargs = dict(call.get("kwargs", {}))
            if "training" in call:
                kwargs["training"] = call["training"]
            nodes.append([[ref[0], ref[1], 0, kwargs] for ref in call["inputs"]])
        layers.append({**_layer_config(layer), "name": layer.name, "inbound_nodes": nodes})
    refs = {"input_layers": graph_config["inputs"], "output_layers": graph_config["outputs"]}
    return {"class_name": "Functional",
            "config": {"name": model.name, "trainable": model.trainable, "layers": layers,
                       **{k: [[r[0], r[1], 0] for r in v] for k, v in refs.items()}}}


def _training_config(model):
    from glassnet.io.compile_config import compile_config
    from glassnet.io.config_values import jsonable

    cc = jsonable(compile_config(model), "the compile settings")
    optimizer = cc.get("optimizer")
    if isinstance(optimizer, dict):  # unset options left out: tf.keras 2's h5 loader builds
        optimizer = {**optimizer, "config": {  # its legacy optimizers, which lack some
            k: v for k, v in optimizer["config"].items() if v is not None}}
    cc["optimizer"] = optimizer
    return {"loss": cc.get("loss"), "metrics": cc.get("metrics"), "weighted_metrics": None,
            "loss_weights": cc.get("loss_weights"), "optimizer_config": cc.get("optimizer")}


def _names(values):
    """A list of names as Keras writes it (fixed-length bytes; an empty one as floats)."""
    return np.array([v.encode("utf-8") for v in values]) if values else np.array([])


def write_weights_group(model, group):
    """One group per layer of ``model`` (``layer_names`` in order) with its weights."""
    layers = model.layers  # a Sequential's leave its InputLayer out, as Keras 2's
    group.attrs["layer_names"] = _names([layer.name for layer in layers])
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = KERAS_VERSION
    for layer in layers:
        layer_group = group.create_group(layer.name)
        weights = list(layer.trainable_weights) + list(layer.non_trainable_weights)
        names, seen = [], set()
        for w in weights:
            name = f"{layer.name}/{w.name.split('/')[-1]}"
            stem, n = name, 1
            while name in seen:  # a nested model's layers may all have a 'kernel'
                name, n = f"{stem}_{n}", n + 1
            seen.add(name)
            names.append(name + ":0")
        layer_group.attrs["weight_names"] = _names(names)
        for name, w in zip(names, weights):
            layer_group.create_dataset(name, data=backend.to_host(w.data))


def save_model_h5(model, filepath):
    """``model`` (architecture, weights, compile settings) in Keras 2's HDF5 layout."""
    from glassnet import __version__

    h5py = import_h5py()
    config = json.dumps(keras2_model_config(model))
    training = json.dumps(_training_config(model)) if model.compiled else None
    with atomic_write(filepath) as f:
        with h5py.File(f, "w") as h5:
            h5.attrs["keras_version"] = KERAS_VERSION
            h5.attrs["backend"] = BACKEND
            h5.attrs["glassnet_version"] = __version__
            h5.attrs["model_config"] = config
            if training is not None:
                h5.attrs["training_config"] = training
            write_weights_group(model, h5.create_group("model_weights"))


def save_weights_legacy_h5(model, filepath):
    """The weights only, in Keras 2's layout (``model.save_weights("w.h5")``)."""
    h5py = import_h5py()
    with atomic_write(filepath) as f:
        with h5py.File(f, "w") as h5:
            write_weights_group(model, h5)
