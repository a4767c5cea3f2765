"""Saving and loading models without ever executing anything from the file.

A ``.keras`` file is a zip holding ``config.json`` (the architecture: class names and
arguments; the compile settings), ``metadata.json`` (glassnet version, date, the shuffling
generator's state), ``model.weights.npz`` and ``optimizer.npz`` (arrays, read from their
``.npy`` headers, never unpickled). Loading builds only registered classes by name (see
``registry``), and only within the sizes the weights declare; every size is checked against
the file before anything is allocated for it (see ``archive``). Writes are atomic.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import warnings
import zipfile

import numpy as np

from glassnet.files import atomic_write
from glassnet.io import archive as _archive
from glassnet.io.archive import (
    NpzReader,
    check_members,
    open_regular_file,
    open_zip,
    parse_json,
    read_member,
)
from glassnet.io.compile_config import compile_config, compile_from_config
from glassnet.io.config_values import jsonable
from glassnet.io.errors import UnsafeFileError
from glassnet.io.member_stream import MemberStream
from glassnet.io.model_config import (
    layer_from_config,
    layer_to_config,
    model_to_config,
)
from glassnet.io.serialization import all_custom_objects
from glassnet.io.state import (
    check_optimizer_headers,
    restore_shuffle_state,
    shuffle_state,
)

WEIGHTS_NAME = "model.weights.npz"
OPTIMIZER_NAME = "optimizer.npz"
MEMBERS = ("config.json", "metadata.json", WEIGHTS_NAME, OPTIMIZER_NAME)
MAX_METADATA_BYTES = 1 << 20

__all__ = ["MEMBERS", "OPTIMIZER_NAME", "UnsafeFileError", "WEIGHTS_NAME", "layer_from_config",
           "layer_to_config", "load_model", "load_weights", "model_from_config",
           "model_to_config", "save_model", "save_weights"]


# -- weights -------------------------------------------------------------------------------

def _npz_bytes(named):
    buffer = io.BytesIO()
    np.savez(buffer, **named)
    return buffer.getvalue()


def _weights_bytes(arrays):
    return _npz_bytes({f"{i:05d}": a for i, a in enumerate(arrays)})


def _weight_keys(reader):
    """The weights' keys in order, refusing names a glassnet file never has."""
    keys = sorted(reader.headers)
    if keys != [f"{i:05d}" for i in range(len(keys))]:
        odd = next((k for k in keys if not re.fullmatch(r"[0-9]{5,9}", k)), keys[-1])
        raise UnsafeFileError(f"{reader.source}: {reader.where}: unexpected member '{odd}.npy' "
                              f"(the weights are numbered 00000, 00001, ...); refused")
    return keys


def _check_weight_headers(model, declared, source, weights=None):
    """``declared``: (shape, dtype) per weight; each must be the model's exactly."""
    weights = model.weights if weights is None else weights
    if len(declared) != len(weights):
        raise ValueError(f"{source} holds {len(declared)} weight arrays but the model has "
                         f"{len(weights)}")
    for p, (shape, dtype) in zip(weights, declared):
        if tuple(shape) != p.data.shape:
            raise ValueError(f"{source}: weight '{p.name}' has shape {tuple(shape)} in the file "
                             f"but {p.data.shape} in the model")
        if dtype.str[1:] != p.data.dtype.str[1:]:
            raise ValueError(f"{source}: weight '{p.name}' has dtype {dtype} in the file but "
                             f"{p.data.dtype} in the model; refused (weights are never "
                             f"converted on loading)")


def _assign_weights(model, arrays, source):
    _check_weight_headers(model, [(a.shape, a.dtype) for a in arrays], source)
    for p, a in zip(model.weights, arrays):
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            warnings.warn(f"{source}: weight '{p.name}' holds NaN or infinite values",
                          RuntimeWarning, stacklevel=3)
        p.assign(a.astype(p.data.dtype, copy=False))


def _load_npz_weights(model, reader, saved_order=None):
    """The weights of ``reader`` into ``model``; ``saved_order``: the model's weights in the
    order the file lists them, when that is not ``model.weights``' (an older file)."""
    keys = _weight_keys(reader)
    headers = [reader.headers[k] for k in keys]
    params = model.weights if saved_order is None else saved_order
    _check_weight_headers(model, [(h.shape, h.dtype) for h in headers], reader.source, params)
    for p, key in zip(params, keys):
        a = reader.array(key)
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            warnings.warn(f"{reader.source}: weight '{p.name}' holds NaN or infinite values",
                          RuntimeWarning, stacklevel=3)
        p.assign(a.astype(p.data.dtype, copy=False))


