"""Reading zip archives, JSON and ``.npy`` arrays from files that may be hostile.

Every size a file declares (zip entries, members, array headers, JSON) is checked against the
bytes actually there and against the limits below before anything is allocated for it; every
problem is an ``UnsafeFileError`` naming the file and the member.
"""

from __future__ import annotations

import ast
import collections
import json
import os
import re
import stat
import struct
import zipfile

import numpy as np

from glassnet.io.errors import READ_ERRORS, UnsafeFileError
from glassnet.io.member_stream import MemberStream

# Limits on what a file may declare. Weights may legitimately compress by 1000x (a layer
# initialised with zeros), so sizes are bounded in total, not by compression ratio.
MAX_MEMBER_BYTES = 4 << 30
MAX_TOTAL_BYTES = 8 << 30
MAX_JSON_BYTES = 32 << 20
MAX_JSON_DEPTH = 64
MAX_ZIP_ENTRIES = 100_000
MAX_NPY_HEADER = 10_000  # NumPy's own limit for a header read without trust
MAX_NDIM = 32

SUPPORTED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


# -- opening -------------------------------------------------------------------------------

def open_regular_file(path):
    """``path`` opened for reading, refusing symlinks, devices, FIFOs and folders (a model
    "file" that is /dev/zero would never end)."""
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    except OSError as err:
        if os.path.islink(path):
            raise UnsafeFileError(f"{path} is a symbolic link; refused (pass the path of the "
                                  f"file itself)") from None
        raise UnsafeFileError(f"{path} cannot be opened as a regular file ({err}); "
                              f"refused") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
        raise UnsafeFileError(f"{path} is {kind}, not a regular file; refused")
    return os.fdopen(fd, "rb")


# -- zip archives --------------------------------------------------------------------------

def _central_directory(tail, source, what):
    """(entries, central directory bytes) declared by a zip's end record, read from the last
    bytes of the archive (before zipfile parses an unbounded central directory)."""
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise UnsafeFileError(f"{source}: {what} is not a zip archive, or is damaged or "
                              f"truncated; refused")
    _, _, _, _, entries, size, _, _ = struct.unpack("<4s4H2LH", tail[at:at + 22])
    return entries, size, at


def precheck_zip(fileobj, source, what, max_entries):
    """Refuse an archive whose end record declares more entries than ``max_entries``."""
    fileobj.seek(0, os.SEEK_END)
    length = fileobj.tell()
    fileobj.seek(max(0, length - (1 << 16) - 22))
    tail = fileobj.read()
    fileobj.seek(0)
    entries, size, _ = _central_directory(tail, source, what)
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # zip64: the counts are elsewhere; bound size
        size = min(length, size)
    if entries > max_entries or size > max_entries * 1024:
        raise UnsafeFileError(f"{source}: {what} declares {entries} entries ({size} bytes of "
                              f"directory), more than a glassnet file has; refused")


def open_zip(fileobj, source, what="the file", max_entries=16):
    precheck_zip(fileobj, source, what, max_entries)
    try:
        return zipfile.ZipFile(fileobj)
    except READ_ERRORS as err:
        raise UnsafeFileError(f"{source}: {what} is not a valid zip archive, or is damaged or "
                              f"truncated ({err})") from None


