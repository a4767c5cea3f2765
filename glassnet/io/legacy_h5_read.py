"""Reading Keras 2's HDF5 files (``.h5`` / ``.hdf5``), as tf.keras 2 and Keras 3's legacy
writer make them, without executing anything from the file.

Two layouts: a whole model (root attributes ``model_config``, ``training_config``; group
``model_weights``) and weights only (``model.save_weights("w.h5")``; Keras's published
application weights): a root attribute ``layer_names`` and one group per layer whose
attribute ``weight_names`` lists its datasets in order.

What is read, and how: attributes only after their stored size is checked (JSON through
``archive.parse_json``: bounded, no duplicate keys); datasets only through hard links inside
the file (no soft or external links, external storage or virtual datasets), with built-in
filters only, and only after their shape and dtype are found equal to the model's weight
(``h5.check_dataset``); the architecture only from built-in, registered or
``custom_objects`` classes.
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet.io import archive
from glassnet.io.archive import parse_json
from glassnet.io.errors import UnsafeFileError
from glassnet.io.h5 import check_dataset, import_h5py, open_h5

MAX_NAMES = 1 << 16        # layers in a file, weights in a layer
MAX_ATTR_BYTES = archive.MAX_JSON_BYTES


def _attr(obj, name, filepath):
    """The attribute ``name`` of ``obj`` (None when absent), its size checked first."""
    h5py = import_h5py()
    if name not in obj.attrs:
        return None
    attr = h5py.h5a.open(obj.id, name.encode("utf-8"))
    try:
        # A string of variable length is counted here by its pointer; its text lies in the
        # file itself (attributes are never compressed), so it is bounded by the file's size.
        size = attr.get_storage_size()
    except RuntimeError:  # HDF5 reports an empty attribute (Keras's no weights) this way
        size = 0
    if size > MAX_ATTR_BYTES:
        raise UnsafeFileError(f"{filepath}: the attribute '{name}' is {size} bytes, over the "
                              f"{MAX_ATTR_BYTES}-byte limit; refused")
    if attr.dtype.kind not in "OSUfiu" or attr.dtype.names:
        raise UnsafeFileError(f"{filepath}: the attribute '{name}' has dtype {attr.dtype}; "
                              f"refused")
    try:
        return obj.attrs[name]
    except (OSError, TypeError, ValueError) as err:
        raise UnsafeFileError(f"{filepath}: the attribute '{name}' is unreadable "
                              f"({err}); refused") from None


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_names(obj, name, filepath):
    """A list-of-strings attribute (``layer_names``, ``weight_names``), also in Keras's
    chunked form (``name0``, ``name1``, ... when it outgrew one attribute)."""
    value = _attr(obj, name, filepath)
    if value is None and f"{name}0" in obj.attrs:
        chunks = []
        while f"{name}{len(chunks)}" in obj.attrs and len(chunks) < MAX_NAMES:
            chunks.append(np.atleast_1d(_attr(obj, f"{name}{len(chunks)}", filepath)))
        value = np.concatenate(chunks)
    if value is None:
        return None
    value = np.atleast_1d(np.asarray(value))
    if value.size and value.dtype.kind not in "OSU":
        raise UnsafeFileError(f"{filepath}: the attribute '{name}' holds {value.dtype}, not "
                              f"names; refused")
    if value.size > MAX_NAMES:
        raise UnsafeFileError(f"{filepath}: the attribute '{name}' lists {value.size} names, "
                              f"over the limit of {MAX_NAMES}; refused")
    return [_text(v) for v in value.tolist()]


def read_json(obj, name, filepath):
    value = _attr(obj, name, filepath)
    if value is None:
        return None
    data = value if isinstance(value, bytes) else _text(value).encode("utf-8")
    return parse_json(data, filepath, f"the attribute '{name}'")


def _member(group, name, filepath, kind):
    """``group[name]`` reached through hard links only, and of ``kind``."""
    h5py = import_h5py()
    for part in name.split("/")[:-1]:
        group = _member(group, part, filepath, h5py.Group)
    last = name.split("/")[-1]
    link = group.get(last, getlink=True)
    if link is None:
        raise ValueError(f"{filepath}: '{group.name}/{last}' is missing")
    if not isinstance(link, h5py.HardLink):
        raise UnsafeFileError(f"{filepath}: '{group.name}/{last}' is a link, not data stored "
                              f"in the file; refused")
    found = group[last]
    if kind is not None and not isinstance(found, kind):
        raise UnsafeFileError(f"{filepath}: '{group.name}/{last}' is not a "
                              f"{kind.__name__.lower()}; refused")
    return found


# -- weights -------------------------------------------------------------------------------

def _saved_layers(group, filepath):
    """[(layer name, [weight names])] of a Keras weights group, in the file's order."""
    names = read_names(group, "layer_names", filepath)
    if names is None:
        raise UnsafeFileError(f"{filepath} has no 'layer_names' attribute: it is not a Keras "
                              f"HDF5 weights file")
    layers = []
    for name in names:
        layer_group = _member(group, name, filepath, import_h5py().Group)
        layers.append((name, read_names(layer_group, "weight_names", filepath) or [],
                       layer_group))
    return layers


