"""Boston housing prices: 506 samples of 13 attributes, target the median value in k$.

``boston_housing.npz`` from the address Keras uses, checked against the SHA-256 Keras pins,
read with ``allow_pickle=False``, shuffled and split exactly as Keras does (the same rows for
the same ``seed``).
"""

from __future__ import annotations

import numpy as np

from glassnet.datasets._fetch import keras_get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def check_test_split(test_split):
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or \
            not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split!r}. It must be between "
                         f"0 and 1 (exclusive of 1).")


def shuffle_split(x, y, test_split, seed):
    """``((x_train, y_train), (x_test, y_test))``: rows permuted by
    ``np.random.RandomState(seed).shuffle``, the last ``test_split`` of them for testing."""
    if len(x) != len(y):
        raise ValueError(f"the file holds {len(x)} samples but {len(y)} targets")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def read_xy(file):
    with np.load(file, allow_pickle=False) as f:
        if "x" not in f or "y" not in f:
            raise ValueError(f"{file}: expected arrays 'x' and 'y'. Received: {f.files}")
        return f["x"], f["y"]


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``((x_train, y_train), (x_test, y_test))``: ``(404, 13)`` / ``(102, 13)`` features and
    their targets in the file's dtypes, as Keras returns them.

    >>> (x_train, y_train), (x_test, y_test) = load_data(seed=113)  # doctest: +SKIP
    """
    check_test_split(test_split)
    file = keras_get_file(path, origin=ORIGIN, file_hash=SHA256, trust_cache=True)
    return shuffle_split(*read_xy(file), test_split, seed)