def _path(filepath, caller):
    """``filepath`` as a str, or a TypeError naming what was received."""
    try:
        path = os.fspath(filepath)
    except TypeError:
        raise TypeError(f"{caller}: filepath must be a path (a str or os.PathLike); received "
                        f"{filepath!r} of type {type(filepath).__name__}") from None
    return os.fsdecode(path)


def _h5_suffix(filepath):
    return filepath.endswith((".h5", ".hdf5")) and not filepath.endswith(".weights.h5")


def _refuse_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False; not written")


def save_weights(model, filepath, overwrite=True):
    """The weights, in ``model.weights`` order, to a ``.weights.npz`` file (atomically);
    ``.weights.h5`` for glassnet's HDF5 file, another ``.h5`` / ``.hdf5`` for Keras 2's
    weights-only layout (which tf.keras 2 reads)."""
    filepath = _path(filepath, "save_weights")
    _refuse_overwrite(filepath, overwrite)
    if _h5_suffix(filepath):
        from glassnet.io.legacy_h5_write import save_weights_legacy_h5

        return save_weights_legacy_h5(model, filepath)
    if filepath.endswith(".weights.h5"):
        from glassnet.io.h5 import save_weights_h5

        return save_weights_h5(model.get_weights(), filepath)
    if not filepath.endswith(".weights.npz"):
        raise ValueError(f"save_weights: the filename must end in .weights.npz, .weights.h5 "
                         f"or (Keras 2's layout) .h5. Received: {filepath}")
    with atomic_write(filepath) as f:
        f.write(_weights_bytes(model.get_weights()))


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Read weights saved by ``save_weights`` into ``model``: shapes and dtypes must be the
    model's; a NaN or infinity is warned about, naming the weight.

    An HDF5 file in Keras 2's layout (whole model or weights only, as tf.keras 2 and Keras's
    published application weights are) is matched layer by layer: in order among the layers
    that have weights, or by layer name with ``by_name=True``; ``skip_mismatch=True`` skips
    (with a warning) a layer whose weights' shapes differ instead of raising."""
    filepath = _path(filepath, "load_weights")
    if filepath.endswith((".h5", ".hdf5")):
        from glassnet.io import legacy_h5_read

        with legacy_h5_read.open_h5(filepath) as h5:
            legacy = legacy_h5_read.is_legacy_layout(h5)
        if legacy:
            return legacy_h5_read.load_weights_h5(model, filepath, skip_mismatch, by_name)
    if filepath.endswith(".weights.h5"):
        from glassnet.io.h5 import load_arrays_h5

        expected = [(p.data.shape, p.data.dtype, p.name) for p in model.weights]
        return _assign_weights(model, load_arrays_h5(filepath, expected), filepath)
    with open_regular_file(filepath) as f:
        size = os.fstat(f.fileno()).st_size
        if size > _archive.MAX_TOTAL_BYTES:
            raise UnsafeFileError(f"{filepath} is {size} bytes, over the "
                                  f"{_archive.MAX_TOTAL_BYTES}-byte limit; refused")
        reader = NpzReader(f, filepath, "the weights")  # read in place, one array at a time
        try:
            _load_npz_weights(model, reader)
        finally:
            reader.close()


def model_from_config(config, custom_objects=None):
    """A model (untrained) from its config: glassnet's (``model_to_config``) or as Keras 2 or
    Keras 3 write it; classes registered with ``register_keras_serializable`` are found
    without ``custom_objects``."""
    from glassnet.io.keras_config import keras_layer_from_config

    return keras_layer_from_config(config, all_custom_objects(custom_objects))


def _model_from_config(config, custom_objects):
    from glassnet.io.model_config import model_from_config as build

    return build(config, custom_objects)


# -- whole models --------------------------------------------------------------------------

