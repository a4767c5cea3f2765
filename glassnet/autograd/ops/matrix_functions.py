"""Matrix functions: inv, solve, det, slogdet, cholesky.

Every op takes a matrix or a batch of them, ``(..., M, M)``, float32 or float64 (integers
become ``backend.floatx()``), and calls the batched ``numpy.linalg`` routine once: no Python
loop over the batch. A singular or non-positive-definite matrix raises ``ValueError`` naming
the op. Gradients are the standard matrix-calculus formulas, written with ``A^-T = (A^-1)^T``
and ``g`` the upstream gradient; they follow ``torch.linalg`` where a choice exists (symmetric
inputs get a symmetric gradient although LAPACK reads one triangle only).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["cholesky", "det", "inv", "slogdet", "solve"]


def _t(a):
    return np.swapaxes(a, -1, -2)


def _matrix(x, op, square=True):
    """``x`` as a float tensor with at least 2 dims (and square ones, if ``square``)."""
    x = constant(x)
    if x.data.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(backend.floatx()), None)
    if x.ndim < 2 or (square and x.shape[-1] != x.shape[-2]):
        kind = "square matrix or a batch of them, shape (..., M, M)" if square else \
            "matrix or a batch of them, shape (..., M, N)"
        raise ValueError(f"{op}: expected a {kind}; received shape {x.shape}")
    return x


def _lapack(op, fn, *args, **kwargs):
    """``fn(*args)``, a numpy.linalg routine, with LinAlgError raised as a ValueError."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as err:
        raise ValueError(f"{op}: {_reason(op, err)} (numpy.linalg: {err})") from None


def _solve(op, a, b):
    """``numpy.linalg.solve(a, b)`` for b (..., M, K), batch axes broadcast. CuPy's solve
    does not broadcast them, so on the GPU both are broadcast to the common batch first.
    (On the GPU a singular matrix gives NaN or inf instead of an error: CuPy checks only
    under ``cupyx.errstate(linalg="raise")``, at the cost of a host sync.)"""
    if backend.get_array_module(a, b) is not np:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a, b = np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:])
    return _lapack(op, np.linalg.solve, a, b)


def _reason(op, err):
    if "positive" in str(err).lower() or op == "cholesky":
        return "the matrix is not symmetric positive definite"
    if "singular" in str(err).lower():
        return "the matrix is singular (not invertible)"
    return "the routine did not converge"


# ---------------------------------------------------------------- inverse, solve, det


class _MatrixOp(Function):
    """An op whose ``forward`` raises its own ValueError (naming the op) on bad input."""

    def input_error(self, inputs, err):
        return err


class Inv(_MatrixOp):
    """Y = A^-1;  dA = -Y^T g Y^T."""

    def forward(self, a):
        self.y = _lapack("inv", np.linalg.inv, a)
        return self.y

    def backward(self, g):
        yt = _t(self.y)
        return -(yt @ g @ yt)


