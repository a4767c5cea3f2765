"""A file format in which a pruned model is smaller: each sparse weight is stored as a
bitmask of its nonzero entries plus those entries, every other weight as it is.

For a weight of ``n`` float32 values of which ``nnz`` are nonzero, the bitmask costs
``ceil(n / 8)`` bytes and the values ``4 * nnz``, against ``4 * n`` dense: the bitmask form
is chosen when it is smaller (density below about 97 %). At 80 % sparsity a kernel takes
``n / 8 + 0.8 n`` bytes instead of ``4 n``, about a fifth.

The file is a zip of ``config.json`` (the architecture, as in ``.keras``),
``metadata.json`` (format name and version) and ``sparse.weights.npz``, whose members are
``dNNNNN`` (a dense weight), or ``mNNNNN`` (the packed bitmask, uint8, ``np.packbits``
order) with ``vNNNNN`` (the nonzero values in C order), NNNNN being the weight's index in
``model.weights``. "Nonzero" is decided on the bits, so ``-0.0`` and NaN survive and
``load_sparse`` returns every weight bit for bit. Reading is as safe as ``load_model``'s:
no pickle, nothing executed, every declared size checked against the model's weights and
the bitmask's count before anything is allocated. Compile settings and optimizer state are
not stored: this is a format for shipping a trained model.

>>> import os, tempfile
>>> import numpy as np
>>> from glassnet import keras
>>> model = keras.Sequential([keras.Input((100,)), keras.layers.Dense(100)])
>>> kernel = model.layers[0].kernel.numpy()
>>> kernel[np.abs(kernel) < np.quantile(np.abs(kernel), 0.9)] = 0.0
>>> model.layers[0].kernel.assign(kernel)  # doctest: +ELLIPSIS
<...>
>>> path = os.path.join(tempfile.mkdtemp(), "model.sparse")
>>> save_sparse(model, path)
>>> os.path.getsize(path) < 0.3 * 4 * 100 * 100
True
>>> bool((load_sparse(path).layers[0].kernel.numpy() == kernel).all())
True
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np

from glassnet.files import atomic_write
from glassnet.io.archive import (
    NpzReader,
    check_members,
    open_regular_file,
    open_zip,
    parse_json,
    read_member,
)
from glassnet.io.errors import UnsafeFileError
from glassnet.io.model_config import model_from_config, model_to_config
from glassnet.io.serialization import all_custom_objects
from glassnet.nn.layer import WeightBudgetError, weight_budget

__all__ = ["FORMAT", "load_sparse", "save_sparse", "sparse_weights"]

FORMAT = {"format": "glassnet-sparse-weights", "version": 1}
WEIGHTS = "sparse.weights.npz"
MEMBERS = ("config.json", "metadata.json", WEIGHTS)
MAX_METADATA_BYTES = 1 << 16
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _nonzero(array):
    """Entries whose bits are not all zero (so -0.0 and NaN count as values)."""
    flat = np.ascontiguousarray(array).reshape(-1)
    if flat.dtype.kind == "f" and flat.dtype.itemsize in _UNSIGNED:
        return flat.view(_UNSIGNED[flat.dtype.itemsize]) != 0
    return flat != 0


def sparse_weights(arrays):
    """The npz members for ``arrays``: each as ``d`` (dense) or ``m`` + ``v`` (bitmask and
    nonzero values), whichever is smaller."""
    members = {}
    for i, array in enumerate(arrays):
        array = np.ascontiguousarray(array)
        present = _nonzero(array)
        nnz = int(present.sum())
        if array.ndim == 0 or (array.size + 7) // 8 + nnz * array.itemsize >= array.nbytes:
            members[f"d{i:05d}"] = array
        else:
            members[f"m{i:05d}"] = np.packbits(present)
            members[f"v{i:05d}"] = array.reshape(-1)[present]
    return members


def save_sparse(model, filepath, compresslevel=6):
    """Write ``model`` (architecture and weights) to ``filepath``, sparse weights as bitmask
    plus values; atomic. A model still holding ``PruneLowMagnitude`` wrappers is stripped
    first (the file holds the plain model that ``strip_pruning`` gives)."""
    from glassnet.compress.pruning.callbacks import collect_prunable_layers
    from glassnet.compress.pruning.prune import strip_pruning
    from glassnet.train import Model

    if not isinstance(model, Model):
        raise TypeError(f"save_sparse: expected a Model. Received: {type(model).__name__}")
    if not model.built:
        raise ValueError(f"save_sparse: the model '{model.name}' is not built; call it on "
                         f"data or give it an Input first")
    if isinstance(compresslevel, bool) or compresslevel not in range(10):
        raise ValueError(f"save_sparse: compresslevel must be an integer from 0 to 9. "
                         f"Received: compresslevel={compresslevel!r}")
    if collect_prunable_layers(model):
        model = strip_pruning(model)
    buffer = io.BytesIO()
    np.savez(buffer, **sparse_weights(model.get_weights()))
    with atomic_write(os.fspath(filepath)) as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as z:
            z.writestr("config.json", json.dumps(model_to_config(model), indent=1))
            z.writestr("metadata.json", json.dumps(FORMAT))
            z.writestr(WEIGHTS, buffer.getvalue())


def load_sparse(filepath, custom_objects=None):
    """The model ``save_sparse`` wrote to ``filepath``, every weight bit for bit; a file it
    could not have written is refused with an ``UnsafeFileError``."""
    source = os.fspath(filepath)
    with open_regular_file(source) as f:
        archive = open_zip(f, source, "the file", max_entries=len(MEMBERS))
        with archive:
            infos = check_members(archive, source, MEMBERS)
            for required in MEMBERS:
                if required not in infos:
                    raise UnsafeFileError(f"{source} lacks the member '{required}'; it is not "
                                          f"a file written by save_sparse")
            metadata = parse_json(read_member(archive, infos["metadata.json"], source,
                                              limit=MAX_METADATA_BYTES), source,
                                  "metadata.json")
            if metadata != FORMAT:
                raise UnsafeFileError(f"{source}: metadata.json is {metadata!r}, expected "
                                      f"{FORMAT!r}; refused")
            config = parse_json(read_member(archive, infos["config.json"], source),
                                source, "config.json")
            reader = NpzReader(read_member(archive, infos[WEIGHTS], source), source, WEIGHTS)
            try:
                return _restore(reader, config, source, custom_objects)
            finally:
                reader.close()


def _budget(reader):
    """The most weight elements the file can describe: dense sizes, 8 per bitmask byte."""
    return sum(h.size if k[0] == "d" else 8 * h.size if k[0] == "m" else 0
               for k, h in reader.headers.items())


def _build(config, source, budget, custom_objects):
    try:
        with weight_budget(budget):
            model = model_from_config(config, all_custom_objects(custom_objects))
            shape = getattr(model, "_build_input_shape", None)
            if not model.built and shape is not None:
                model._build_for(shape)
    except WeightBudgetError as err:
        raise UnsafeFileError(f"{source}: config.json asks for more weights than {WEIGHTS} "
                              f"holds ({err}); refused") from None
    except (KeyError, TypeError, IndexError, AttributeError) as err:
        raise ValueError(f"{source}: config.json is malformed ({type(err).__name__}: "
                         f"{err})") from None
    return model


def _restore(reader, config, source, custom_objects):
    model = _build(config, source, _budget(reader), custom_objects)
    weights = model.weights
    expected = set()
    for i in range(len(weights)):
        dense, mask, values = f"d{i:05d}", f"m{i:05d}", f"v{i:05d}"
        expected.update((dense,) if dense in reader.headers else (mask, values))
    unexpected = sorted(set(reader.headers) - expected)
    if unexpected or not expected <= set(reader.headers):
        missing = sorted(expected - set(reader.headers))
        raise UnsafeFileError(f"{source}: {WEIGHTS} does not match the model's "
                              f"{len(weights)} weights (missing {missing[:3]}, unexpected "
                              f"{unexpected[:3]}); refused")
    for i, w in enumerate(weights):
        w.assign(_array(reader, i, w, source))
    return model


def _check(header, shape, dtype, label):
    if tuple(header.shape) != tuple(shape) or header.dtype.str[1:] != np.dtype(dtype).str[1:]:
        raise UnsafeFileError(f"{label} declares shape {header.shape} and dtype "
                              f"{header.dtype}, expected {tuple(shape)} and "
                              f"{np.dtype(dtype)}; refused")


def _array(reader, i, weight, source):
    shape, dtype = weight.data.shape, weight.data.dtype
    label = f"{source}: {WEIGHTS}: weight {i} ('{weight.name}')"
    dense = f"d{i:05d}"
    if dense in reader.headers:
        _check(reader.headers[dense], shape, dtype, label)
        return reader.array(dense)
    size = int(np.prod(shape, dtype=np.int64))
    mask_key, values_key = f"m{i:05d}", f"v{i:05d}"
    _check(reader.headers[mask_key], ((size + 7) // 8,), np.uint8, f"{label}: bitmask")
    present = np.unpackbits(reader.array(mask_key), count=size).astype(bool)
    if np.unpackbits(reader.array(mask_key))[size:].any():
        raise UnsafeFileError(f"{label}: the bitmask sets bits past the weight's {size} "
                              f"entries; refused")
    _check(reader.headers[values_key], (int(present.sum()),), dtype, f"{label}: values")
    flat = np.zeros(size, dtype)
    flat[present] = reader.array(values_key)
    return flat.reshape(shape)
