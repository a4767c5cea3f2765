"""Reading the pickles inside dataset files without running pickle.

Some files Keras publishes are pickles: CIFAR's batches are pickled dicts of NumPy arrays,
``imdb.npz`` and ``reuters.npz`` hold object arrays (lists of word indices) whose ``.npy``
payload is a pickle. ``pickle.load`` would call whatever global a file names (``os.system``
included), so glassnet never calls it. This module reads the pickle opcode stream itself and
builds plain data only:

- ``dict``, ``list``, ``tuple``, ``str``, ``bytes``, ``int``, ``float``, ``bool``, ``None``;
- NumPy arrays and dtypes, from exactly the globals NumPy's own pickles name
  (``numpy.core.multiarray._reconstruct`` + ``numpy.ndarray`` + ``numpy.dtype``, the
  protocol-5 ``numpy.core.numeric._frombuffer``, ``numpy.core.multiarray.scalar``, and
  ``_codecs.encode`` with latin-1 and ``bytes()``, which is how protocol 2 spells ``bytes``),
  each mapped to a constructor of this module that only reshapes bytes NumPy already holds.

Any other global or opcode (``NEWOBJ``, ``INST``, ``PERSID``, extension codes, ...) raises
:class:`UnsafePickleError` naming it, before anything is built from it. Sizes are bounded: the
stream itself (``max_bytes``) and every array, whose declared shape times item size must
equal the bytes that came with it before anything is allocated.

Python 2 strings (``STRING`` opcodes, CIFAR's keys) are returned as ``bytes``, as
``pickle.load(f, encoding="bytes")`` does.

>>> import pickle, numpy as np
>>> loads(pickle.dumps({"x": np.arange(3), "y": [1, "a"]}, protocol=2))["x"].tolist()
[0, 1, 2]
"""

from __future__ import annotations

import io
import math
import struct
import zipfile

import numpy as np

MAX_BYTES = 1 << 31  # 2 GiB: far above any dataset file Keras publishes


class UnsafePickleError(ValueError):
    """The pickle names a global or an opcode glassnet does not build."""


class _Global:
    """A global the reader accepts: an inert marker, callable only through REDUCE."""

    def __init__(self, name, build):
        self.name, self.build = name, build

    def __repr__(self):
        return f"<global {self.name}>"


class _Pending:
    """An object made by REDUCE that the following BUILD completes (a dtype, an array)."""

    def __init__(self, kind, args):
        self.kind, self.args, self.value = kind, args, None


_MARK = object()


def _text(value, what):
    if isinstance(value, bytes):
        return value.decode("ascii")
    if isinstance(value, str):
        return value
    raise UnsafePickleError(f"{what}: expected a string. Received: {type(value).__name__}")


def _shape(value):
    if not isinstance(value, tuple) or not all(
            type(n) is int and n >= 0 for n in value):
        raise UnsafePickleError(f"array shape must be a tuple of non-negative integers. "
                                f"Received: {value!r}")
    return value


def _dtype(name, align=False, copy=True):
    dtype = np.dtype(_text(name, "numpy.dtype"))
    if dtype.names is not None or dtype.subdtype is not None:
        raise UnsafePickleError(f"structured dtypes are not read. Received: {dtype}")
    return _Pending("dtype", (dtype,))


def _finish_dtype(pending, state):
    dtype = pending.args[0]
    if not isinstance(state, tuple) or len(state) < 2:
        raise UnsafePickleError(f"numpy.dtype state must be a tuple. Received: {state!r}")
    endian = _text(state[1], "dtype byte order")
    if endian in "<>" and dtype.itemsize > 1:
        dtype = dtype.newbyteorder(endian)
    return dtype


def _as_dtype(value):
    if not isinstance(value, np.dtype):
        raise UnsafePickleError(f"expected a numpy.dtype. Received: {type(value).__name__}")
    return value


