"""CIFAR-100: 50,000 training and 10,000 test colour images of 32x32 pixels, 100 classes
(``"fine"``) grouped into 20 superclasses (``"coarse"``).

Downloaded from the address Keras uses (``cifar-100-python.tar.gz``, checked against the
SHA-256 Keras pins) and extracted safely into
``<cache>/datasets/cifar-100-python-target/cifar-100-python``; its pickled ``train`` and
``test`` files are read by glassnet's reader of plain data, never by pickle.
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.datasets._fetch import keras_get_file
from glassnet.datasets.cifar10 import load_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
DIRNAME = "cifar-100-python-target"


def load_data(label_mode="fine"):
    """``((x_train, y_train), (x_test, y_test))`` as Keras returns them: uint8 images
    ``(n, 32, 32, 3)`` and int64 labels ``(n, 1)`` (``label_mode`` "fine" or "coarse").

    >>> (x_train, y_train), _ = load_data(label_mode="coarse")  # doctest: +SKIP
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
                         f"label_mode={label_mode}.")
    path = keras_get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=SHA256,
                          trust_cache=True)
    path = os.path.join(path, "cifar-100-python")
    x_train, y_train = load_batch(os.path.join(path, "train"), f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), f"{label_mode}_labels")
    # a reshape of the label list, as Keras: int64 labels
    y_train = np.reshape(np.asarray(y_train, dtype=np.int64), (len(y_train), 1))
    y_test = np.reshape(np.asarray(y_test, dtype=np.int64), (len(y_test), 1))
    return (x_train.transpose(0, 2, 3, 1), y_train), (x_test.transpose(0, 2, 3, 1), y_test)
