"""``keras.ops.linalg``: decompositions, solves, inverses and norms, as glassnet ops under
Keras's names. (``eig`` and ``lu_factor`` are left out: glassnet has no complex dtype nor
pivoted LU; ``jvp`` needs forward-mode differentiation, which glassnet lacks.)

>>> from glassnet.keras import ops
>>> ops.linalg.det([[2.0, 0.0], [0.0, 3.0]]).item()
6.0
"""

from __future__ import annotations

from glassnet.autograd import ops as _ops
from glassnet.keras.ops.core import floating

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eigh", "inv", "lstsq", "matrix_rank", "norm",
    "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
]


def cholesky(x, upper=False):
    return _ops.cholesky(floating(x), upper=upper)


def cholesky_inverse(x, upper=False):
    return _ops.cholesky_inverse(floating(x), upper=upper)


def det(x):
    return _ops.det(floating(x))


def slogdet(x):
    return _ops.slogdet(floating(x))


def eigh(x):
    return _ops.eigh(floating(x))


def inv(x):
    return _ops.inv(floating(x))


def solve(a, b):
    return _ops.solve(floating(a), floating(b))


def solve_triangular(a, b, lower=False):
    return _ops.solve_triangular(floating(a), floating(b), lower=lower)


def lstsq(a, b, rcond=None):
    return _ops.lstsq(floating(a), floating(b), rcond)


def pinv(x, rcond=None):
    return _ops.pinv(floating(x), rcond)


def matrix_rank(x, tol=None):
    return _ops.matrix_rank(floating(x), tol)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    return _ops.norm(floating(x), ord=ord, axis=axis, keepdims=keepdims)


def qr(x, mode="reduced"):
    return _ops.qr(floating(x), mode=mode)


def svd(x, full_matrices=True, compute_uv=True):
    return _ops.svd(floating(x), full_matrices=full_matrices, compute_uv=compute_uv)
