"""``tf.linalg``: matrix functions with TensorFlow's names, argument order and results over
the op library (where tf's results differ from NumPy's, as ``svd``, this says so).

All act on the last two axes and batch over the rest.

>>> import glassnet as tf
>>> tf.linalg.det([[2.0, 0.0], [0.0, 3.0]]).item()
6.0
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops import (  # noqa: F401 - re-exported under tf's names
    cholesky,
    det,
    eigvalsh,
    einsum,
    inv,
    l2_normalize,
    slogdet,
    tensordot,
)
from glassnet.autograd.ops._operands import constant
from glassnet.tf.core import matmul, norm  # noqa: F401 - tf.linalg has them too
from glassnet.tf.creation import eye  # noqa: F401

__all__ = [
    "adjoint", "band_part", "cholesky", "cholesky_solve", "cross", "det", "diag", "diag_part",
    "eigh", "eigvalsh", "einsum", "eye", "global_norm", "inv", "l2_normalize", "logdet",
    "lstsq", "matmul", "matrix_transpose", "matvec", "norm", "normalize", "pinv", "qr",
    "set_diag", "slogdet", "solve", "svd", "tensordot", "trace", "triangular_solve",
]


def _matrices(x, op):
    x = constant(x)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected matrices (at least 2-D); received shape {x.shape}")
    return x


def matrix_transpose(a, name=None, conjugate=False):
    """The transpose of each matrix (the last two axes swapped)."""
    return ops.swapaxes(_matrices(a, "matrix_transpose"), -1, -2)


adjoint = matrix_transpose  # the conjugate transpose; glassnet tensors are real


def solve(matrix, rhs, adjoint=False, name=None):
    """x with matrix @ x = rhs (``adjoint``: matrix^T @ x = rhs); rhs is (..., M, K)."""
    matrix = _matrices(matrix, "solve")
    if adjoint:
        matrix = matrix_transpose(matrix)
    return ops.solve(matrix, _matrices(rhs, "solve"))


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """(q, r) with input = q @ r: q has orthonormal columns, r is upper triangular
    (``full_matrices``: q square)."""
    return ops.qr(input, "complete" if full_matrices else "reduced")


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """tf's singular value decomposition: returns (s, u, v) with tensor = u @ diag(s) @ v^T
    (note the order, and v, not NumPy's vh), s descending; ``compute_uv=False``: s alone.

    >>> s, u, v = svd([[3.0, 0.0], [0.0, 4.0]])
    >>> s.tolist()
    [4.0, 3.0]
    """
    tensor = _matrices(tensor, "svd")
    if not compute_uv:
        return ops.svd(tensor, full_matrices, compute_uv=False)
    u, s, vh = ops.svd(tensor, full_matrices)
    return s, u, matrix_transpose(vh)


def eigh(tensor, name=None):
    """(e, v): eigenvalues (ascending) and eigenvectors (columns of v) of each symmetric
    matrix, from its lower triangle."""
    return ops.eigh(tensor)


def logdet(matrix, name=None):
    """log(det(matrix)) of symmetric positive definite matrices, as 2 * sum(log(diag(L)))
    with L the Cholesky factor (no overflow for large determinants)."""
    chol = ops.cholesky(_matrices(matrix, "logdet"))
    return 2.0 * ops.sum(ops.log(diag_part(chol)), axis=-1)


def diag(diagonal, name=None, k=0):
    """The square matrices with ``diagonal`` (..., N) on their diagonal (batched, unlike
    NumPy's diag): out[..., i, i] = diagonal[..., i].

    >>> diag([1.0, 2.0]).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    d = constant(diagonal)
    if d.ndim == 0:
        raise ValueError("diag: diagonal must have at least one dimension; received a scalar")
    square = ops.unsqueeze(d, -1) * np.eye(d.shape[-1], dtype=d.dtype)
    k = int(k)
    if not k:
        return square
    # diagonal k > 0 starts k columns to the right: pad k columns before and k rows after
    widths = [(0, k), (k, 0)] if k > 0 else [(-k, 0), (0, -k)]
    return ops.pad(square, [(0, 0)] * (d.ndim - 1) + widths)


def diag_part(input, name=None, k=0):  # noqa: A002
    """The diagonal ``k`` of each matrix, shape (..., min(M, N) - |k|)."""
    return ops.diagonal(_matrices(input, "diag_part"), int(k), -2, -1)


def trace(x, name=None):
    """The sum of each matrix's diagonal."""
    return ops.sum(diag_part(x), axis=-1)


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    """Each matrix with everything outside the band zeroed: keeps (i, j) with
    i - j <= num_lower and j - i <= num_upper (negative: the whole triangle).

    >>> band_part([[1.0, 2.0], [3.0, 4.0]], 0, -1).tolist()
    [[1.0, 2.0], [0.0, 4.0]]
    """
    x = _matrices(input, "band_part")
    m, n = x.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return ops.where(keep, x, 0.0)


def global_norm(t_list, name=None):
    """sqrt(sum over the list of sum(t**2)): the norm of all entries together (None entries
    are skipped)."""
    if not isinstance(t_list, (list, tuple)):
        raise TypeError(f"global_norm: t_list must be a list or tuple of tensors; received "
                        f"{type(t_list).__name__}")
    squares = [ops.sum(ops.square(constant(t))) for t in t_list if t is not None]
    if not squares:
        raise ValueError("global_norm: t_list holds no tensors")
    total = squares[0]
    for s in squares[1:]:
        total = total + s
    return ops.sqrt(total)


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis."""
    return ops.cross(constant(a), constant(b))


def matvec(a, b, transpose_a=False, adjoint_a=False, name=None):
    """a @ b for matrices ``a`` (..., M, N) and vectors ``b`` (..., N)."""
    a = _matrices(a, "matvec")
    if transpose_a or adjoint_a:
        a = ops.swapaxes(a, -1, -2)
    return ops.squeeze(ops.matmul(a, ops.expand_dims(constant(b), -1)), -1)


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse."""
    return ops.pinv(_matrices(a, "pinv"), rcond)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares solution x of matrix x = rhs (rhs (..., M, K)); with an
    ``l2_regularizer`` l, the solution of (A^T A + l I) x = A^T rhs."""
    a, b = _matrices(matrix, "lstsq"), _matrices(rhs, "lstsq")
    if not l2_regularizer:
        return ops.lstsq(a, b)
    a_t = ops.swapaxes(a, -1, -2)
    gram = ops.matmul(a_t, a) + l2_regularizer * np.eye(a.shape[-1], dtype=a.dtype)
    return ops.solve(gram, ops.matmul(a_t, b))


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """The solution x of matrix x = rhs, reading only ``matrix``'s lower (or upper)
    triangle; ``adjoint`` solves with its transpose."""
    a = _matrices(matrix, "triangular_solve")
    if adjoint:
        a, lower = ops.swapaxes(a, -1, -2), not lower
    return ops.solve_triangular(a, constant(rhs), lower=lower)


def cholesky_solve(chol, rhs, name=None):
    """The solution x of (L L^T) x = rhs from the Cholesky factor L."""
    low = _matrices(chol, "cholesky_solve")
    y = ops.solve_triangular(low, constant(rhs), lower=True)
    return ops.solve_triangular(ops.swapaxes(low, -1, -2), y, lower=False)


def set_diag(input, diagonal, name=None, k=0, align="RIGHT_LEFT"):  # noqa: A002 - tf's name
    """``input`` with its k-th diagonal (of the last two axes) replaced by ``diagonal``."""
    x = _matrices(input, "set_diag")
    if not isinstance(k, (int, np.integer)):
        raise ValueError(f"set_diag: only a single diagonal k (an int) is supported; "
                         f"received k={k!r}")
    m, n = x.shape[-2:]
    rows = np.arange(max(0, -k), min(m, n - k))
    d = constant(diagonal)
    if d.shape[-1:] != (len(rows),):
        raise ValueError(f"set_diag: diagonal {k} of a {m}x{n} matrix has {len(rows)} entries; "
                         f"received diagonal of shape {d.shape}")
    mask = np.zeros((m, n), bool)
    mask[rows, rows + k] = True
    full = np.zeros(d.shape[:-1] + (m, n), dtype=np.int64)
    full[..., rows, rows + k] = np.arange(len(rows))  # where each diagonal entry goes
    placed = ops.take_along_axis(ops.expand_dims(d, -2), np.broadcast_to(
        full.reshape(full.shape[:-2] + (1, m * n)), d.shape[:-1] + (1, m * n)), -1)
    return ops.where(mask, ops.reshape(placed, d.shape[:-1] + (m, n)), x)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - tf's name
    """(tensor / norm, norm), the norm kept as a dimension of size 1 (tf.linalg.normalize)."""
    from glassnet.tf.core import norm as _norm

    n = _norm(tensor, ord=ord, axis=axis, keepdims=True)
    return constant(tensor) / n, n
