"""``keras.ops.numpy``: Keras's NumPy-style functions, served by glassnet's op library.

Each function converts its inputs with ``convert_to_tensor`` and calls the glassnet op of the
same meaning, renaming arguments to Keras's (``x1, x2``, ``x_min``, ``newshape``) and choosing
Keras's defaults; the computing (and every gradient) is in ``glassnet.autograd.ops``. Ops
whose result is real-valued (``mean``, ``sqrt``, ``divide``...) give ``floatx()`` for integer
inputs, as Keras does. Creation functions, the elementwise table and the reductions live in
``numpy_creation``, ``numpy_elementwise`` and ``numpy_reductions``; this module holds shapes,
products and indexing, and re-exports the other three.

>>> from glassnet.keras import ops
>>> ops.sum(ops.ones((2, 3)), axis=0).tolist()
[2.0, 2.0, 2.0]
"""

from __future__ import annotations

from glassnet.autograd import ops as _ops
from glassnet.keras.ops.core import convert_to_numpy, convert_to_tensor
from glassnet.keras.ops.numpy_creation import *  # noqa: F403 - named by its __all__
from glassnet.keras.ops.numpy_creation import __all__ as _creation_all
from glassnet.keras.ops.numpy_elementwise import *  # noqa: F403 - named by its __all__
from glassnet.keras.ops.numpy_elementwise import __all__ as _elementwise_all
from glassnet.keras.ops.numpy_reductions import *  # noqa: F403 - named by its __all__
from glassnet.keras.ops.numpy_reductions import __all__ as _reductions_all

_t = convert_to_tensor