def inv(x) -> Tensor:
    """The inverse of each square matrix in ``x`` ``(..., M, M)``.

    >>> inv([[2.0, 0.0], [0.0, 4.0]]).numpy().tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    return Inv()(_matrix(x, "inv"))


class Solve(_MatrixOp):
    """X = A^-1 B (B a matrix (..., M, K); a vector b is passed as (M, 1));
    dB = A^-T g,  dA = -dB X^T (both summed over broadcast batch axes)."""

    def forward(self, a, b):
        self.a, self.b_shape = a, b.shape
        self.x = _solve("solve", a, b)
        return self.x

    def backward(self, g):
        need_a, need_b = self.needs_input_grad
        gb = _solve("solve", _t(self.a), g)
        ga = unbroadcast(-gb @ _t(self.x), self.a.shape) if need_a else None
        return ga, unbroadcast(gb, self.b_shape) if need_b else None


def solve(a, b) -> Tensor:
    """x with a @ x = b for ``a`` (..., M, M), batch axes broadcast. ``b`` is read as
    vectors when it is 1-D (M,) or has exactly a's shape less the last axis (..., M), as
    ``torch.linalg.solve``, ``jax.numpy.linalg.solve`` and NumPy before 2.0 (Keras gets
    that on its torch and JAX backends); otherwise as matrices (..., M, K), as NumPy 2.
    The two readings differ only for a b of shape a.shape[:-1] with M columns.

    >>> solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0]).numpy().tolist()
    [1.0, 0.5]
    """
    a = _matrix(a, "solve")
    b = constant(b, like=a)
    if b.data.dtype.kind != "f":  # an integer tensor has no graph: a plain cast
        b = Tensor._from_op(b.data.astype(a.data.dtype), None)
    m = a.shape[-1]
    vector = b.ndim == 1 or b.shape == a.shape[:-1]
    if (vector and b.shape[-1] != m) or (not vector and (b.ndim < 2 or b.shape[-2] != m)):
        vectors = f"({m},)" + (f", {a.shape[:-1]}" if a.ndim > 2 else "")
        raise ValueError(
            f"solve: b must have shape {vectors} or (..., {m}, K) for a of shape {a.shape}; "
            f"received shape {b.shape}"
        )
    b_matrix = b.reshape(*b.shape, 1) if vector else b
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b_matrix.shape[:-2])
    except ValueError:
        raise ValueError(
            f"solve: batch axes of a {a.shape} and b {b.shape} cannot be broadcast"
        ) from None
    x = Solve()(a, b_matrix)
    return x.reshape(*batch, m) if vector else x


def _cofactors(a):
    """The cofactor matrix C = det(A) A^-T, also for singular A: with A = U S V^T,
    C = det(U) det(V) U diag(p) V^T where p_i = prod_{j != i} s_j (no division)."""
    u, s, vh = np.linalg.svd(a)
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(s, -1)[..., :-1]], -1), -1), -1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (u * (before * after)[..., None, :]) @ vh


class Det(Function):
    """y = det A;  dA = g y A^-T (the cofactor matrix, computed by SVD where A is
    singular and A^-T does not exist)."""

    def forward(self, a):
        self.a = a
        self.y = np.linalg.det(a)
        return self.y

    def backward(self, g):
        g = backend.asarray(g)[..., None, None]
        if backend.get_array_module(self.a) is not np:
            return self._backward_on_device(g)
        if np.all(self.y != 0):
            try:
                return g * self.y[..., None, None] * _t(np.linalg.inv(self.a))
            except np.linalg.LinAlgError:
                pass
        return (g * _cofactors(self.a)).astype(self.a.dtype, copy=False)

    def _backward_on_device(self, g):
        # The CPU's test (any singular matrix?) would be a host sync here; CuPy's inv of a
        # singular matrix gives inf/NaN without raising. So both formulas run, and each
        # matrix takes the cofactors where its determinant is 0 or its inverse not finite.
        cofactors = g * _cofactors(self.a)
        try:
            by_inv = g * self.y[..., None, None] * _t(np.linalg.inv(self.a))
        except np.linalg.LinAlgError:  # raised only under cupyx.errstate(linalg="raise")
            return cofactors.astype(self.a.dtype, copy=False)
        ok = (self.y != 0)[..., None, None] & np.all(np.isfinite(by_inv), axis=(-2, -1),
                                                      keepdims=True)
        return np.where(ok, by_inv, cofactors).astype(self.a.dtype, copy=False)


def det(x) -> Tensor:
    """The determinant of each square matrix in ``x`` ``(..., M, M)``; shape ``(...)``.

    >>> det([[2.0, 1.0], [1.0, 3.0]]).item()
    5.0
    """
    return Det()(_matrix(x, "det"))


class LogAbsDet(Function):
    """y = log|det A|;  dA = g A^-T (infinite at a singular A: the gradient is refused)."""

    def forward(self, a):
        self.a = a
        self.sign, y = np.linalg.slogdet(a)
        return y

    def backward(self, g):
        inv_a = _lapack("slogdet (gradient)", np.linalg.inv, self.a)
        return backend.asarray(g)[..., None, None] * _t(inv_a)


def slogdet(x) -> tuple[Tensor, Tensor]:
    """(sign, logabsdet) of each square matrix in ``x``, with det = sign * exp(logabsdet)
    and no overflow for large matrices. ``sign`` (+1, -1 or 0) has no gradient.

    >>> sign, logdet = slogdet([[-2.0, 0.0], [0.0, 3.0]])
    >>> sign.item(), round(logdet.item(), 4)
    (-1.0, 1.7918)
    """
    fn = LogAbsDet()
    logabsdet = fn(_matrix(x, "slogdet"))
    return Tensor._from_op(backend.asarray(fn.sign), None), logabsdet


class Cholesky(_MatrixOp):
    """A = L L^T with L lower triangular (``upper``: A = U^T U, U = L^T).

    dA = L^-T Phi(L^T gL) L^-1 with Phi(X) = (tril(X) + tril(X, -1)^T) / 2, a symmetric
    matrix (Murray 2016, arXiv:1602.07527; the form PyTorch uses).
    """

    def __init__(self, upper):
        self.upper = upper

    def forward(self, a):
        lower = _lapack("cholesky", np.linalg.cholesky, a)
        self.lower = lower
        return _t(lower).copy() if self.upper else lower

    def backward(self, g):
        lower = self.lower
        g = _t(g) if self.upper else g
        x = np.tril(_t(lower) @ g)
        phi = 0.5 * (x + _t(np.tril(x, -1)))
        inv_l = np.linalg.inv(lower)
        return _t(inv_l) @ phi @ inv_l


def cholesky(x, upper=False) -> Tensor:
    """The Cholesky factor of each symmetric positive definite matrix in ``x``: lower L
    with x = L L^T (``upper=True``: U with x = U^T U). Reads the lower triangle only.

    >>> cholesky([[4.0, 2.0], [2.0, 5.0]]).numpy().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    if not isinstance(upper, (bool, np.bool_)):
        raise TypeError(f"cholesky: upper must be True or False; received {upper!r}")
    return Cholesky(bool(upper))(_matrix(x, "cholesky"))


# ---------------------------------------------------------------- gradients of factors
