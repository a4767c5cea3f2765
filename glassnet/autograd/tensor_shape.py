"""``TensorShape``: the tuple ``Tensor.shape`` returns, with TensorFlow's few methods on it.

TensorFlow code reads shapes as ``x.shape.as_list()``, ``x.shape.rank`` or
``x.shape.num_elements()``; everything else (indexing, unpacking, comparing with a tuple,
passing to NumPy) treats a shape as the tuple it is, and so does this one. Its repr is the
tuple's, so error messages read ``(32, 10)`` as everywhere else in glassnet.

>>> s = TensorShape((32, 10))
>>> s.as_list(), s.rank, s.num_elements(), s == (32, 10), s[-1]
([32, 10], 2, 320, True, 10)
"""

from __future__ import annotations

import math


class TensorShape(tuple):
    """A shape: a tuple of ints (``None`` for an unknown size)."""

    __slots__ = ()

    def as_list(self) -> list:
        return list(self)

    @property
    def rank(self) -> int:
        return len(self)

    @property
    def ndims(self) -> int:
        return len(self)

    @property
    def dims(self) -> list:
        return list(self)

    def num_elements(self):
        """The number of elements, or None when a size is unknown."""
        return None if None in self else math.prod(self)

    def is_fully_defined(self) -> bool:
        return None not in self

    def as_tuple(self) -> tuple:
        return tuple(self)

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return TensorShape(item) if isinstance(key, slice) else item

    def __repr__(self):
        return tuple.__repr__(self)
