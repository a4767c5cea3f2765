"""``.weights.h5``: one dataset per weight (``00000``, ``00001``, ...), read only when it is a
plain dataset stored inside the file, of the shape and dtype the model expects."""

from __future__ import annotations

import contextlib
import re

import numpy as np

from glassnet.files import atomic_write
from glassnet.io import archive
from glassnet.io.archive import open_regular_file
from glassnet.io.errors import UnsafeFileError

_NAME = re.compile(r"[0-9]{5,9}\Z")
# Filters HDF5 ships with (gzip, shuffle, fletcher32, lzf, scale-offset); a plugin filter
# would load code from the plugin path.
_FILTERS = {"gzip", "deflate", "shuffle", "fletcher32", "lzf", "scaleoffset"}


def import_h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("saving weights as .weights.h5 needs h5py: "
                          "pip install 'glassnet[h5]'") from None
    return h5py


def save_weights_h5(arrays, filepath):
    h5py = import_h5py()
    with atomic_write(filepath) as f:
        with h5py.File(f, "w") as h5:
            for i, w in enumerate(arrays):
                h5.create_dataset(f"{i:05d}", data=w)


def check_dataset(h5py, h5, name, expected, filepath):
    label = f"{filepath}: dataset '{name}'"
    link = h5.get(name, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        kind = "an external link" if isinstance(link, h5py.ExternalLink) else "a soft link"
        raise UnsafeFileError(f"{label} is {kind}; only data stored in the file is read; "
                              f"refused")
    ds = h5[name]
    if not isinstance(ds, h5py.Dataset):
        raise UnsafeFileError(f"{label} is not a dataset; refused")
    if ds.external:
        raise UnsafeFileError(f"{label} keeps its data in external files "
                              f"({ds.external[0][0]!s}...); refused")
    if ds.is_virtual:
        raise UnsafeFileError(f"{label} is a virtual dataset (data from other files); refused")
    plist = ds.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        filter_name = plist.get_filter(i)[3].decode("ascii", "replace").lower()
        if not any(known in filter_name.replace("-", "").replace(" ", "")
                   for known in _FILTERS):
            raise UnsafeFileError(f"{label} uses the filter '{filter_name}'; only gzip, lzf, "
                                  f"shuffle and fletcher32 are read; refused")
    dtype, shape = ds.dtype, ds.shape
    if shape is None or dtype.kind not in "biuf" or dtype.names:
        raise UnsafeFileError(f"{label} has dtype {dtype}; only plain numeric arrays are "
                              f"read; refused")
    weight_shape, weight_dtype, weight_name = expected
    if tuple(shape) != weight_shape or dtype.str[1:] != weight_dtype.str[1:]:
        raise ValueError(f"{filepath}: weight '{weight_name}' has shape {tuple(shape)} and "
                         f"dtype {dtype} in the file but {weight_shape} and {weight_dtype} in "
                         f"the model")
    return ds


@contextlib.contextmanager
def open_h5(filepath):
    """The HDF5 file at ``filepath`` (a regular file, opened once), read-only."""
    h5py = import_h5py()
    with open_regular_file(filepath) as f:
        try:
            h5 = h5py.File(f, "r")
        except OSError as err:
            raise UnsafeFileError(f"{filepath} is not an HDF5 file, or is damaged "
                                  f"({err})") from None
        with h5:
            yield h5


def load_arrays_h5(filepath, expected):
    """The weights of a ``.weights.h5`` file, each checked against ``expected`` (a list of
    (shape, dtype, name)) before it is read."""
    h5py = import_h5py()
    with open_h5(filepath) as h5:
        names = sorted(h5.keys())
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise UnsafeFileError(f"{filepath}: unexpected entry '{bad[0]}' (a glassnet "
                                  f"weights file holds datasets 00000, 00001, ...); refused")
        if names != [f"{i:05d}" for i in range(len(names))]:
            raise UnsafeFileError(f"{filepath}: the datasets are not numbered 00000 to "
                                  f"{len(names) - 1:05d}; refused")
        if len(names) != len(expected):
            raise ValueError(f"{filepath} holds {len(names)} weight arrays but the model "
                             f"has {len(expected)}")
        datasets = [check_dataset(h5py, h5, n, e, filepath)
                    for n, e in zip(names, expected)]
        total = sum(int(ds.size) * ds.dtype.itemsize for ds in datasets)
        if total > archive.MAX_TOTAL_BYTES:
            raise UnsafeFileError(f"{filepath} declares {total} bytes of weights, over the "
                                  f"{archive.MAX_TOTAL_BYTES}-byte limit; refused")
        try:
            return [np.asarray(ds[()]) for ds in datasets]
        except OSError as err:
            raise UnsafeFileError(f"{filepath} is damaged ({err}); refused") from None