def _array_from_bytes(data, dtype, shape, order="C"):
    """An array of ``shape`` from raw bytes, refusing a size that does not match."""
    expected = math.prod(shape) * dtype.itemsize
    if dtype.hasobject:
        raise UnsafePickleError("an object array cannot come from raw bytes")
    if not isinstance(data, (bytes, bytearray)) or len(data) != expected:
        size = len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__
        raise UnsafePickleError(f"array of shape {shape} and dtype {dtype} needs {expected} "
                                f"bytes. Received: {size}")
    return np.frombuffer(data, dtype).reshape(shape, order=order).copy(order="K")


def _reconstruct(cls, shape, typecode):
    if not (isinstance(cls, _Global) and cls.name == "numpy.ndarray"):
        raise UnsafePickleError(f"_reconstruct builds numpy.ndarray only. Received: {cls!r}")
    return _Pending("array", ())


def _finish_array(state):
    if not isinstance(state, tuple) or len(state) != 5:
        raise UnsafePickleError("numpy.ndarray state must be (version, shape, dtype, "
                                "fortran, data)")
    _, shape, dtype, fortran, data = state
    shape, dtype = _shape(shape), _as_dtype(dtype)
    order = "F" if fortran else "C"
    if not dtype.hasobject:
        return _array_from_bytes(data, dtype, shape, order)
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise UnsafePickleError(f"object array of shape {shape} needs a list of "
                                f"{math.prod(shape)} items")
    # fromiter keeps each item (a list of word indices) as one element; np.array would try
    # to broadcast equal-length lists into a second axis.
    return np.fromiter(data, dtype=object, count=len(data)).reshape(shape, order=order)


def _frombuffer(data, dtype, shape, order):
    return _array_from_bytes(data, _as_dtype(dtype), _shape(shape), _text(order, "order"))


def _scalar(dtype, data):
    dtype = _as_dtype(dtype)
    return _array_from_bytes(data, dtype, (1,))[0]


def _encode(text, encoding="utf-8"):
    # protocol 2's spelling of bytes: _codecs.encode("...", "latin1")
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode is read for latin-1 text only. Received: "
                                f"encoding={encoding!r}")
    return text.encode("latin-1")


def _bytes(*args):
    # protocol 2's spelling of b"": __builtin__.bytes()
    if args:
        raise UnsafePickleError("bytes(...) is read without arguments only")
    return b""


_GLOBALS = {("__builtin__", "bytes"): _bytes, ("builtins", "bytes"): _bytes}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _GLOBALS[(_module, "_reconstruct")] = _reconstruct
    _GLOBALS[(_module, "scalar")] = _scalar
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    _GLOBALS[(_module, "_frombuffer")] = _frombuffer
_GLOBALS[("numpy", "dtype")] = _dtype
_GLOBALS[("numpy", "ndarray")] = None  # an argument of _reconstruct, never called
_GLOBALS[("_codecs", "encode")] = _encode


def _global(module, name):
    key = (_text(module, "global module"), _text(name, "global name"))
    if key not in _GLOBALS:
        raise UnsafePickleError(f"refusing the global {key[0]}.{key[1]}: the file may be "
                                f"corrupted or malicious, and glassnet builds only plain data "
                                f"and NumPy arrays from pickles")
    return _Global(".".join(key), _GLOBALS[key])