def check_members(archive, source, allowed=None, where=""):
    """Refuse unexpected, duplicate, traversing, encrypted or oddly compressed members and
    declared sizes over the limits; returns {name: info}."""
    infos = archive.infolist()
    counts = collections.Counter(info.filename for info in infos)
    total = 0
    for info in infos:
        name = info.filename
        label = f"{source}: {where}member '{name}'"
        if counts[name] > 1:
            raise UnsafeFileError(f"{label} appears {counts[name]} times (which copy would be "
                                  f"read is ambiguous); refused")
        if allowed is not None and name not in allowed:
            raise UnsafeFileError(f"{source}: unexpected {where}member '{name}' (a glassnet "
                                  f"file holds only {', '.join(allowed)}); refused")
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise UnsafeFileError(f"{label} points outside the archive; refused")
        if info.flag_bits & 0x1:
            raise UnsafeFileError(f"{label} is encrypted; refused")
        if info.compress_type not in SUPPORTED_COMPRESSION:
            raise UnsafeFileError(f"{label} uses compression method {info.compress_type}; "
                                  f"only stored and deflated members are read; refused")
        if info.file_size > MAX_MEMBER_BYTES:
            raise UnsafeFileError(f"{label} declares {info.file_size} bytes, over the "
                                  f"{MAX_MEMBER_BYTES}-byte limit; refused")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise UnsafeFileError(f"{source}: the {where}members declare {total} bytes in all, over "
                              f"the {MAX_TOTAL_BYTES}-byte limit; refused")
    return {info.filename: info for info in infos}


def read_member(archive, info, source, where="", limit=None):
    """A member's bytes: no more than it declared (the declaration may lie), CRC checked."""
    label = f"{source}: {where}member '{info.filename}'"
    if limit is not None and info.file_size > limit:
        raise UnsafeFileError(f"{label} declares {info.file_size} bytes, over the {limit}-byte "
                              f"limit for it; refused")
    try:
        with archive.open(info) as f:
            data = f.read(info.file_size)
            extra = f.read(1)
            if not extra:
                f.read()  # reaching the end is what makes zipfile check the CRC
    except READ_ERRORS as err:
        raise UnsafeFileError(f"{label} is damaged or truncated ({err}); refused") from None
    if extra:
        raise UnsafeFileError(f"{label} holds more than the {info.file_size} bytes it "
                              f"declares; refused")
    if len(data) != info.file_size:
        raise UnsafeFileError(f"{label} holds {len(data)} bytes but declares "
                              f"{info.file_size}; refused")
    return data


# -- JSON ----------------------------------------------------------------------------------

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"the key {twice[0]!r} appears twice in one object")
    return dict(pairs)


def parse_json(data, source, member):
    """JSON of bounded size and nesting depth (deeper would exhaust the parser's stack)."""
    label = f"{source}: {member}"
    if len(data) > MAX_JSON_BYTES:
        raise UnsafeFileError(f"{label} is {len(data)} bytes, over the {MAX_JSON_BYTES}-byte "
                              f"limit for JSON; refused")
    bare = np.frombuffer(_STRINGS.sub(b'""', data), dtype=np.uint8)
    step = (np.isin(bare, (ord("["), ord("{"))).astype(np.int64)
            - np.isin(bare, (ord("]"), ord("}"))))
    depth = int(np.cumsum(step).max()) if step.size else 0
    if depth > MAX_JSON_DEPTH:
        raise UnsafeFileError(f"{label} nests {depth} levels deep, over the limit of "
                              f"{MAX_JSON_DEPTH}; refused")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnsafeFileError(f"{label} is not UTF-8 text ({err.reason} at byte "
                              f"{err.start}); refused") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as err:
        raise UnsafeFileError(f"{label} is not valid JSON ({err}); refused") from None


# -- .npy arrays ---------------------------------------------------------------------------

class NpyHeader:
    """What an ``.npy`` member declares: dtype, shape, order and where its data starts."""

    def __init__(self, dtype, shape, fortran, offset):
        self.dtype, self.shape, self.fortran, self.offset = dtype, shape, fortran, offset
        self.size = 1
        for n in shape:
            self.size *= n
        self.nbytes = self.size * dtype.itemsize


