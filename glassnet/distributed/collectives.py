"""``allreduce``, ``allgather`` and ``broadcast`` on NumPy arrays and glassnet Tensors.

Every call moves NumPy buffers with mpi4py's uppercase, buffer-based calls (``Allreduce``,
``Allgatherv``, ``Bcast``): nothing is pickled, and a buffer of more than 2**30 elements is
sent in pieces, so arrays above 2 GiB work. Each call returns the kind it was given (an
array for an array, a Tensor for a Tensor; the result is a constant, outside any gradient).

Before moving data, the ranks compare a fingerprint of what they pass (dtype and shape) in
one small allreduce, so a rank that passes something else makes every rank raise the same
ValueError instead of corrupting memory or waiting forever.

>>> import numpy as np, glassnet.distributed as hvd
>>> hvd.init()  # doctest: +SKIP
>>> hvd.allreduce(np.array([1.0, 2.0]), op=hvd.Sum)  # doctest: +SKIP
array([2., 4.])                                      # on 2 ranks
"""

from __future__ import annotations

import zlib

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.distributed.ops import (
    Average,
    Compression,
    check_compression,
    check_op,
    mpi_op,
)
from glassnet.distributed.runtime import check_root, job, mpi, wait

CHUNK = 1 << 30  # elements per MPI call: counts are C ints


def as_array(value, what, arg="tensor"):
    """``(array, was_tensor)`` for a Tensor, an array or a number/list of numbers."""
    if isinstance(value, Tensor):
        array, was_tensor = value.data, True
    elif isinstance(value, (np.ndarray, np.number, int, float, list, tuple)) \
            and not isinstance(value, bool):
        array, was_tensor = np.asarray(value), False
    else:
        raise TypeError(f"{what}: `{arg}` must be a NumPy array or a glassnet Tensor. "
                        f"Received: {type(value).__name__}")
    if array.dtype.kind not in "fiuc":
        raise TypeError(f"{what}: `{arg}` must hold numbers (float, int or complex). "
                        f"Received: dtype {array.dtype}")
    return array, was_tensor


def as_kind(array, was_tensor):
    return Tensor(array) if was_tensor else array


def fingerprint(*parts):
    """A 32-bit checksum of the parts' text (dtypes, shapes, names)."""
    return zlib.crc32(repr(parts).encode())


def agree(value, what, label):
    """Raise the same ValueError on every rank unless all ranks passed the same ``value``."""
    current = job(what)
    if current.size == 1:
        return
    buf = np.array([value, -value], dtype=np.int64)
    _allreduce_words(buf, mpi().MAX, None, what)
    if buf[0] != -buf[1]:
        raise ValueError(f"{what}: every rank must pass {label}; rank {current.rank} passed "
                         f"one that differs from another rank's")


def _pieces(n):
    return [(lo, min(lo + CHUNK, n)) for lo in range(0, n, CHUNK)] or [(0, 0)]


def _allreduce_words(buf, mop, datatype, what):
    current = job(what)
    MPI = mpi()
    for lo, hi in _pieces(buf.size):
        piece = buf[lo:hi]
        spec = piece if datatype is None else [piece, datatype]
        if current.timeout is None:
            current.comm.Allreduce(MPI.IN_PLACE, spec, op=mop)
        else:
            wait(current.comm.Iallreduce(MPI.IN_PLACE, spec, op=mop), what)


def reduce_in_place(buf, op, what):
    """Reduce the flat, contiguous ``buf`` over the ranks with ``op``, in place (Average
    divides the sum by ``size()``; ``buf`` must then be floating)."""
    current = job(what)
    if current.size > 1:
        mop, datatype = mpi_op(op, buf.dtype)
        _allreduce_words(buf, mop, datatype, what)
    if op is Average and current.size > 1:
        np.divide(buf, current.size, out=buf)
    return buf


