"""``TextArray``: strings where TensorFlow has a string tensor (``tf.constant(["a b"])``, a
Dataset's text batches). A Tensor holds numbers, so text stays a NumPy array of ``str``; this
subclass adds the ``.numpy()`` that TensorFlow programs call on it.

>>> TextArray.of(["a", "b"]).numpy().tolist()
['a', 'b']
"""

from __future__ import annotations

import numpy as np


class TextArray(np.ndarray):
    """A NumPy array of ``str`` with TensorFlow's ``.numpy()``."""

    @classmethod
    def of(cls, value):
        array = np.asarray(value)
        if array.dtype.kind == "S":
            array = np.char.decode(array, "utf-8", "replace")
        return array.astype(str, copy=False).view(cls)

    def numpy(self):
        return self.view(np.ndarray)