class _Reader:
    def __init__(self, data):
        self.data, self.pos = memoryview(data), 0
        self.stack, self.marks, self.memo = [], [], {}

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise UnsafePickleError(f"the pickle is truncated: {n} bytes announced at offset "
                                    f"{self.pos}, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def small(self, n):
        """A 1- or 2-byte unsigned int (BININT1, BININT2: most word indices), read fast."""
        if self.pos + n > len(self.data):
            self.take(n)  # raises the truncation error
        value = int.from_bytes(self.data[self.pos:self.pos + n], "little")
        self.pos += n
        return value

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def line(self):
        end = bytes(self.data[self.pos:self.pos + 1024]).find(b"\n")
        if end < 0:
            raise UnsafePickleError("the pickle is truncated inside a GLOBAL")
        return bytes(self.take(end + 1))[:-1].decode("ascii")

    def pop_mark(self):
        if not self.marks:
            raise UnsafePickleError("the pickle pops a MARK it never set")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def pop(self):
        if len(self.stack) <= (self.marks[-1] if self.marks else 0):
            raise UnsafePickleError("the pickle pops from an empty stack")
        return self.stack.pop()

    def top(self):
        if not self.stack:
            raise UnsafePickleError("the pickle reads an empty stack")
        return self.stack[-1]

    def put(self, key):
        self.memo[key] = self.top()

    def get(self, key):
        if key not in self.memo:
            raise UnsafePickleError(f"the pickle reads memo entry {key}, which was never set")
        self.stack.append(self.memo[key])


def _target(reader, kind):
    target = reader.top()
    if not isinstance(target, kind):
        raise UnsafePickleError(f"expected a {kind.__name__} on the stack. Received: "
                                f"{type(target).__name__}")
    return target


def _reduce(r):
    args, fn = r.pop(), r.pop()
    if not isinstance(fn, _Global) or fn.build is None or not isinstance(args, tuple):
        raise UnsafePickleError(f"REDUCE of {fn!r} is not read")
    r.stack.append(fn.build(*args))


def _build(r):
    state, target = r.pop(), r.pop()
    if not isinstance(target, _Pending):
        raise UnsafePickleError(f"BUILD of a {type(target).__name__} is not read")
    value = _finish_dtype(target, state) if target.kind == "dtype" else _finish_array(state)
    r.stack.append(value)
    # the memo may hold the pending object (MEMOIZE right after REDUCE): point it at the value
    for key, held in r.memo.items():
        if held is target:
            r.memo[key] = value


def _setitems(r):
    items = r.pop_mark()
    if len(items) % 2:
        raise UnsafePickleError("SETITEMS needs key/value pairs")
    _target(r, dict).update(zip(items[::2], items[1::2]))


def _setitem(r):
    value, key = r.pop(), r.pop()
    _target(r, dict)[key] = value


def _append(r):
    value = r.pop()
    _target(r, list).append(value)


def _string(r, n):
    # Python 2 str: bytes, as pickle.load(encoding="bytes")
    r.stack.append(bytes(r.take(n)))


def _unicode(r, n):
    r.stack.append(str(r.take(n), "utf-8", "surrogatepass"))


def _long(r, n):
    r.stack.append(int.from_bytes(r.take(n), "little", signed=True))


def _tuple(r, n):
    if len(r.stack) < n:
        raise UnsafePickleError(f"TUPLE{n} needs {n} items on the stack")
    items = r.stack[len(r.stack) - n:]
    del r.stack[len(r.stack) - n:]
    r.stack.append(tuple(items))


_OPS = {
    b"\x80": lambda r: r.take(1),  # PROTO
    b"\x95": lambda r: r.take(8),  # FRAME: the bytes that follow are read as they come
    b".": None,  # STOP
    b"(": lambda r: r.marks.append(len(r.stack)),
    b"0": lambda r: r.pop(),
    b"1": lambda r: r.pop_mark(),
    b"2": lambda r: r.stack.append(r.top()),
    b"N": lambda r: r.stack.append(None),
    b"\x88": lambda r: r.stack.append(True),
    b"\x89": lambda r: r.stack.append(False),
    b"J": lambda r: r.stack.append(r.unpack("<i")),
    b"K": lambda r: r.stack.append(r.small(1)),
    b"M": lambda r: r.stack.append(r.small(2)),
    b"\x8a": lambda r: _long(r, r.unpack("<B")),
    b"\x8b": lambda r: _long(r, r.unpack("<i")),
    b"G": lambda r: r.stack.append(r.unpack(">d")),
    b"U": lambda r: _string(r, r.unpack("<B")),
    b"T": lambda r: _string(r, r.unpack("<i")),
    b"C": lambda r: r.stack.append(bytes(r.take(r.unpack("<B")))),
    b"B": lambda r: r.stack.append(bytes(r.take(r.unpack("<I")))),
    b"\x8e": lambda r: r.stack.append(bytes(r.take(r.unpack("<Q")))),
    b"\x96": lambda r: r.stack.append(bytearray(r.take(r.unpack("<Q")))),
    b"\x8c": lambda r: _unicode(r, r.unpack("<B")),
    b"X": lambda r: _unicode(r, r.unpack("<I")),
    b"\x8d": lambda r: _unicode(r, r.unpack("<Q")),
    b")": lambda r: r.stack.append(()),
    b"\x85": lambda r: _tuple(r, 1),
    b"\x86": lambda r: _tuple(r, 2),
    b"\x87": lambda r: _tuple(r, 3),
    b"t": lambda r: r.stack.append(tuple(r.pop_mark())),
    b"]": lambda r: r.stack.append([]),
    b"l": lambda r: r.stack.append(r.pop_mark()),
    b"a": _append,
    b"e": lambda r: (lambda items: _target(r, list).extend(items))(r.pop_mark()),
    b"}": lambda r: r.stack.append({}),
    b"d": lambda r: (lambda items: r.stack.append(dict(zip(items[::2], items[1::2]))))(
        r.pop_mark()),
    b"s": _setitem,
    b"u": _setitems,
    b"c": lambda r: r.stack.append(_global(r.line(), r.line())),
    b"\x93": lambda r: (lambda name, module: r.stack.append(_global(module, name)))(
        r.pop(), r.pop()),
    b"R": _reduce,
    b"b": _build,
    b"\x94": lambda r: r.put(len(r.memo)),  # MEMOIZE
    b"q": lambda r: r.put(r.unpack("<B")),
    b"r": lambda r: r.put(r.unpack("<I")),
    b"h": lambda r: r.get(r.unpack("<B")),
    b"j": lambda r: r.get(r.unpack("<I")),
}


def loads(data, max_bytes=MAX_BYTES):
    """The plain data (and NumPy arrays) a pickle describes, built without running pickle.

    Args:
        data: the pickle's bytes (protocols 2 to 5).
        max_bytes: refuse a longer stream.

    Raises:
        UnsafePickleError: a global or opcode outside the plain-data set, or a malformed or
            truncated stream; the message names it.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"loads: expected bytes. Received: {type(data).__name__}")
    if len(data) > max_bytes:
        raise UnsafePickleError(f"the pickle has {len(data)} bytes, more than max_bytes="
                                f"{max_bytes}")
    r = _Reader(data)
    raw = bytes(data)
    while True:
        # the opcode byte is read inline: this loop runs once per list item in imdb.npz
        code = raw[r.pos:r.pos + 1]
        r.pos += 1
        if not code:
            raise UnsafePickleError("the pickle is truncated: it ends without STOP")
        if code not in _OPS:
            raise UnsafePickleError(f"refusing pickle opcode {code!r} at offset {r.pos - 1}: "
                                    f"glassnet builds only plain data and NumPy arrays")
        op = _OPS[code]
        if op is None:
            result = r.pop()
            if isinstance(result, (_Pending, _Global)):
                raise UnsafePickleError(f"the pickle ends on {result!r}, not on data")
            return result
        op(r)


def load_npy(raw, max_bytes=MAX_BYTES):
    """An array from the bytes of a ``.npy`` file; an object array's pickled payload is read
    by :func:`loads` (never by pickle)."""
    f = io.BytesIO(raw)
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    if not dtype.hasobject:
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)
    array = loads(raw[f.tell():], max_bytes)
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise UnsafePickleError(f"the .npy header announces an object array of shape "
                                f"{tuple(shape)}; its payload is not one")
    return array


def load_npz(path, max_bytes=MAX_BYTES):
    """``{name: array}`` of an ``.npz`` file, object arrays included (read by :func:`loads`).

    Each member's declared size is checked against ``max_bytes`` before it is read.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > max_bytes:
                raise ValueError(f"{path}: member {info.filename} declares {info.file_size} "
                                 f"bytes, more than max_bytes={max_bytes}")
            with archive.open(info) as member:
                arrays[info.filename[:-4]] = load_npy(member.read(), max_bytes)
    return arrays