def words(array):
    """The flat, contiguous ``array`` viewed as unsigned words (a datatype MPI moves)."""
    flat = array.reshape(-1)
    width = min(flat.dtype.itemsize, 8)
    return flat.view(np.dtype(f"u{width}"))


def bcast_in_place(array, root, what):
    """Broadcast the contiguous ``array`` from ``root`` into every rank's ``array``."""
    current = job(what)
    if current.size == 1 or array.size == 0:
        return
    flat = words(array)
    for lo, hi in _pieces(flat.size):
        if current.timeout is None:
            current.comm.Bcast(flat[lo:hi], root=root)
        else:
            wait(current.comm.Ibcast(flat[lo:hi], root=root), what)


def allreduce(tensor, op=Average, name=None, compression=Compression.none):
    """The element-wise reduction of ``tensor`` over all ranks, on every rank.

    ``op`` is ``Average`` (the sum divided by ``size()``; integers give float64), ``Sum``,
    ``Min``, ``Max`` or ``Product``. ``compression=Compression.fp16`` sends floating values
    as float16 and returns them in their own dtype. ``name`` is accepted as Horovod's label.
    """
    what = f"allreduce{f' {name!r}' if name else ''}"
    op = check_op(op, what)
    array, was_tensor = as_array(tensor, what)
    compression = check_compression(compression, what)
    agree(fingerprint(array.dtype.str, array.shape), what, "an array of the same shape and dtype")
    out, ctx = compression.compress(np.array(array, order="C", copy=True))
    if op is Average and out.dtype.kind in "iu":
        out = out.astype(np.float64)
    reduce_in_place(out.reshape(-1), op, what)
    return as_kind(compression.decompress(out, ctx), was_tensor)


def allgather(tensor, name=None):
    """Every rank's ``tensor`` joined along the first axis, in rank order, on every rank.

    The first dimension may differ between ranks; the dtype and the other dimensions must
    match. A 0-d value counts as shape (1,).
    """
    what = f"allgather{f' {name!r}' if name else ''}"
    array, was_tensor = as_array(tensor, what)
    array = np.ascontiguousarray(array.reshape(1) if array.ndim == 0 else array)
    agree(fingerprint(array.dtype.str, array.shape[1:]), what,
          "arrays of the same dtype and the same shape after the first axis")
    current = job(what)
    if current.size == 1:
        return as_kind(array.copy(), was_tensor)
    counts = np.empty(current.size, dtype=np.int64)
    mine = np.array([array.shape[0]], dtype=np.int64)
    if current.timeout is None:
        current.comm.Allgather(mine, counts)
    else:
        wait(current.comm.Iallgather(mine, counts), what)
    row = int(np.prod(array.shape[1:], dtype=np.int64))
    out = np.empty((int(counts.sum()), *array.shape[1:]), dtype=array.dtype)
    send, receive = words(array), words(out)
    sizes = counts * row * max(array.dtype.itemsize // 8, 1)  # in words
    if receive.size >= 2 ** 31:
        raise ValueError(f"{what}: {receive.nbytes} bytes in all is beyond one Allgatherv "
                         f"(2**31 words); gather in parts")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    spec = [receive, (sizes.tolist(), offsets.tolist())]
    if current.timeout is None:
        current.comm.Allgatherv(send, spec)
    else:
        wait(current.comm.Iallgatherv(send, spec), what)
    return as_kind(out, was_tensor)


def broadcast(tensor, root_rank=0, name=None):
    """The value of ``tensor`` on rank ``root_rank``, returned on every rank (each rank
    passes an array of the same shape and dtype)."""
    what = f"broadcast{f' {name!r}' if name else ''}"
    array, was_tensor = as_array(tensor, what)
    root = check_root(root_rank, what)
    agree(fingerprint(array.dtype.str, array.shape), what, "an array of the same shape and dtype")
    out = np.array(array, order="C", copy=True)
    bcast_in_place(out, root, what)
    return as_kind(out, was_tensor)
