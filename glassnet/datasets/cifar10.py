"""CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 pixels, 10 classes.

Downloaded from the address Keras uses (``cifar-10-python.tar.gz``, checked against the
SHA-256 Keras pins) into ``<cache>/datasets`` and extracted safely into
``cifar-10-batches-py-target/cifar-10-batches-py``, Keras's layout. The batches are pickled
dicts; they are read by glassnet's own reader of plain data (``_safe_pickle``), never by
pickle.
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.datasets import _safe_pickle
from glassnet.datasets._fetch import keras_get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
DIRNAME = "cifar-10-batches-py-target"
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck"]


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of one CIFAR batch file: uint8 ``(n, 3, 32, 32)`` and the label
    list, as Keras's ``load_batch``."""
    with open(fpath, "rb") as f:
        batch = _safe_pickle.loads(f.read())
    if not isinstance(batch, dict):
        raise ValueError(f"{fpath}: expected a pickled dict. Received: "
                         f"{type(batch).__name__}")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{fpath}: expected the keys 'data' and {label_key!r}. Received: "
                         f"{sorted(batch)}")
    data, labels = batch["data"], batch[label_key]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 \
            or len(labels) != len(data):
        raise ValueError(f"{fpath}: expected data of shape (n, 3072) and n labels. Received: "
                         f"data {getattr(data, 'shape', type(data).__name__)}, "
                         f"{len(labels)} labels")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def load_data():
    """``((x_train, y_train), (x_test, y_test))`` as Keras returns them: uint8 images
    ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels last) and uint8 labels
    ``(n, 1)``.

    >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    """
    path = keras_get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=SHA256,
                          trust_cache=True)
    path = os.path.join(path, "cifar-10-batches-py")
    batches = []
    while os.path.exists(os.path.join(path, f"data_batch_{len(batches) + 1}")):
        batches.append(load_batch(os.path.join(path, f"data_batch_{len(batches) + 1}")))
    if not batches:
        raise ValueError(f"{path} holds no data_batch_1: it is not CIFAR-10's "
                         f"cifar-10-batches-py folder")
    x_train = np.concatenate([x for x, _ in batches]).astype(np.uint8, copy=False)
    y_train = np.concatenate([np.asarray(y) for _, y in batches]).astype(np.uint8)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1)).astype(y_train.dtype)
    x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test)
