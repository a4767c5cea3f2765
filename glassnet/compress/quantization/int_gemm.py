"""Integer matrix products: uint8 activations times int8 weights, accumulated exactly in int32.

.. math::

    acc_{mn} = \\sum_k (a_{mk} - z_a) \\, w_{kn}
             = \\sum_k a_{mk} w_{kn} - z_a \\sum_k w_{kn}

NumPy has no integer BLAS: ``int32 @ int32`` runs a plain loop, about 75x slower than a
float32 GEMM (measured on 2 cores, 2048x784 @ 784x300: 435 ms against 5.8 ms). A float32
GEMM is exact on integers as long as every partial sum stays below 2**24: with |a| <= 255
and |w| <= 127 each term is at most 32,385, so a product over K <= 518 is exact whatever
order the BLAS adds in (every partial sum is a sum of some of the terms); the sharper
bound of ``exact_rows`` (255 times a weight column's L1 norm) lets most trained layers run
as one GEMM. Longer products are cut into chunks along K; each chunk's exact result goes to
int32 and the chunks are added there. Measured at the size above, casts included: 8-9 ms
(float32, one GEMM or two chunks), 15 ms (float64, exact to 2**53), 435 ms (int32).

>>> a = np.array([[3, 255]], np.uint8); w = np.array([[-127], [2]], np.int8)
>>> int_matmul(a, w, zero_point=3).tolist()
[[504]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["chunk_length", "exact_matmul", "exact_rows", "int_matmul"]

_EXACT = 2 ** 24  # float32 holds every integer of magnitude up to 2**24


def exact_rows(w, a_max=255, extra=0):
    """Row ranges [(lo, hi)] of the integer matrix ``w`` (K, N) whose products with any
    |a| <= ``a_max`` are exact in float32 (``extra``: a bias added to the same sums).

    The bound: every partial sum of sum_k a_k w_kn is at most a_max * sum_k |w_kn| in
    magnitude, so a column's L1 norm, not K * 127, decides. Trained int8 weights average
    |q| of about 30, so a 784-input Dense (worst case 784 * 255 * 127 = 25M > 2**24) is
    exact in one GEMM (about 6M); the worst case needs ceil(K / 518) chunks.
    """
    l1 = np.abs(np.asarray(w, np.int64))
    k = len(l1)
    for parts in range(1, k + 1):
        size = -(-k // parts)
        rows = [(lo, min(lo + size, k)) for lo in range(0, k, size)]
        if all(a_max * int(l1[lo:hi].sum(axis=0).max(initial=0)) + extra <= _EXACT
               for lo, hi in rows):
            return rows
    raise ValueError(f"exact_rows: |a| <= {a_max} times one weight row exceeds 2**24 "
                     f"(extra={extra}); these products cannot be exact in float32")


def chunk_length(a_max=255, w_max=127):
    """The longest K exact in float32 whatever the weights: K * a_max * w_max <= 2**24."""
    return max(1, _EXACT // max(1, a_max * w_max))


def int_matmul(a, w, zero_point=0, method="float32"):
    """int32 ``(a - zero_point) @ w`` for uint8 ``a`` (M, K) and int8 ``w`` (K, N), exact.

    Args:
        a: uint8 (or any integer array with values in [0, 255]), shape (M, K).
        w: int8 weights in [-127, 127], shape (K, N).
        zero_point: the activation zero point subtracted from ``a``.
        method: "float32" (chunked float32 GEMM, the fastest), "float64" or "int32" (NumPy's
            integer loop; the reference).
    """
    if a.ndim != 2 or w.ndim != 2 or a.shape[1] != w.shape[0]:
        raise ValueError(f"int_matmul: expected a (M, K) and w (K, N). Received: "
                         f"a {a.shape}, w {w.shape}")
    if method == "int32":
        acc = a.astype(np.int32) @ w.astype(np.int32)
        if zero_point:  # z * the column sums of w (each at most 127 * K): int32 too
            acc -= np.int32(zero_point) * w.astype(np.int32).sum(axis=0, dtype=np.int32)
        return acc
    if method == "float64":
        centered = a.astype(np.float64) - zero_point
        return np.matmul(centered, w.astype(np.float64)).astype(np.int32)
    if method == "float32":
        # a - z in [-255, 255] is as exact in float32 as a itself, and saves the
        # column-sum correction
        return exact_matmul(a.astype(np.float32) - np.float32(zero_point),
                            w.astype(np.float32))
    raise ValueError(f"int_matmul: method must be 'float32', 'float64' or 'int32'. "
                     f"Received: method={method!r}")


def exact_matmul(a, w):
    """int32 ``a @ w`` for float32 ``a`` and ``w`` holding integers with |a| <= 255: one
    float32 GEMM per range of ``exact_rows(w)``, the results added in int32.

    Plain ``np.matmul``: the quantized layers call this from the threads of
    ``kernels.threads`` on their own rows, where a further split would only contend."""
    acc = None
    for lo, hi in exact_rows(w):
        part = np.matmul(a[:, lo:hi], w[lo:hi]).astype(np.int32)
        acc = part if acc is None else np.add(acc, part, out=acc)
    return acc