def parse_npy_header(head, label):
    """The header at the start of an ``.npy`` (``head``: its first bytes), validated: plain
    numeric dtype, a shape of non-negative integers."""
    if head[:6] != b"\x93NUMPY" or len(head) < 10:
        raise UnsafeFileError(f"{label} is not a .npy array; refused")
    major = head[6]
    if major == 1:
        length, start = struct.unpack("<H", head[8:10])[0], 10
    elif major in (2, 3) and len(head) >= 12:
        length, start = struct.unpack("<I", head[8:12])[0], 12
    else:
        raise UnsafeFileError(f"{label} has an unknown .npy format version {major}; refused")
    if length > MAX_NPY_HEADER or len(head) < start + length:
        raise UnsafeFileError(f"{label} declares a {length}-byte .npy header, longer than the "
                              f"member or the {MAX_NPY_HEADER}-byte limit; refused")
    try:
        text = head[start:start + length].decode("latin1" if major < 3 else "utf-8")
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
        raise UnsafeFileError(f"{label} has an unreadable .npy header; refused") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise UnsafeFileError(f"{label} has a .npy header that is not "
                              f"{{descr, fortran_order, shape}}; refused")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    dtype = None
    if isinstance(descr, str) and len(descr) <= 8:
        try:
            dtype = np.dtype(descr)
        except (TypeError, ValueError):
            dtype = None
    if dtype is None or dtype.kind not in "biuf" or dtype.hasobject or dtype.names:
        if isinstance(descr, str) and descr.lstrip("|<>=") == "O":
            raise UnsafeFileError(f"{label}: the weights contain pickled Python objects, which "
                                  f"could run code when read; refused (weights must be plain "
                                  f"numeric arrays)")
        raise UnsafeFileError(f"{label} declares dtype {descr!r}; only plain numeric arrays "
                              f"are read; refused")
    if not isinstance(fortran, bool):
        raise UnsafeFileError(f"{label} has fortran_order {fortran!r}; refused")
    if not (isinstance(shape, tuple) and len(shape) <= MAX_NDIM
            and all(type(n) is int and n >= 0 for n in shape)):
        raise UnsafeFileError(f"{label} declares the shape {shape!r}; refused")
    return NpyHeader(dtype, shape, fortran, start + length)


class NpzReader:
    """The arrays of an ``.npz`` in ``data``: bytes, or a seekable binary file (a
    ``MemberStream``, an open file) read only where asked. Members and headers are checked on
    construction (reading a few bytes of each member); the arrays are only made, one at a
    time, by ``array(name)``."""

    def __init__(self, data, source, where):
        import io

        self.source, self.where = source, where
        fileobj = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
        self._stream = fileobj
        self._zip = open_zip(fileobj, source, where, MAX_ZIP_ENTRIES)
        self.infos = check_members(self._zip, source, where=f"{where}: ")
        self.headers = {}
        for name, info in self.infos.items():
            label = f"{source}: {where}: member '{name}'"
            if not name.endswith(".npy"):
                raise UnsafeFileError(f"{label} is not a .npy array; refused")
            try:
                with self._zip.open(info) as f:
                    head = f.read(min(info.file_size, MAX_NPY_HEADER + 12))
            except READ_ERRORS as err:
                raise UnsafeFileError(f"{label} is damaged or truncated ({err}); "
                                      f"refused") from None
            header = parse_npy_header(head, label)
            if header.offset + header.nbytes != info.file_size:
                raise UnsafeFileError(
                    f"{label} declares an array of shape {header.shape} and dtype "
                    f"{header.dtype} ({header.nbytes} bytes) but holds "
                    f"{info.file_size - header.offset} bytes of data; refused")
            self.headers[name[:-4]] = header

    @property
    def total_elements(self):
        return sum(h.size for h in self.headers.values())

    def array(self, key):
        header, info = self.headers[key], self.infos[key + ".npy"]
        data = read_member(self._zip, info, self.source, f"{self.where}: ")
        order = "F" if header.fortran else "C"
        flat = np.frombuffer(data, dtype=header.dtype, count=header.size, offset=header.offset)
        return flat.reshape(header.shape, order=order)

    def close(self):
        self._zip.close()
        if isinstance(self._stream, MemberStream):
            self._stream.close()
