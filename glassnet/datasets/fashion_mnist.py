"""Fashion-MNIST: 60,000 training and 10,000 test images of 28x28 pixels, 10 clothing classes.

Looked up as the four standard IDX ``.gz`` files in ``<cache>/fashion-mnist``, then in the
folder Debian's ``dataset-fashion-mnist`` package installs, else downloaded from the address
Keras uses and checked against its SHA-256s.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from glassnet.datasets._fetch import cache_dir, get_file

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {  # SHA-256 of the files at BASE (Keras's hashes)
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    """An IDX file (gzipped or not) as a uint8 array of the shape its header gives."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = tuple(int(n) for n in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = 4 + 4 * ndim + int(np.prod(dims))
    if len(data) != expected:
        raise ValueError(f"{path}: the header announces shape {dims} but the file has "
                         f"{len(data)} bytes instead of {expected}")
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_files():
    """Paths of the four files if they are all present locally, else None."""
    for folder in (cache_dir() / "fashion-mnist", DEBIAN_DIR):
        paths = [folder / name for name in FILES]
        if all(p.exists() for p in paths):
            return paths
    return None


def load_data():
    """``((x_train, y_train), (x_test, y_test))`` as uint8 arrays, exactly as Keras returns."""
    paths = find_files() or [get_file(name, BASE + name, sha, subdir="fashion-mnist")
                             for name, sha in FILES.items()]
    y_train, x_train, y_test, x_test = (read_idx(p) for p in paths)
    return (x_train, y_train), (x_test, y_test)
