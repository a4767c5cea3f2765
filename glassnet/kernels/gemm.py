"""The trick: matrix products and column sums split over the threads of ``threads``.

Replaces ``a @ b``, ``a.T @ b`` and ``a.sum(axis=0)`` inside the fast kernels (``linear``,
``conv``); same values (to rounding: a sum over rows is added per slice, in row order, so the
result is the same on every run for a given thread count).

Inside a :func:`~glassnet.kernels.threads.thread_pool` block the BLAS runs one thread per call
(see ``threads``), so a large product is cut here instead, as PyTorch's intra-op pool does: by
rows of ``a`` when it is tall, else by columns of ``b``, so that each thread packs only its
part of the larger operand (splitting a dense layer's 32 rows made each thread pack the whole
weight matrix: slower than one thread). Outside a block every function is the plain NumPy
expression.
"""

from __future__ import annotations

import contextlib

import numpy as np

from glassnet.kernels import threads

# A product too small to split that still gains from the BLAS's own threads (whose threads
# wake faster than a Python worker): measured on 2 cores, 784x128 dense layers at batch 128
# (12.8M multiply-adds) ran 5% faster on the BLAS's 2 threads, at batch 32 (3.2M) 8% slower.
BLAS_THREADS_MIN = 8_000_000


@contextlib.contextmanager
def _blas_threads(held):
    """The BLAS's own threads for one matrix product while it is held to one (only while no
    other thread has a block open: the setting is process-wide)."""
    if not threads.alone():
        yield
        return
    for lib, _ in held:
        lib.set_num_threads(threads.get_num_threads())
    try:
        yield
    finally:
        for lib, _ in held:
            lib.set_num_threads(1)


def _gemm_size(m, k, n):
    # One thread does about 64 multiply-adds in the time a memory-bound pass takes per
    # element, so this compares with MIN_ELEMENTS.
    return m * k * n // 64


def matmul(a, b, out=None):
    """``a @ b`` (``a`` of any rank, ``b`` 2-D), split over the threads. Small products, and
    any outside a thread_pool block, are plain ``np.matmul``."""
    if a.size * b.shape[1] < BLAS_THREADS_MIN:  # the common small case: no lookups
        return np.matmul(a, b, out=out)
    held = threads.blas_held()
    if held is None:
        return np.matmul(a, b, out=out)
    if a.ndim != 2:
        flat = matmul(a.reshape(-1, a.shape[-1]), b)
        return flat.reshape(*a.shape[:-1], b.shape[1])
    (m, k), n = a.shape, b.shape[1]
    if out is None:
        out = np.empty((m, n), np.result_type(a, b))
    size, by_rows = _gemm_size(m, k, n), m >= 4 * max(k, n)
    if threads.parts(m if by_rows else n, size) < 2:
        with _blas_threads(held):
            return np.matmul(a, b, out=out)
    if by_rows:
        threads.over_batch(lambda lo, hi: np.matmul(a[lo:hi], b, out=out[lo:hi]), m, size)
    else:
        threads.over_batch(lambda lo, hi: np.matmul(a, b[:, lo:hi], out=out[:, lo:hi]), n, size)
    return out


def matmul_tn(a, b, out=None):
    """``a.T @ b`` for ``a`` (M, K) and ``b`` (M, N), split over the threads.

    A tall product (a weight gradient of a convolution: M = batch x pixels) is a sum over M:
    each thread multiplies its rows and the partial products are added in row order. Otherwise
    (a dense layer's weight gradient) each thread computes its own columns of the result.
    """
    (m, k), n = a.shape, b.shape[1]
    if m * k * n < BLAS_THREADS_MIN:
        return np.matmul(a.T, b, out=out)
    held = threads.blas_held()
    if held is None:
        return np.matmul(a.T, b, out=out)
    size, by_rows = _gemm_size(m, k, n), m >= 4 * max(k, n)
    if threads.parts(m if by_rows else n, size) < 2:
        with _blas_threads(held):
            return np.matmul(a.T, b, out=out)
    if out is None:
        out = np.empty((k, n), np.result_type(a, b))
    if not by_rows:
        threads.over_batch(lambda lo, hi: np.matmul(a.T, b[:, lo:hi], out=out[:, lo:hi]), n,
                           size)
        return out
    partials = {}

    def part(lo, hi):
        partials[lo] = a[lo:hi].T @ b[lo:hi]

    threads.over_batch(part, m, size)
    return sum_in_order(partials, out)


def sum_rows(a):
    """``a.sum(axis=0)`` for a 2-D ``a``, as matrix-vector products (5x faster than NumPy's
    column sum over a tall array), the rows split over the threads."""
    ones = np.ones(len(a), a.dtype)
    partials = {}

    def part(lo, hi):
        partials[lo] = ones[lo:hi] @ a[lo:hi]

    threads.over_batch(part, len(a), a.size)
    return sum_in_order(partials)


def sum_in_order(partials, out=None):
    """The sum of per-slice results ``{first row: array}``, added in row order so that the
    result does not depend on which thread finished first. Writes into ``out`` if given."""
    first, *rest = (partials[lo] for lo in sorted(partials))
    if not rest:
        if out is None:
            return first
        np.copyto(out, first)
        return out
    total = np.add(first, rest[0], out=out)
    for partial in rest[1:]:
        total += partial
    return total