_SHAPES = [
    "append", "array_split", "broadcast_to", "concatenate", "diag", "diagflat", "diagonal",
    "dsplit", "dstack", "expand_dims", "flip", "fliplr", "flipud", "get_item", "hsplit",
    "hstack", "moveaxis", "pad", "ravel", "repeat", "reshape", "roll", "rot90", "split",
    "squeeze", "stack", "swapaxes", "tile", "transpose", "tril", "triu", "vsplit", "vstack",
    "unravel_index", "meshgrid",
]
_PRODUCTS = ["cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "tensordot", "vdot"]
_INDEXING = ["nonzero", "select", "take", "take_along_axis", "where"]

__all__ = sorted([*_creation_all, *_elementwise_all, *_SHAPES, *_reductions_all, *_PRODUCTS,
                  *_INDEXING, "ndim", "size"])


def ndim(x) -> int:
    """The number of axes of ``x``."""
    return len(convert_to_numpy(x).shape) if not hasattr(x, "ndim") else int(x.ndim)


def size(x):
    """The number of elements of ``x`` (a 0-d int tensor, as Keras)."""
    return _t(int(_t(x).size))


# -- shapes and layout ----------------------------------------------------------------


def reshape(x, newshape):
    return _ops.reshape(_t(x), newshape)


def transpose(x, axes=None):
    return _ops.transpose(_t(x), axes)


def expand_dims(x, axis):
    """Insert size-1 axes at ``axis`` (an int or a tuple, as Keras)."""
    x = _t(x)
    if isinstance(axis, (tuple, list)):
        out_ndim = x.ndim + len(axis)
        for a in sorted(a % out_ndim for a in axis):
            x = _ops.expand_dims(x, a)
        return x
    return _ops.expand_dims(x, axis)


def squeeze(x, axis=None):
    return _ops.squeeze(_t(x), axis)


def broadcast_to(x, shape):
    return _ops.broadcast_to(_t(x), shape)


def concatenate(xs, axis=0):
    return _ops.concatenate([_t(x) for x in xs], axis)


def stack(x, axis=0):
    return _ops.stack([_t(v) for v in x], axis)


def split(x, indices_or_sections, axis=0):
    return _ops.split(_t(x), indices_or_sections, axis)


def array_split(x, indices_or_sections, axis=0):
    return _ops.array_split(_t(x), indices_or_sections, axis)


def hsplit(x, indices_or_sections):
    return _ops.hsplit(_t(x), indices_or_sections)


def vsplit(x, indices_or_sections):
    return _ops.vsplit(_t(x), indices_or_sections)


def dsplit(x, indices_or_sections):
    return _ops.dsplit(_t(x), indices_or_sections)


def hstack(xs):
    return _ops.hstack([_t(x) for x in xs])


def vstack(xs):
    return _ops.vstack([_t(x) for x in xs])


def dstack(xs):
    return _ops.dstack([_t(x) for x in xs])


def append(x1, x2, axis=None):
    return _ops.append(_t(x1), _t(x2), axis)


def ravel(x):
    return _ops.reshape(_t(x), (-1,))


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad as ``np.pad``; ``constant_values`` only with ``mode="constant"`` (Keras's rule)."""
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: constant_values is only for mode='constant'. Received: "
                         f"mode={mode!r}, constant_values={constant_values!r}")
    value = 0 if constant_values is None else constant_values
    return _ops.pad(_t(x), pad_width, mode=mode, constant_values=value)


def tile(x, repeats):
    return _ops.tile(_t(x), repeats)


def repeat(x, repeats, axis=None):
    return _ops.repeat(_t(x), repeats, axis)


def roll(x, shift, axis=None):
    return _ops.roll(_t(x), shift, axis)


def flip(x, axis=None):
    return _ops.flip(_t(x), axis)


def fliplr(x):
    return _ops.flip(_t(x), 1)


def flipud(x):
    return _ops.flip(_t(x), 0)


def rot90(array, k=1, axes=(0, 1)):
    return _ops.rot90(_t(array), k, axes)


def swapaxes(x, axis1, axis2):
    return _ops.swapaxes(_t(x), axis1, axis2)


def moveaxis(x, source, destination):
    return _ops.moveaxis(_t(x), source, destination)


def tril(x, k=0):
    return _ops.tril(_t(x), k)


def triu(x, k=0):
    return _ops.triu(_t(x), k)


def diag(x, k=0):
    return _ops.diag(_t(x), k)


def diagflat(x, k=0):
    return _ops.diag(_ops.reshape(_t(x), (-1,)), k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return _ops.diagonal(_t(x), offset, axis1, axis2)


def meshgrid(*x, indexing="xy"):
    return _ops.meshgrid(*[_t(v) for v in x], indexing=indexing)


def unravel_index(indices, shape):
    return _ops.unravel_index(_t(indices), shape)


def get_item(x, key):
    return _t(x)[key]


# -- products ---------------------------------------------------------------------------


def matmul(x1, x2):
    return _ops.matmul(_t(x1), _t(x2))


def dot(x1, x2):
    return _ops.dot(_t(x1), _t(x2))


def einsum(subscripts, *operands, **kwargs):
    return _ops.einsum(subscripts, *[_t(o) for o in operands])


def tensordot(x1, x2, axes=2):
    return _ops.tensordot(_t(x1), _t(x2), axes)


def inner(x1, x2):
    return _ops.inner(_t(x1), _t(x2))


def outer(x1, x2):
    return _ops.outer(_t(x1), _t(x2))


def vdot(x1, x2):
    return _ops.vdot(_t(x1), _t(x2))


def kron(x1, x2):
    return _ops.kron(_t(x1), _t(x2))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    return _ops.cross(_t(x1), _t(x2), axisa, axisb, axisc)


# -- indexing ---------------------------------------------------------------------------


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``; with neither, the indices where it holds."""
    if (x1 is None) != (x2 is None):
        raise ValueError("where: give both x1 and x2, or neither")
    if x1 is None:
        return _ops.nonzero(_t(condition))
    cond = convert_to_numpy(condition).astype(bool)
    return _ops.where(cond, x1, x2)


def nonzero(x):
    return _ops.nonzero(_t(x))


def take(x, indices, axis=None):
    return _ops.take(_t(x), _t(indices), axis)


def take_along_axis(x, indices, axis=None):
    return _ops.take_along_axis(_t(x), _t(indices), axis)


def select(condlist, choicelist, default=0):
    return _ops.select([_t(c) for c in condlist], [_t(c) for c in choicelist], default)