def _orders(layer):
    """The weight orders a Keras file may use for ``layer``: glassnet's, and Keras's legacy
    trainable-then-non-trainable order (which differs for models nested as layers)."""
    weights = list(layer.weights)
    legacy = list(layer.trainable_weights) + list(layer.non_trainable_weights)
    return [weights] if legacy == weights else [weights, legacy]


def _assign_layer(layer, names, group, filepath, skip_mismatch):
    """Read the datasets ``names`` of ``group`` into ``layer``'s weights."""
    h5py = import_h5py()
    found = [_member(group, n, filepath, h5py.Dataset) for n in names]
    shapes = [tuple(ds.shape) for ds in found]
    where = f"{filepath}: layer '{layer.name}'"
    for order in _orders(layer):
        if [p.data.shape for p in order] == shapes:
            break
    else:
        message = (f"{where}: the file holds {len(names)} weights of shapes {shapes}, the "
                   f"model's layer {len(layer.weights)} of shapes "
                   f"{[p.data.shape for p in layer.weights]}")
        if skip_mismatch:
            warnings.warn(f"Skipping loading weights for layer #{layer.name}: {message}",
                          stacklevel=4)
            return
        raise ValueError(message)
    values = []
    for p, name, ds in zip(order, names, found):
        # The dtype must be the model's exactly: weights are never converted on loading.
        ds = check_dataset(h5py, ds.parent, ds.name.split("/")[-1],
                            (p.data.shape, p.data.dtype, p.name), filepath)
        try:
            values.append(np.asarray(ds[()]))
        except OSError as err:
            raise UnsafeFileError(f"{where}: '{name}' is damaged ({err}); refused") from None
    for p, v in zip(order, values):
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            warnings.warn(f"{where}: weight '{p.name}' holds NaN or infinite values",
                          RuntimeWarning, stacklevel=4)
        p.assign(v.astype(p.data.dtype, copy=False))


def _model_layers(model):
    return [layer for layer in model.layers if layer.weights]


def load_weights_group(model, group, filepath, skip_mismatch=False, by_name=False):
    """Keras 2's ``load_weights``: layers with weights matched in order (by_name=False) or
    by name (by_name=True, layers the file lacks left as they are)."""
    saved = _saved_layers(group, filepath)
    total = sum(int(_member(g, n, filepath, None).size) for _, names, g in saved
                for n in names)
    if total * 8 > archive.MAX_TOTAL_BYTES:
        raise UnsafeFileError(f"{filepath} declares {total} weight elements, over the "
                              f"limit; refused")
    if by_name:
        by = {name: (names, g) for name, names, g in saved}
        for layer in _model_layers(model):
            if layer.name in by:
                _assign_layer(layer, *by[layer.name], filepath, skip_mismatch)
        return
    saved = [s for s in saved if s[1]]
    layers = _model_layers(model)
    if len(saved) != len(layers):
        raise ValueError(f"Layer count mismatch when loading weights from file. Model "
                         f"expected {len(layers)} layers, found {len(saved)} saved layers. "
                         f"({filepath}; the model's layers with weights: "
                         f"{[layer.name for layer in layers]}, the file's: "
                         f"{[s[0] for s in saved]})")
    for layer, (_, names, g) in zip(layers, saved):
        _assign_layer(layer, names, g, filepath, skip_mismatch)


