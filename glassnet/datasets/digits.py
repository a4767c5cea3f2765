"""scikit-learn's embedded 8x8 handwritten digits (1,797 images), split like the others.

Needs the ``[datasets]`` extra (scikit-learn), whose wheel carries the data: no download.
"""

from __future__ import annotations

import numpy as np


def load_data(test_split=0.2, seed=0):
    """``((x_train, y_train), (x_test, y_test))``: uint8 images of shape (8, 8) scaled to
    0..255 and uint8 labels, a seeded shuffle split with ``test_split`` of them for test."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("glassnet.datasets.digits needs scikit-learn: "
                          "pip install 'glassnet[datasets]'") from None
    digits = load_digits()
    x = np.round(digits.images * (255 / 16)).astype(np.uint8)
    y = digits.target.astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_split))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])
