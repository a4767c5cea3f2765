"""A strict stand-in for CuPy, on NumPy: lets every machine check that the GPU path stays on
the device.

Its arrays behave the way CuPy's do where that matters for glassnet's code: NumPy functions
and ufuncs called on them dispatch back to this module (NumPy's ``__array_function__`` and
``__array_ufunc__`` protocols, as with CuPy), mixing one with a NumPy array raises TypeError,
and turning one into a NumPy array implicitly (``np.asarray``) raises TypeError. Copies to the
host (``.get()``, ``asnumpy``, ``float(x)``, ``.item()``, ``.tolist()``) are counted in
``transfers`` so tests can check that none happens inside a training step. Reductions return
0-d arrays, as CuPy's do. The computing is NumPy's, so results equal the CPU's bit for bit
where the same formulas run.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import types

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from glassnet import backend

transfers = {"to_host": 0, "to_device": 0}


class HostTransferError(AssertionError):
    pass


_forbid = [False]


@contextlib.contextmanager
def no_transfers():
    """A block in which a copy between host and device fails the test."""
    _forbid[0] = True
    try:
        yield
    finally:
        _forbid[0] = False


def _count(direction):
    if _forbid[0]:
        raise HostTransferError(f"a {direction.replace('_', ' ')} copy inside a no-transfer "
                                f"block")
    transfers[direction] += 1


def _is_host_array(x):
    return isinstance(x, np.ndarray) and x.ndim > 0


def _unwrap(x, where):
    if type(x) is ndarray:
        return x._a
    if _is_host_array(x):
        raise TypeError(f"Unsupported type {type(x)} in {where} (a NumPy array mixed with "
                        f"GPU arrays)")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, where) for v in x)
    return x


def _wrap(r):
    if isinstance(r, np.ndarray):
        return ndarray(r)
    if isinstance(r, np.generic):
        return ndarray(np.asarray(r))
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    if isinstance(r, list):
        return [_wrap(v) for v in r]
    return r


class _Device:
    id = 0

    def __repr__(self):
        return "<CUDA Device 0>"


class ndarray(NDArrayOperatorsMixin):  # noqa: N801 - CuPy's name
    __slots__ = ("_a",)

    def __init__(self, a):
        object.__setattr__(self, "_a", a)

    # -- the protocols --------------------------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"{ufunc.__name__}.{method}"
        args = [_unwrap(x, where) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o, where) for o in kwargs["out"])
        return _wrap(getattr(ufunc, method)(*args, **kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        name = func.__name__
        if name in _NOT_IN_CUPY:
            raise TypeError(f"numpy.{name} has no CuPy counterpart")
        args = _unwrap(args, name)
        kwargs = {k: _unwrap(v, name) for k, v in kwargs.items()}
        return _wrap(func(*args, **kwargs))

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    # -- copies to the host ---------------------------------------------------------------

    def get(self, stream=None, order="C", out=None):
        _count("to_host")
        return self._a.copy()

    def item(self):
        _count("to_host")
        return self._a.item()

    def tolist(self):
        _count("to_host")
        return self._a.tolist()

    def __float__(self):
        _count("to_host")
        return float(self._a)

    def __int__(self):
        _count("to_host")
        return int(self._a)

    def __index__(self):
        _count("to_host")
        return self._a.__index__()

    def __bool__(self):
        _count("to_host")
        return bool(self._a)

    def __complex__(self):
        _count("to_host")
        return complex(self._a)

    # -- the rest delegates ---------------------------------------------------------------

    @property
    def device(self):
        return _Device()

    @property
    def T(self):  # noqa: N802
        return ndarray(self._a.T)

    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    @property
    def strides(self):
        return self._a.strides

    @property
    def nbytes(self):
        return self._a.nbytes

    @property
    def itemsize(self):
        return self._a.itemsize

    @property
    def flags(self):
        return self._a.flags

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(np.asarray(v)) for v in self._a)

    def __getitem__(self, index):
        return _wrap(self._a[_index(index)])

    def __setitem__(self, index, value):
        self._a[_index(index)] = _unwrap(value, "__setitem__")

    def __repr__(self):
        return "standin." + repr(self._a)

    def __getattr__(self, name):
        if name.startswith("__"):  # __array_interface__ & co. would hand NumPy the host data
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        @functools.wraps(attr)
        def method(*args, **kwargs):
            args = _unwrap(args, name)
            kwargs = {k: _unwrap(v, name) for k, v in kwargs.items()}
            return _wrap(attr(*args, **kwargs))

        return method

    def __setattr__(self, name, value):
        setattr(self._a, name, value)

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    def __reduce__(self):
        raise TypeError("standin arrays are not pickled")


def _index(index):
    # CuPy takes CuPy and NumPy index arrays (NumPy ones are copied to the device).
    if type(index) is ndarray:
        return index._a
    if isinstance(index, tuple):
        return tuple(v._a if type(v) is ndarray else v for v in index)
    return index


# ufunc.at, reduce etc. go through __array_ufunc__ with method names; an ``out=`` result is
# the caller's own buffer, re-wrapped (sharing memory), so in-place writes land.

_NOT_IN_CUPY = {"as_strided"}  # np.lib.stride_tricks.as_strided goes through np.asarray


class _StandInModule(types.ModuleType, backend._StandIn):
    pass


module = _StandInModule("standin_cupy", "A strict NumPy stand-in for CuPy (tests only).")
module.ndarray = ndarray


def _creator(func):
    @functools.wraps(func)
    def create(*args, **kwargs):
        args = _unwrap(args, func.__name__)
        kwargs = {k: _unwrap(v, func.__name__) for k, v in kwargs.items()}
        return _wrap(func(*args, **kwargs))
    return create


def _asarray(a, dtype=None, order=None, copy=None):
    if type(a) is ndarray:
        out = a._a if dtype is None else a._a.astype(dtype, copy=False)
        return ndarray(out.copy() if copy else out)
    _count("to_device")
    return ndarray(np.array(a, dtype=dtype, order=order or "K", copy=True))


def _array(a, dtype=None, copy=True, order="K", ndmin=0):
    if type(a) is ndarray:
        return ndarray(np.array(a._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    _count("to_device")
    return ndarray(np.array(a, dtype=dtype, copy=True, order=order, ndmin=ndmin))


def _asnumpy(a, stream=None, order="C", out=None):
    if type(a) is ndarray:
        return a.get()
    return np.asarray(a)


def _ascontiguousarray(a, dtype=None):
    return ndarray(np.ascontiguousarray(_unwrap(a, "ascontiguousarray"), dtype=dtype))


class _Pool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


_pool = _Pool()


class _Generator:
    """CuPy's ``random.Generator`` subset glassnet uses, on a NumPy generator."""

    def __init__(self, seed):
        self._g = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return ndarray(np.asarray(self._g.random(size, dtype=dtype)))

    def standard_normal(self, size=None, dtype=np.float64):
        return ndarray(np.asarray(self._g.standard_normal(size, dtype=dtype)))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return ndarray(np.asarray(self._g.uniform(low, high, size)).astype(dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64):
        return ndarray(np.asarray(self._g.integers(low, high, size, dtype=dtype)))


def _fuse(*args, **kwargs):
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


def _module_getattr(name):
    value = getattr(np, name)
    if callable(value) and not isinstance(value, (type, np.ufunc)):
        return _creator(value)
    if isinstance(value, np.ufunc):
        return _UfuncProxy(value)
    return value


class _UfuncProxy:
    """``standin.exp(x)`` etc.: the NumPy ufunc on unwrapped arrays."""

    def __init__(self, ufunc):
        self._u = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _call_ufunc(self._u, "__call__", args, kwargs)

    def __getattr__(self, method):
        return lambda *args, **kwargs: _call_ufunc(self._u, method, args, kwargs)


def _call_ufunc(ufunc, method, args, kwargs):
    wrapped = [a if type(a) is ndarray else ndarray(np.asarray(a)) if not _is_host_array(a)
               else a for a in args[:1]] + list(args[1:])
    return wrapped[0].__array_ufunc__(ufunc, method, *wrapped, **_kw_out(kwargs))


def _kw_out(kwargs):
    out = kwargs.get("out")
    if out is not None and not isinstance(out, tuple):
        kwargs = dict(kwargs, out=(out,))
    return kwargs


def _as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    return ndarray(np.lib.stride_tricks.as_strided(x._a, shape, strides,
                                                   writeable=writeable))


module.__getattr__ = _module_getattr
module.asarray = _asarray
module.array = _array
module.asnumpy = _asnumpy
module.ascontiguousarray = _ascontiguousarray
module.get_default_memory_pool = lambda: _pool
module.fuse = _fuse
module.random = types.SimpleNamespace(default_rng=_Generator)
module.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=_as_strided))
module.float32, module.float64, module.int32, module.int64 = (
    np.float32, np.float64, np.int32, np.int64)
module.bool_ = np.bool_
module.newaxis = None
module.pi, module.e, module.inf, module.nan = np.pi, np.e, np.inf, np.nan


class _CudaDevice:
    def __init__(self, index=0):
        self.id = index

    def synchronize(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


module.cuda = types.SimpleNamespace(Device=_CudaDevice, runtime=types.SimpleNamespace(
    getDeviceCount=lambda: 1))


def install():
    """Make the stand-in glassnet's GPU array module (until :func:`uninstall`)."""
    saved = (backend._device_module, backend._device_array_type)
    backend._use_device_module(module)
    return saved


def uninstall(saved):
    backend._device_module, backend._device_array_type = saved


@contextlib.contextmanager
def installed():
    """A block in which the stand-in is glassnet's GPU array module."""
    saved = install()
    try:
        yield module
    finally:
        uninstall(saved)


sys.modules.setdefault("glassnet_standin_cupy", module)
