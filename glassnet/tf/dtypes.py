"""TensorFlow's dtype objects (``tf.float32``, ``tf.int64``, ...) over NumPy dtypes.

A :class:`DType` wraps a ``numpy.dtype`` and exposes it as ``.dtype``, which is how NumPy
turns any object into a dtype: so ``tf.float32`` works wherever a dtype is expected
(``np.zeros(3, tf.float32)``, ``glassnet.tensor(x, dtype=tf.int32)``) and compares equal to a
tensor's ``.dtype`` (a plain ``numpy.dtype``), to ``np.float32`` and to ``"float32"``.

>>> import numpy as np
>>> float32 == np.zeros(2, np.float32).dtype, float32.is_floating, int8.max
(True, True, 127)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DType", "as_dtype", "bool", "double", "float16", "float32", "float64", "half", "int8",
    "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
]


class DType:
    """One element type, named as TensorFlow names it; ``.dtype`` is the NumPy dtype."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    @property
    def name(self) -> str:
        return self.dtype.name

    @property
    def as_numpy_dtype(self):
        """The NumPy scalar type (``np.float32``), as tf."""
        return self.dtype.type

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def is_floating(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self.dtype.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self.dtype.kind in "ub"

    @property
    def is_bool(self) -> bool:
        return self.dtype.kind == "b"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def min(self):
        """The smallest representable value (the most negative, for floats)."""
        return self._info().min

    @property
    def max(self):
        return self._info().max

    def _info(self):
        if self.is_bool:
            return _BOOL_INFO
        return np.finfo(self.dtype) if self.is_floating else np.iinfo(self.dtype)

    def is_compatible_with(self, other) -> bool:
        return self == other

    def __eq__(self, other):
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return f"tf.{self.name}"


class _BoolInfo:
    min, max = False, True


_BOOL_INFO = _BoolInfo()

float16 = half = DType(np.float16)
float32 = DType(np.float32)
float64 = double = DType(np.float64)
int8, int16, int32, int64 = (DType(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (DType(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
bool = DType(np.bool_)  # noqa: A001 - TensorFlow's name

_BY_NAME = {d.name: d for d in (float16, float32, float64, int8, int16, int32, int64, uint8,
                                uint16, uint32, uint64, bool)}


def as_dtype(type_value) -> DType:
    """``type_value`` (a DType, NumPy dtype or type, or name such as ``"float32"``) as a DType.

    >>> as_dtype("float32") is float32
    True
    """
    if isinstance(type_value, DType):
        return type_value
    if type_value is None:  # np.dtype(None) would be float64
        raise TypeError("as_dtype: expected a dtype; received None")
    try:
        dtype = np.dtype(type_value)
    except TypeError:
        dtype = None
    if dtype is None or dtype.name not in _BY_NAME:
        raise TypeError(f"as_dtype: cannot convert {type_value!r} to a dtype; expected one of "
                        f"{sorted(_BY_NAME)}")
    return _BY_NAME[dtype.name]


def numpy_dtype(dtype, default=None):
    """``dtype`` (anything :func:`as_dtype` takes, or None for ``default``) as a numpy.dtype."""
    if dtype is None:
        return None if default is None else np.dtype(default)
    return as_dtype(dtype).dtype