def is_legacy_layout(h5):
    return "layer_names" in h5.attrs or "layer_names0" in h5.attrs or "model_weights" in h5


def load_weights_h5(model, filepath, skip_mismatch=False, by_name=False):
    """Weights from a Keras HDF5 file, whole-model or weights-only."""
    with open_h5(filepath) as h5:
        group = h5
        if "layer_names" not in h5.attrs and "model_weights" in h5:
            group = _member(h5, "model_weights", filepath, import_h5py().Group)
        load_weights_group(model, group, filepath, skip_mismatch, by_name)


# -- whole models --------------------------------------------------------------------------

def load_model_h5(filepath, custom_objects=None, compile=True):  # noqa: A002 - Keras's name
    """A model from a Keras HDF5 file: built from ``model_config`` (registered classes only,
    no more weight elements than the file holds), weights read into it, and compiled from
    ``training_config`` when ``compile`` (a setting glassnet lacks is warned about and the
    model returned uncompiled, as Keras does)."""
    from glassnet import backend
    from glassnet.io.keras_config import keras_layer_from_config
    from glassnet.io.serialization import all_custom_objects
    from glassnet.nn.layer import WeightBudgetError, weight_budget

    custom = all_custom_objects(custom_objects)
    with open_h5(filepath) as h5:
        config = read_json(h5, "model_config", filepath)
        if config is None:
            raise ValueError(f"No model config found in the file at {filepath}: it holds "
                             f"weights only; build the model and call model.load_weights()")
        group = _member(h5, "model_weights", filepath, import_h5py().Group)
        saved = _saved_layers(group, filepath)
        budget = sum(int(_member(g, n, filepath, None).size) for _, names, g in saved
                     for n in names)
        rng_state = backend.generator().bit_generator.state
        try:
            with weight_budget(budget):
                model = keras_layer_from_config(config, custom)
        except WeightBudgetError as err:
            raise UnsafeFileError(f"{filepath}: model_config asks for more weights than the "
                                  f"file holds ({err}); refused") from None
        except UnsafeFileError:
            raise
        except (ValueError, TypeError) as err:
            raise ValueError(f"{filepath}: model_config: {err}") from None
        finally:
            backend.generator().bit_generator.state = rng_state
        load_weights_group(model, group, filepath, by_name=True)
        training = read_json(h5, "training_config", filepath) if compile else None
    if training is not None:
        _compile(model, training, custom, filepath)
    return model


def _compile(model, training, custom, filepath):
    from glassnet.io.keras_config import optimizer_config

    try:
        optimizer = training.get("optimizer_config")
        if isinstance(optimizer, dict):
            from glassnet import optim

            name = optimizer["class_name"]
            optimizer = optim.get({"class_name": name.split(">")[-1],
                                   "config": optimizer_config(name, optimizer["config"])})
        loss = training.get("loss")
        if isinstance(loss, str) and loss in custom:
            loss = custom[loss]
        model.compile(optimizer=optimizer or "rmsprop", loss=loss,
                      metrics=_metrics(training.get("metrics")),
                      loss_weights=training.get("loss_weights"))
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        warnings.warn(f"{filepath}: the model was loaded uncompiled: its training_config "
                      f"could not be used ({err}); compile it yourself", stacklevel=3)


def _metrics(spec):
    """Keras 2's metric list (names, or ``MeanMetricWrapper`` configs naming a function)."""
    if spec is None:
        return None
    out = []
    for item in spec if isinstance(spec, list) else [spec]:
        if isinstance(item, list):
            out.extend(_metrics(item))
        elif isinstance(item, dict):
            config = item.get("config", {})
            out.append(config.get("fn") if item.get("class_name") == "MeanMetricWrapper"
                       else config.get("name", item.get("class_name")))
        else:
            out.append(item)
    return out
