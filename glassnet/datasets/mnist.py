"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

Looked up as ``mnist.npz`` (Keras's layout: x_train, y_train, x_test, y_test) in the cache
folder, else downloaded from the address Keras uses and checked against its SHA-256.
"""

from __future__ import annotations

import numpy as np

from glassnet.datasets._fetch import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """``((x_train, y_train), (x_test, y_test))`` as uint8 arrays, exactly as Keras returns.

    Nothing in the file is executed: it is read with ``allow_pickle=False``.
    """
    file = get_file(path, ORIGIN, SHA256)
    with np.load(file, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
