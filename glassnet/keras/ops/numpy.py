"""``keras.ops.numpy``: Keras's NumPy-style functions, served by glassnet's op library.

Each function converts its inputs with ``convert_to_tensor`` and calls the glassnet op of the
same meaning, renaming arguments to Keras's (``x1, x2``, ``x_min``, ``newshape``) and choosing
Keras's defaults; the computing (and every gradient) is in ``glassnet.autograd.ops``. Ops
whose result is real-valued (``mean``, ``sqrt``, ``divide``...) give ``floatx()`` for integer
inputs, as Keras does. Creation functions and the elementwise table live in
``numpy_creation`` and ``numpy_elementwise``; this module holds shapes, reductions and
indexing, and re-exports the other two.

>>> from glassnet.keras import ops
>>> ops.sum(ops.ones((2, 3)), axis=0).tolist()
[2.0, 2.0, 2.0]
"""

from __future__ import annotations

from glassnet.autograd import ops as _ops
from glassnet.keras.ops.core import convert_to_numpy, convert_to_tensor, floating
from glassnet.keras.ops.numpy_creation import *  # noqa: F403 - named by its __all__
from glassnet.keras.ops.numpy_creation import __all__ as _creation_all
from glassnet.keras.ops.numpy_elementwise import *  # noqa: F403 - named by its __all__
from glassnet.keras.ops.numpy_elementwise import __all__ as _elementwise_all

_t = convert_to_tensor

_SHAPES = [
    "append", "array_split", "broadcast_to", "concatenate", "diag", "diagflat", "diagonal",
    "dsplit", "dstack", "expand_dims", "flip", "fliplr", "flipud", "get_item", "hsplit",
    "hstack", "moveaxis", "pad", "ravel", "repeat", "reshape", "roll", "rot90", "split",
    "squeeze", "stack", "swapaxes", "tile", "transpose", "tril", "triu", "vsplit", "vstack",
    "unravel_index", "meshgrid",
]
_REDUCTIONS = [
    "all", "amax", "amin", "any", "argmax", "argmin", "argpartition", "argsort", "average",
    "bincount", "corrcoef", "count_nonzero", "cumprod", "cumsum", "diff", "digitize",
    "histogram", "max", "mean", "median", "min", "nanargmax", "nanargmin", "nancumprod",
    "nancumsum", "nanmax", "nanmean", "nanmin", "nanprod", "nanstd", "nansum", "nanvar",
    "percentile", "prod", "ptp", "quantile", "searchsorted", "sort", "std", "sum", "trace",
    "trapezoid", "unique", "var",
]
_PRODUCTS = ["cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "tensordot", "vdot"]
_INDEXING = ["nonzero", "select", "take", "take_along_axis", "where"]

__all__ = sorted([*_creation_all, *_elementwise_all, *_SHAPES, *_REDUCTIONS, *_PRODUCTS,
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


# -- reductions, statistics and sorting -----------------------------------------------


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _ops.sum(_t(x), axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return _ops.mean(floating(x), axis, keepdims)


def _with_initial(out, initial, combine):
    return out if initial is None else combine(out, initial)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    return _with_initial(_ops.max(_t(x), axis, keepdims), initial, _ops.maximum)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    return _with_initial(_ops.min(_t(x), axis, keepdims), initial, _ops.minimum)


def amax(x, axis=None, keepdims=False):
    return _ops.max(_t(x), axis, keepdims)


def amin(x, axis=None, keepdims=False):
    return _ops.min(_t(x), axis, keepdims)


def var(x, axis=None, keepdims=False):
    return _ops.var(floating(x), axis, keepdims)


def std(x, axis=None, keepdims=False):
    return _ops.std(floating(x), axis, keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _t(x) if dtype is None else _ops.cast(_t(x), dtype)
    return _ops.prod(x, axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _ops.all(_t(x), axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _ops.any(_t(x), axis, keepdims)


def count_nonzero(x, axis=None):
    return _ops.count_nonzero(_t(x), axis)


def argmax(x, axis=None, keepdims=False):
    return _ops.argmax(_t(x), axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _ops.argmin(_t(x), axis, keepdims)


def _cumulative(op, x, axis, dtype):
    x = _t(x) if dtype is None else _ops.cast(_t(x), dtype)
    return op(x, axis)


def cumsum(x, axis=None, dtype=None):
    return _cumulative(_ops.cumsum, x, axis, dtype)


def cumprod(x, axis=None, dtype=None):
    return _cumulative(_ops.cumprod, x, axis, dtype)


def median(x, axis=None, keepdims=False):
    return _ops.median(floating(x), axis, keepdims)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _ops.quantile(floating(x), q, axis=axis, keepdims=keepdims, method=method)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    # q / 100 in float64, so 30 becomes NumPy's 0.3 rather than float32's 0.30000001
    q = convert_to_numpy(q).astype("float64") / 100.0
    return _ops.quantile(floating(x), q, axis=axis, keepdims=keepdims, method=method)


def sort(x, axis=-1):
    return _ops.sort(_t(x), axis)


def argsort(x, axis=-1):
    return _ops.argsort(_t(x), axis)


def argpartition(x, kth, axis=-1):
    return _ops.argpartition(_t(x), kth, axis)


def searchsorted(sorted_sequence, values, side="left"):
    return _ops.searchsorted(_t(sorted_sequence), _t(values), side=side)


def digitize(x, bins):
    return _ops.digitize(_t(x), _t(bins))


def unique(x, sorted=True, return_index=False, return_inverse=False,  # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """Unique values (always sorted); ``return_index``/``size`` are not supported."""
    if not sorted or return_index or size is not None:
        raise ValueError(f"unique: supported with sorted=True, return_index=False and size=None "
                         f"only. Received: sorted={sorted}, return_index={return_index}, "
                         f"size={size}")
    return _ops.unique(_t(x), return_inverse=return_inverse, return_counts=return_counts,
                       axis=axis)


def average(x, axis=None, weights=None):
    return _ops.average(floating(x), axis, None if weights is None else floating(weights))


def ptp(x, axis=None, keepdims=False):
    return _ops.ptp(_t(x), axis, keepdims)


def trace(x, offset=0, axis1=0, axis2=1):
    return _ops.trace(_t(x), offset, axis1, axis2)


def diff(a, n=1, axis=-1):
    return _ops.diff(_t(a), n, axis)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    return _ops.trapezoid(floating(y), None if x is None else floating(x), dx, axis)


def corrcoef(x):
    return _ops.corrcoef(floating(x))


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("bincount: sparse=True is not supported (glassnet tensors are dense)")
    return _ops.bincount(_t(x), None if weights is None else _t(weights), minlength)


def histogram(x, bins=10, range=None):  # noqa: A002 - Keras's name
    return _ops.histogram(floating(x), bins, range)


def nansum(x, axis=None, keepdims=False):
    return _ops.nansum(_t(x), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    return _ops.nanmean(floating(x), axis, keepdims)


def nanmax(x, axis=None, keepdims=False):
    return _ops.nanmax(_t(x), axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    return _ops.nanmin(_t(x), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    return _ops.nanprod(_t(x), axis, keepdims)


def nanvar(x, axis=None, keepdims=False):
    return _ops.nanvar(floating(x), axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    return _ops.nanstd(floating(x), axis, keepdims)


def nanargmax(x, axis=None, keepdims=False):
    return _ops.nanargmax(_t(x), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return _ops.nanargmin(_t(x), axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    return _cumulative(_ops.nancumsum, x, axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    return _cumulative(_ops.nancumprod, x, axis, dtype)


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
