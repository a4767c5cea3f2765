"""Linear-algebra extras: pinv (its own gradient), and composed from it and the
decompositions, lstsq, solve_triangular, cholesky_inverse, matrix_rank.

>>> import glassnet
>>> glassnet.pinv(glassnet.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
[[0.5, 0.0], [0.0, 0.25]]
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import ops as _lib  # decompositions live in sibling modules
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.arithmetic import matmul, mul
from glassnet.autograd.ops.shape import transpose
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["cholesky_inverse", "lstsq", "matrix_rank", "pinv", "solve_triangular"]


def _matrices(x, op):
    x = constant(x)
    if x.ndim < 2 or x.dtype.kind != "f":
        raise ValueError(f"{op}: expected floating (batches of) matrices. Received: shape "
                         f"{x.shape}, dtype {x.dtype}")
    return x


def _mT(x):  # noqa: N802 - the matrix transpose's usual name
    return transpose(x, tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))


class PInv(Function):
    """P = A^+ (NumPy's pinv);  with g the upstream gradient (the Golub-Pereyra formula,
    exact where the rank does not change, as torch.linalg.pinv's):
    dA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A).
    Through this formula rather than through svd's factors, whose gradient divides by
    s_j^2 - s_k^2 and is NaN for repeated singular values (the identity, any orthogonal A)."""

    def __init__(self, rcond):
        self.rcond = rcond

    def forward(self, a):
        self.a = a
        self.p = np.linalg.pinv(a, rcond=self.rcond)
        return self.p.copy()

    def backward(self, g):
        a, p = self.a, self.p
        p_t, g_t = np.swapaxes(p, -1, -2), np.swapaxes(g, -1, -2)
        xp = backend.get_array_module(a)
        eye_m, eye_n = xp.eye(a.shape[-2], dtype=a.dtype), xp.eye(a.shape[-1], dtype=a.dtype)
        return (-p_t @ g @ p_t + (eye_m - a @ p) @ g_t @ p @ p_t
                + p_t @ p @ g_t @ (eye_n - p @ a))


def pinv(x, rcond=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse V diag(1/s) U^T, singular values below
    rcond * max(s) dropped (rcond defaults to max(M, N) * eps, as NumPy's ``rtol``)."""
    x = _matrices(x, "pinv")
    if rcond is None:
        rcond = max(x.shape[-2:]) * np.finfo(x.dtype).eps
    return PInv(rcond)(x)


def lstsq(a, b, rcond=None) -> Tensor:
    """The least-squares solution x of a x = b: pinv(a) b (``b`` a vector or a matrix of
    ``a``'s M rows; batch axes broadcast as in matmul)."""
    a, b = _matrices(a, "lstsq"), constant(b)
    rows = b.shape[-1] if b.ndim == 1 else (b.shape[-2] if b.ndim >= 2 else None)
    if rows != a.shape[-2]:
        raise ValueError(f"lstsq: b must have {a.shape[-2]} rows for a of shape {a.shape}. "
                         f"Received: b of shape {b.shape}")
    return matmul(pinv(a, rcond), b)


def solve_triangular(a, b, lower=False) -> Tensor:
    """The solution x of a x = b for triangular a (only its ``lower`` or upper triangle is
    read, as in SciPy)."""
    a = _matrices(a, "solve_triangular")
    n, m = a.shape[-2:]
    xp = backend.get_array_module(a.data)
    mask = xp.tri(n, m, dtype=a.dtype) if lower else xp.tri(m, n, dtype=a.dtype).T
    return _lib.solve(mul(a, mask), constant(b, like=a))


def cholesky_inverse(x, upper=False) -> Tensor:
    """(L L^T)^-1 from the Cholesky factor L (or (U^T U)^-1 from U with ``upper``)."""
    x = _matrices(x, "cholesky_inverse")
    return _lib.inv(matmul(_mT(x), x) if upper else matmul(x, _mT(x)))


def matrix_rank(x, tol=None) -> Tensor:
    """The number of singular values above ``tol`` (NumPy's default when None)."""
    x = _matrices(x, "matrix_rank")
    return Tensor(backend.asarray(np.linalg.matrix_rank(x.data, tol=tol)))
