"""``keras.backend``: the configuration and conversion functions tutorials call.

``backend()`` answers ``"numpy"``: glassnet computes with NumPy arrays (and its own autodiff),
which is the Keras backend whose behaviour it shares (eager, no compiler).

>>> from glassnet.keras import backend as K
>>> K.backend(), K.floatx(), K.epsilon(), K.image_data_format()
('numpy', 'float32', 1e-07, 'channels_last')
"""

from __future__ import annotations

import numpy as np

from glassnet import backend as _backend
from glassnet.autograd.tensor import Tensor
from glassnet.nn.layer import reset_names
from glassnet.nn.symbolic import SymbolicTensor

__all__ = ["backend", "clear_session", "epsilon", "floatx", "get_value", "image_data_format",
           "int_shape", "is_keras_tensor", "set_epsilon", "set_floatx",
           "set_image_data_format", "set_value", "standardize_dtype"]

_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def backend() -> str:
    """The name of the array backend: ``"numpy"``."""
    return "numpy"


def floatx() -> str:
    """The default floating dtype's name (``"float32"``)."""
    return str(_backend.floatx())


def set_floatx(value) -> None:
    """Set the default floating dtype: ``"float32"`` or ``"float64"``."""
    _backend.set_floatx(value)


def epsilon() -> float:
    """The fuzz factor Keras uses in formulas (1e-7 unless :func:`set_epsilon`)."""
    return _EPSILON


def set_epsilon(value) -> None:
    """Set the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"set_epsilon: expected a positive number. Received: value={value!r}")
    _EPSILON = float(value)


def image_data_format() -> str:
    """``"channels_last"`` (the default) or ``"channels_first"``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format) -> None:
    """Record the preferred image layout (glassnet's layers compute channels-last)."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"set_image_data_format: expected 'channels_last' or "
                         f"'channels_first'. Received: data_format={data_format!r}")
    _IMAGE_DATA_FORMAT = data_format


def clear_session() -> None:
    """Forget generated layer names, so new layers are numbered from 1 again."""
    reset_names()


def standardize_dtype(dtype) -> str:
    """Keras's name for ``dtype``: ``"float32"``, ``"int64"``, ``"bool"``; None gives
    ``floatx()``."""
    if dtype is None:
        return floatx()
    if hasattr(dtype, "dtype") and not isinstance(dtype, (str, type, np.dtype)):
        dtype = dtype.dtype
    try:
        return str(np.dtype("float32" if dtype is float else "int64" if dtype is int
                            else dtype))
    except TypeError:
        raise ValueError(f"standardize_dtype: not a dtype. Received: dtype={dtype!r}") from None


def get_value(x) -> np.ndarray:
    """The value of a tensor or variable as a NumPy array."""
    if isinstance(x, Tensor):
        return np.array(x.data)
    return np.asarray(x)


def set_value(x, value) -> None:
    """Write ``value`` into the variable (or parameter) ``x`` in place."""
    if hasattr(x, "assign"):
        x.assign(value)
        return
    if not isinstance(x, Tensor):
        raise TypeError(f"set_value: x must be a variable or tensor. Received: "
                        f"{type(x).__name__}")
    value = np.asarray(value)
    if value.shape != x.shape:
        raise ValueError(f"set_value: value of shape {value.shape} does not fit x of shape "
                         f"{x.shape}")
    x.data[...] = value


def int_shape(x) -> tuple:
    """The shape of ``x`` as a tuple (None for unknown sizes of symbolic tensors)."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def is_keras_tensor(x) -> bool:
    """True for the symbolic tensors of the functional API (``keras.Input(...)``)."""
    return isinstance(x, SymbolicTensor)
