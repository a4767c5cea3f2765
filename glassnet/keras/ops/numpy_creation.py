"""``keras.ops.numpy``'s creation functions: new tensors of a shape, a range or a window.

Floating results are ``floatx()`` (float32) unless ``dtype`` says otherwise; integer ranges
are int64 (Keras's are int32: glassnet keeps NumPy's integer default).

>>> from glassnet.keras import ops
>>> ops.ones((2,)).tolist(), ops.arange(3).tolist()
([1.0, 1.0], [0, 1, 2])
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import creation
from glassnet.autograd import ops as _ops
from glassnet.autograd.tensor import Tensor
from glassnet.keras.ops.core import _dtype_arg, convert_to_tensor

__all__ = [
    "arange", "array", "bartlett", "blackman", "empty", "empty_like", "eye", "full",
    "full_like", "geomspace", "hamming", "hanning", "identity", "kaiser", "linspace",
    "logspace", "ones", "ones_like", "tri", "vander", "zeros", "zeros_like",
]


def _float(dtype, op):
    return backend.floatx() if dtype is None else _dtype_arg(dtype, op)


def zeros(shape, dtype=None):
    return creation.zeros(shape, dtype=_float(dtype, "zeros"))


def ones(shape, dtype=None):
    return creation.ones(shape, dtype=_float(dtype, "ones"))


def empty(shape, dtype=None):
    """Zeros: glassnet never hands out uninitialised memory."""
    return creation.zeros(shape, dtype=_float(dtype, "empty"))


def full(shape, fill_value, dtype=None):
    if dtype is None:
        kind = np.asarray(fill_value).dtype.kind
        dtype = backend.floatx() if kind == "f" else np.asarray(fill_value).dtype
    return creation.full(shape, fill_value, dtype=_dtype_arg(dtype, "full"))


def zeros_like(x, dtype=None):
    return creation.zeros_like(convert_to_tensor(x), dtype=_dtype_arg(dtype, "zeros_like"))


def ones_like(x, dtype=None):
    return creation.ones_like(convert_to_tensor(x), dtype=_dtype_arg(dtype, "ones_like"))


def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None):
    x = convert_to_tensor(x)
    return creation.full(x.shape, fill_value, dtype=x.dtype if dtype is None else dtype)


def array(x, dtype=None):
    return convert_to_tensor(x, dtype=dtype)


def arange(start, stop=None, step=None, dtype=None):
    return creation.arange(start, stop, 1 if step is None else step,
                           dtype=_dtype_arg(dtype, "arange"))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's names
    return Tensor(np.eye(N, M, k), dtype=_float(dtype, "eye"))


def identity(n, dtype=None):
    return creation.eye(n, dtype=_float(dtype, "identity"))


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's names
    return _ops.tri(N, M, k, dtype=_float(dtype, "tri"))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    out = creation.linspace(start, stop, num=num, endpoint=endpoint,
                        dtype=_float(dtype, "linspace"))
    if axis != 0:
        out = _ops.moveaxis(out, 0, axis)
    if retstep:
        step = (np.asarray(stop) - np.asarray(start)) / max(num - int(bool(endpoint)), 1)
        return out, Tensor(step)
    return out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return _ops.logspace(start, stop, num, endpoint, base, _float(dtype, "logspace"), axis)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return _ops.geomspace(start, stop, num, endpoint, _float(dtype, "geomspace"), axis)


def vander(x, N=None, increasing=False):  # noqa: N803 - Keras's name
    return _ops.vander(convert_to_tensor(x), N, increasing)


def hamming(x):
    return _ops.hamming(x)


def hanning(x):
    return _ops.hanning(x)


def bartlett(x):
    return _ops.bartlett(x)


def blackman(x):
    return _ops.blackman(x)


def kaiser(x, beta):
    return _ops.kaiser(x, beta)
