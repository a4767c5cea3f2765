"""The array module, the dtype policy, the random generator, and which kernel runs an op.

Every op finds its array module from its data (``xp = get_array_module(x)``), and its fast
kernel, if any, from the calling thread's context (:func:`kernel_for`), so nothing is
switched at import time. This is the only module that may import CuPy, and it does so only when
an array that lives on a GPU is handed to it.
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np

_FLOATX = np.dtype(np.float32)
_generator = np.random.default_rng()


def get_array_module(*arrays):
    """Return the array module (``numpy``, or ``cupy`` for GPU arrays) that owns ``arrays``.

    >>> get_array_module(np.zeros(2), 3.0) is np
    True
    """
    for a in arrays:
        t = type(a)
        if t is np.ndarray:
            continue
        if t is _device_array_type:
            return _device_module
        if t.__module__.startswith("cupy"):
            return device_module()  # a CuPy array made outside glassnet
    return np


def asarray(a, dtype=None):
    """``np.asarray`` that leaves GPU arrays on the GPU: ``a`` as an array of the module it
    belongs to (NumPy's 0-d results, which NumPy hands back as scalars, become arrays).

    >>> asarray(np.float32(2)).shape
    ()
    """
    if type(a) is _device_array_type:
        return a if dtype is None else a.astype(dtype, copy=False)
    return np.asarray(a, dtype=dtype)


def floatx() -> np.dtype:
    """The default floating dtype of new tensors and parameters (float32)."""
    return _FLOATX


def set_floatx(dtype) -> None:
    """Set the default floating dtype: ``"float32"`` (the default) or ``"float64"``."""
    global _FLOATX
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"set_floatx: expected 'float32' or 'float64'. Received: dtype={dtype}")
    _FLOATX = dtype


def seed(n: int) -> None:
    """Seed every random generator glassnet draws from (creators, initializers, dropout).

    >>> import glassnet
    >>> glassnet.seed(0); a = glassnet.randn(2)
    >>> glassnet.seed(0); b = glassnet.randn(2)
    >>> bool((a.numpy() == b.numpy()).all())
    True
    """
    global _generator
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"seed: expected a non-negative integer. Received: n={n!r}")
    _generator = np.random.default_rng(int(n))


def generator() -> np.random.Generator:
    """The generator seeded by :func:`seed`; draw from it, never from ``np.random`` directly."""
    return _generator


_kernels = contextvars.ContextVar("glassnet_kernels", default=None)


def kernel_for(op):
    """The ``Function`` class that runs the readable op ``op``: its fast kernel while the
    calling thread is inside a ``glassnet.kernels.training()`` or ``inference()`` block (which
    computes the same, faster), else ``op`` itself. The one place an op's fast path is chosen.

    >>> from glassnet.autograd.ops.arithmetic import Linear
    >>> kernel_for(Linear) is Linear
    True
    """
    table = _kernels.get()
    return op if table is None else table.get(op, op)


@contextlib.contextmanager
def using_kernels(table):
    """A block in which :func:`kernel_for` answers from ``table`` ({readable op: fast
    kernel}) for the calling thread (a context variable: other threads are not affected)."""
    token = _kernels.set(table)
    try:
        yield
    finally:
        _kernels.reset(token)


# -- devices --------------------------------------------------------------------------------
#
# A model runs where its weights are. ``model.to("gpu")`` moves them (and the optimizer's
# state); ``with glassnet.device("gpu"):`` makes the GPU the place new weights and tensors are
# made. Arrays on the GPU are CuPy arrays; every op finds its array module from its data.

_device_module = None  # cupy, once a GPU array or device has been asked for
_device_array_type = type("_NoDeviceArray", (), {})  # nothing is an instance until then
_current_device = contextvars.ContextVar("glassnet_device", default=None)

CUPY_HINT = ("the GPU backend needs CuPy: pip install cupy-cuda12x (CUDA 12) or "
             "cupy-cuda13x (CUDA 13)")


class Device:
    """Where arrays live: ``Device("cpu")`` or ``Device("gpu", 0)``; printed ``cpu``/``gpu:0``.

    Accepts PyTorch's and TensorFlow's spellings too: ``"cuda"``, ``"cuda:1"``, ``"/GPU:0"``,
    ``"/device:CPU:0"``.

    >>> str(Device.parse("/GPU:0")), str(Device.parse("cuda")), str(Device.parse("cpu"))
    ('gpu:0', 'gpu:0', 'cpu')
    """

    __slots__ = ("kind", "index")

    def __init__(self, kind, index=0):
        self.kind, self.index = kind, index

    @classmethod
    def parse(cls, spec):
        if isinstance(spec, Device):
            return spec
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a name such as 'cpu', 'gpu' or 'gpu:0'. "
                            f"Received: {spec!r}")
        name = spec.strip().lower()
        for prefix in ("/job:localhost/replica:0/task:0", "/device:", "/"):
            if name.startswith(prefix):
                name = name[len(prefix):]
        name = name.removeprefix("device:")
        kind, _, index = name.partition(":")
        kind = {"cuda": "gpu"}.get(kind, kind)
        if kind not in ("cpu", "gpu") or (index and not index.isdigit()):
            raise ValueError(f"device: expected 'cpu', 'gpu', 'gpu:N', 'cuda:N' or '/GPU:N'. "
                             f"Received: {spec!r}")
        return cls(kind, int(index or 0))

    def __eq__(self, other):
        return isinstance(other, Device) and (self.kind, self.index) == (other.kind, other.index)

    def __hash__(self):
        return hash((self.kind, self.index))

    def __str__(self):
        return "cpu" if self.kind == "cpu" else f"gpu:{self.index}"

    def __repr__(self):
        return f"device({str(self)!r})"


CPU = Device("cpu")


def device_module():
    """The GPU array module (CuPy), imported on first use; an ImportError naming the
    ``pip install`` when it is missing, a RuntimeError when no GPU can be used."""
    global _device_module, _device_array_type
    if _device_module is None:
        try:
            import cupy
        except ImportError:
            raise ImportError(CUPY_HINT) from None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as err:  # CUDARuntimeError: no driver, no device
            raise RuntimeError(f"the GPU backend found no usable GPU: {err}") from None
        if count < 1:
            raise RuntimeError("the GPU backend found no GPU")
        _use_device_module(cupy)
    return _device_module


def _use_device_module(module):
    """Make ``module`` (CuPy, or a stand-in with its API in tests) the GPU array module."""
    global _device_module, _device_array_type
    _device_module, _device_array_type = module, module.ndarray


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        device_module()
    except (ImportError, RuntimeError):
        return False
    return True


def on_device(array) -> bool:
    """True when ``array`` lives on a GPU."""
    return type(array) is _device_array_type or type(array).__module__.startswith("cupy")


def device_of(array) -> Device:
    """The device ``array`` lives on."""
    if not on_device(array):
        return CPU
    dev = getattr(array, "device", None)
    return Device("gpu", int(getattr(dev, "id", 0) or 0))


def current_device() -> Device:
    """Where new weights and tensors are made: set by ``with glassnet.device(...)``."""
    return _current_device.get() or CPU


@contextlib.contextmanager
def device(spec):
    """A block in which new weights, tensors and models' inputs are placed on ``spec``
    (``"cpu"``, ``"gpu"``, ``"gpu:1"``, ``"/GPU:0"``), as ``tf.device``. Per thread.

    >>> import glassnet
    >>> with glassnet.device("cpu"):
    ...     str(glassnet.current_device())
    'cpu'
    """
    target = Device.parse(spec)
    if target.kind == "gpu":
        _check_gpu_index(target)
    token = _current_device.set(target)
    try:
        if target.kind == "gpu" and not isinstance(_device_module, _StandIn):
            with _device_module.cuda.Device(target.index):
                yield target
        else:
            yield target
    finally:
        _current_device.reset(token)


class _StandIn:
    """Marker base of test stand-ins for CuPy, which have no CUDA devices to select."""


def _check_gpu_index(target):
    xp = device_module()
    if isinstance(xp, _StandIn):
        return
    count = xp.cuda.runtime.getDeviceCount()
    if target.index >= count:
        raise ValueError(f"device: {target} does not exist; this machine has {count} GPU(s)")


def to_device(array, spec=None):
    """``array`` on ``spec`` (default: the current device): CuPy for a GPU, NumPy for the
    CPU. Already there: returned as is, no copy."""
    target = current_device() if spec is None else Device.parse(spec)
    if target.kind == "cpu":
        return to_host(array)
    xp = device_module()
    if on_device(array) and device_of(array) == target:
        return array
    if isinstance(xp, _StandIn):
        return xp.asarray(array)
    with xp.cuda.Device(target.index):
        return xp.asarray(array)


def to_host(array):
    """``array`` as a NumPy array (a copy from the GPU; the same array on the CPU)."""
    if on_device(array):
        return _device_module.asnumpy(array) if _device_module else array.get()
    return array


def as_array(data):
    """``data`` as an array on the current device: a GPU array stays as it is; anything else
    becomes a NumPy array, copied to the GPU inside ``with glassnet.device("gpu")``."""
    if type(data) is np.ndarray:
        array = data
    elif on_device(data):
        return data
    else:
        array = np.asarray(data)
    target = _current_device.get()
    if target is None or target.kind == "cpu":
        return array
    return to_device(array, target)


def xp_for(spec=None):
    """The array module of device ``spec`` (default: the current device)."""
    target = current_device() if spec is None else Device.parse(spec)
    return np if target.kind == "cpu" else device_module()


_device_generators = {}


def device_generator(host_generator):
    """A generator on the GPU that belongs to ``host_generator``: seeded once from it, so a
    seeded run draws the same masks every time (not the host's masks: a GPU generator differs)."""
    xp = device_module()
    key = id(host_generator)
    entry = _device_generators.get(key)
    if entry is None or entry[0] is not host_generator:
        seed = int(host_generator.integers(2 ** 63))
        entry = (host_generator, xp.random.default_rng(seed))
        _device_generators[key] = entry
    return entry[1]


def random_uniform(host_generator, shape, dtype, like):
    """Uniform [0, 1) draws of ``shape`` on the device of ``like`` (the host generator on the
    CPU, its GPU twin on a GPU)."""
    if on_device(like):
        return device_generator(host_generator).random(shape, dtype=dtype)
    return host_generator.random(shape, dtype=dtype)


def memory_info() -> dict:
    """The GPU memory pool: ``{"used_bytes", "total_bytes", "peak_bytes"}`` (peak since
    :func:`reset_peak_memory`); zeros when no GPU has been used."""
    if _device_module is None:
        return {"used_bytes": 0, "total_bytes": 0, "peak_bytes": 0}
    pool = _device_module.get_default_memory_pool()
    used, total = int(pool.used_bytes()), int(pool.total_bytes())
    _peak[0] = max(_peak[0], used)
    return {"used_bytes": used, "total_bytes": total, "peak_bytes": _peak[0]}


_peak = [0]


def note_memory() -> None:
    """Record the pool's current use toward ``memory_info()["peak_bytes"]`` (the training
    loop calls this after each step on the GPU; CuPy keeps no peak of its own)."""
    if _device_module is not None:
        _peak[0] = max(_peak[0], int(_device_module.get_default_memory_pool().used_bytes()))


def reset_peak_memory() -> None:
    _peak[0] = 0