def save_model(model, filepath, overwrite=True, **kwargs):
    """The whole model (architecture, weights, compile settings, optimizer state, the
    shuffling generator) to a ``.keras`` zip, atomically; to ``.h5`` / ``.hdf5`` in Keras 2's
    legacy HDF5 layout (architecture, weights, compile settings)."""
    filepath = _path(filepath, "save")
    kwargs.pop("include_optimizer", None)
    save_format = kwargs.pop("save_format", None)
    if save_format and not filepath.endswith((".keras", ".h5", ".hdf5")):
        raise ValueError(f"The `save_format` argument is deprecated in Keras 3. Please "
                         f"remove this argument and pass a file path with either `.keras` or "
                         f"`.h5` extension.Received: save_format={save_format}")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    _refuse_overwrite(filepath, overwrite)
    if filepath.endswith((".h5", ".hdf5")):
        from glassnet.io.legacy_h5_write import save_model_h5

        return save_model_h5(model, filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving. Please add either a "
                         f"`.keras` extension for the native Keras format (recommended) or a "
                         f"`.h5` extension. Use `model.export(filepath)` if you want to export "
                         f"a SavedModel for use with TFLite/TFServing/etc. Received: "
                         f"filepath={filepath}.")
    from glassnet import __version__

    config = model_to_config(model)
    if model.compiled:
        config["compile_config"] = jsonable(compile_config(model), "the compile settings")
    metadata = {"glassnet_version": __version__,
                "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    rng = shuffle_state(model)
    if rng is not None:
        metadata["shuffle_rng"] = rng
    with atomic_write(filepath) as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("config.json", json.dumps(config, indent=1))
            archive.writestr("metadata.json", json.dumps(metadata))
            # float arrays hardly compress: the fastest deflate level keeps saving quick
            archive.writestr(WEIGHTS_NAME, _weights_bytes(model.get_weights()),
                             compresslevel=1)
            if model.compiled and model.optimizer is not None:
                state = model.optimizer.state_dict()
                archive.writestr(OPTIMIZER_NAME, _npz_bytes(
                    {k.replace("/", "__"): v for k, v in state.items()}), compresslevel=1)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """A model saved by ``save_model``; only registered classes (and ``custom_objects``)
    are built, nothing in the file is executed, and files that could not have been written
    by ``save_model`` (unexpected or duplicate members, sizes that disagree, encryption,
    damage, pickled arrays, links) are refused with an ``UnsafeFileError``.

    Loading draws no random numbers: the layers are built and their initial values replaced,
    with the random generator's state restored afterwards.
    """
    filepath = _path(filepath, "load_model")
    custom_objects = all_custom_objects(custom_objects)
    if filepath.endswith((".h5", ".hdf5")):
        from glassnet.io.legacy_h5_read import load_model_h5

        return load_model_h5(filepath, custom_objects, compile)
    with open_regular_file(filepath) as f:
        archive = open_zip(f, filepath, "the file")
        with archive:
            return _load_from_archive(archive, filepath, custom_objects, compile)


def _load_from_archive(archive, filepath, custom_objects, compile):  # noqa: A002
    infos = check_members(archive, filepath, MEMBERS)
    for required in ("config.json", WEIGHTS_NAME):
        if required not in infos:
            raise UnsafeFileError(f"{filepath} lacks the member '{required}'; it is not a "
                                  f"glassnet .keras file")
    config = parse_json(read_member(archive, infos["config.json"], filepath,
                                    limit=_archive.MAX_JSON_BYTES), filepath, "config.json")
    metadata = {}
    if "metadata.json" in infos:
        metadata = parse_json(read_member(archive, infos["metadata.json"], filepath,
                                          limit=MAX_METADATA_BYTES), filepath, "metadata.json")
        if not isinstance(metadata, dict):
            raise UnsafeFileError(f"{filepath}: metadata.json is not a JSON object; refused")
    weights = _member_npz(archive, infos[WEIGHTS_NAME], filepath, WEIGHTS_NAME)
    optimizer = None
    try:
        if OPTIMIZER_NAME in infos:
            optimizer = _member_npz(archive, infos[OPTIMIZER_NAME], filepath, OPTIMIZER_NAME)
        keys = _weight_keys(weights)
        model = _build(config, custom_objects, weights.total_elements, len(keys), filepath)
        saved_order = _weights_in_call_order(model) \
            if metadata.get("glassnet_version") in LAYERS_IN_CALL_ORDER else None
        _load_npz_weights(model, weights, saved_order)
        if compile and isinstance(config, dict) and "compile_config" in config:
            _compile(model, config["compile_config"], custom_objects, filepath)
            if optimizer is not None:
                label = f"{filepath}: {OPTIMIZER_NAME}"
                named = {k.replace("__", "/"): h for k, h in optimizer.headers.items()}
                if saved_order is not None:
                    named = _renumbered_state(named, model, saved_order)
                check_optimizer_headers(named, model, model.optimizer, label)
                state = {k.replace("__", "/"): optimizer.array(k) for k in optimizer.headers}
                if saved_order is not None:
                    state = _renumbered_state(state, model, saved_order)
                model.optimizer.load_state_dict(state)
        if "shuffle_rng" in metadata:
            restore_shuffle_state(model, metadata["shuffle_rng"], f"{filepath}: metadata.json")
    finally:
        weights.close()
        if optimizer is not None:
            optimizer.close()
    return model


# glassnet versions whose files list a functional model's weights with its layers in call
# order; later ones use Keras's order (by depth from the outputs), as Model.layers does.
LAYERS_IN_CALL_ORDER = ("0.1.0",)


def _weights_in_call_order(layer):
    """``layer.weights`` as those versions listed them: the same rule (own trainable, own
    non-trainable, then each sub-layer's, once each), with a functional model's layers in
    call order."""
    graph = getattr(layer, "_graph", None)
    if graph is None:
        return layer.weights
    sublayers = list(dict.fromkeys(t.layer for t in [*graph.inputs, *graph.nodes]))
    own = layer._own_parameters()
    found = [p for p in own if p.trainable] + [p for p in own if not p.trainable]
    for sub in sublayers:
        found.extend(_weights_in_call_order(sub))
    return list({id(p): p for p in found}.values())


def _renumbered_state(state, model, saved_order):
    """Optimizer state keyed ``"<i>/<slot>"`` by the file's order of the trainable weights,
    keyed by the model's order."""
    trainable = [p for p in saved_order if p.trainable]
    index = {id(p): i for i, p in enumerate(model.trainable_weights)}
    renumbered = {}
    for key, value in state.items():
        head, sep, slot = key.partition("/")
        if sep and head.isdigit() and int(head) < len(trainable):
            key = f"{index[id(trainable[int(head)])]}/{slot}"
        renumbered[key] = value
    return renumbered


IN_MEMORY_BYTES = 64 << 20  # a member up to this size is read whole (one decompression)


def _member_npz(archive, info, filepath, name):
    """The .npz in a member: read whole when small, streamed otherwise (a deflated member may
    declare gigabytes; it is never held in memory); either way its arrays' headers are
    checked before any of their data is read."""
    if info.file_size <= IN_MEMORY_BYTES:
        return NpzReader(read_member(archive, info, filepath), filepath, name)
    stream = MemberStream(archive, info, filepath)
    try:
        return NpzReader(stream, filepath, name)
    except BaseException:
        stream.close()
        raise


def _compile(model, cc, custom_objects, filepath):
    try:
        compile_from_config(model, cc, custom_objects, filepath)
    except UnsafeFileError:
        raise
    except ValueError as err:
        if filepath in str(err):
            raise
        raise ValueError(f"{filepath}: config.json: compile_config: {err}") from None


def _build(config, custom_objects, budget, n_weights, filepath):
    """The model ``config`` describes, built with no more weight elements than the file
    holds (a config asking for ``units: 10**12`` is refused before allocating), drawing no
    random numbers."""
    from glassnet import backend
    from glassnet.nn.layer import WeightBudgetError, weight_budget

    rng_state = backend.generator().bit_generator.state
    try:
        with weight_budget(budget):
            model = _model_from_config(config, custom_objects)  # registered classes only
            if not model.built or len(model.weights) != n_weights:
                shape = getattr(model, "_build_input_shape", None)
                if shape is not None:
                    model._build_for(shape)
    except WeightBudgetError as err:
        raise UnsafeFileError(f"{filepath}: config.json asks for more weights than "
                              f"{WEIGHTS_NAME} holds ({err}); refused") from None
    except UnsafeFileError:
        raise
    except ValueError as err:
        raise ValueError(f"{filepath}: {err}") from None
    except (KeyError, TypeError, IndexError, AttributeError, RecursionError) as err:
        raise ValueError(f"{filepath}: config.json is malformed ({type(err).__name__}: "
                         f"{err})") from err
    finally:
        backend.generator().bit_generator.state = rng_state
    return model
