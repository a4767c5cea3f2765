"""Reduction operations (``Average``, ``Sum``, ``Min``, ``Max``) and gradient compression
(``Compression.none``, ``Compression.fp16``), with Horovod's names.

MPI has no float16 reduction in Open MPI 4 (``MPI_ERR_TYPE``), so float16 buffers travel as
16-bit words and are reduced by a user-defined MPI operation that views them as float16 and
adds (or takes the minimum or maximum) with NumPy; the operation is commutative, so every
rank gets the same bits.

>>> Compression.fp16.compress(np.ones(2, np.float32))[0].dtype
dtype('float16')
"""

from __future__ import annotations

import enum

import numpy as np

from glassnet.distributed.runtime import mpi


class ReduceOp(enum.Enum):
    """How ``allreduce`` combines the ranks' values: Average is Sum divided by ``size()``."""

    AVERAGE = "average"
    SUM = "sum"
    ADASUM = "adasum"
    MIN = "min"
    MAX = "max"
    PRODUCT = "product"


Average, Sum, Adasum = ReduceOp.AVERAGE, ReduceOp.SUM, ReduceOp.ADASUM
Min, Max, Product = ReduceOp.MIN, ReduceOp.MAX, ReduceOp.PRODUCT

_NUMPY = {ReduceOp.SUM: np.add, ReduceOp.AVERAGE: np.add, ReduceOp.MIN: np.minimum,
          ReduceOp.MAX: np.maximum, ReduceOp.PRODUCT: np.multiply}


def check_op(op, what, allowed=(Average, Sum, Min, Max, Product)):
    """``op`` as a ReduceOp among ``allowed``; NotImplementedError for Adasum."""
    if op is Adasum:
        raise NotImplementedError(f"{what}: op=Adasum is not implemented; use op=Average "
                                  f"(or Sum)")
    if not isinstance(op, ReduceOp) or op not in allowed:
        names = ", ".join(o.name.capitalize() for o in allowed)
        raise ValueError(f"{what}: `op` must be one of {names} (glassnet.distributed.Average "
                         f"...). Received: op={op!r}")
    return op


def mpi_op(op, dtype):
    """The MPI operation and datatype that reduce a buffer of ``dtype`` with ``op``."""
    MPI = mpi()
    if dtype == np.float16:
        return _float16_op(op), MPI.UINT16_T
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVERAGE: MPI.SUM, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX, ReduceOp.PRODUCT: MPI.PROD}[op], None


_FLOAT16_OPS = {}


def _float16_op(op):
    fn = _NUMPY[op]
    key = fn.__name__
    if key not in _FLOAT16_OPS:
        def reduce(inbuf, inoutbuf, datatype):
            a = np.frombuffer(inbuf, dtype=np.float16)
            b = np.frombuffer(inoutbuf, dtype=np.float16)
            fn(b, a, out=b)

        _FLOAT16_OPS[key] = mpi().Op.Create(reduce, commute=True)
    return _FLOAT16_OPS[key]


class NoneCompressor:
    """No compression: the values travel as they are."""

    wire_dtype = None

    @staticmethod
    def compress(array):
        return array, None

    @staticmethod
    def decompress(array, ctx):
        return array


class FP16Compressor:
    """Floating values travel as float16 (half the bytes; about 3 significant digits) and
    come back in their own dtype. Other dtypes travel as they are."""

    wire_dtype = np.float16

    @staticmethod
    def compress(array):
        if np.issubdtype(array.dtype, np.floating) and array.dtype != np.float16:
            return array.astype(np.float16), array.dtype
        return array, None

    @staticmethod
    def decompress(array, ctx):
        return array if ctx is None else array.astype(ctx)


class Compression:
    """Horovod's compression choices: ``Compression.none`` and ``Compression.fp16``."""

    none = NoneCompressor
    fp16 = FP16Compressor


def check_compression(compression, what):
    if compression not in (NoneCompressor, FP16Compressor):
        raise ValueError(f"{what}: `compression` must be Compression.none or Compression.fp16. "
                         f"Received: compression={compression!r}")
    return compression
