"""California housing prices: 20,640 districts of the 1990 census, 8 attributes, target the
median house value in dollars.

``california_housing.npz`` from the address Keras uses, checked against the SHA-256 Keras
pins, read with ``allow_pickle=False``; ``version="small"`` keeps the first 600 rows; then
shuffled and split exactly as Keras does.
"""

from __future__ import annotations

from glassnet.datasets._fetch import keras_get_file
from glassnet.datasets.boston_housing import check_test_split, read_xy, shuffle_split

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``((x_train, y_train), (x_test, y_test))``: ``(n, 8)`` features and ``(n,)`` targets in
    the file's dtypes, as Keras returns them (``n`` = 16,512 / 4,128 for "large", 480 / 120
    for "small").

    >>> (x_train, y_train), _ = load_data(version="small")  # doctest: +SKIP
    """
    check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    file = keras_get_file(path, origin=ORIGIN, file_hash=SHA256, trust_cache=True)
    x, y = read_xy(file)
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffle_split(x, y, test_split, seed)
