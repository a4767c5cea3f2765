"""Decompositions: qr, svd, eigh, eigvalsh (the matrix functions are in matrix_functions.py).

Each takes a matrix or a batch of them, ``(..., M, N)`` (``eigh``: ``(..., M, M)``), and
calls the batched ``numpy.linalg`` routine once.

Decompositions with several outputs compute the factors once and make one op per output:
the gradient is linear in the outputs' upstream gradients, so each output's op returns its
own term and the engine adds the terms of the outputs that were used (formulas in
``_qr_grad``, ``_svd_grad``, ``_eigh_grad``; an unused output's term is skipped, as in
PyTorch, which matters where it would divide by zero).
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops.matrix_functions import _lapack, _matrix, _t
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["eigh", "eigvalsh", "qr", "svd"]


def _diagonal(x):
    """A writable view of the diagonals of a batch of matrices."""
    return np.einsum("...ii->...i", x)


def _gaps(values):
    """E[j, k] = values_k - values_j, with 1 on the diagonal (never divided by there)."""
    e = values[..., None, :] - values[..., :, None]
    _diagonal(e)[...] = 1
    return e


def _qr_grad(gq, gr, q, r, a, mode):
    """The gradient of A = QR (gq or gr may be None: that output was not used).

    M >= N (Q (M, N), R (N, N)):  dA = (gQ + Q copyltu(M)) R^-T with
    M = R gR^T - gQ^T Q and copyltu(M) = tril(M) + tril(M, -1)^T.
    M < N: A = [X | Y], R = [U | V] with X = QU square, so V = Q^T Y:
    dY = Q gV and dX is the square case with gQ + Y gV^T and gU.
    """
    m, n = a.shape[-2:]
    if mode == "complete" and m > n:
        raise ValueError(
            f"qr: no gradient for mode='complete' with more rows than columns (shape "
            f"{a.shape}): q's last {m - n} columns are not unique; use mode='reduced'"
        )
    if m >= n:
        return _qr_grad_tall(gq, gr, q, r)
    y, gy = a[..., m:], np.zeros_like(a[..., m:])
    gu = None
    if gr is not None:
        gu, gv = gr[..., :m], gr[..., m:]
        gq = y @ _t(gv) if gq is None else gq + y @ _t(gv)
        gy = q @ gv
    return np.concatenate([_qr_grad_tall(gq, gu, q, r[..., :m]), gy], -1)


def _qr_grad_tall(gq, gr, q, r):
    inner = 0
    if gr is not None:
        inner = r @ _t(gr)
    if gq is not None:
        inner = inner - _t(gq) @ q
    b = q @ (np.tril(inner) + _t(np.tril(inner, -1)))
    if gq is not None:
        b = b + gq
    # b R^-T, as (R^-1 b^T)^T
    return _t(_lapack("qr (gradient)", np.linalg.solve, r, _t(b)))


def _svd_grad(gu, gs, gvh, u, s, vh):
    """The gradient of the reduced A = U diag(s) Vh (PyTorch's formula), K = min(M, N):

    dA = U [skew(U^T gU) S / E + S skew(Vh gVh^T) / E + diag(gs)] Vh
         + (I - U U^T) gU S^-1 Vh   (M > N)  + U S^-1 gVh (I - Vh^T Vh)   (M < N)

    with skew(X) = X - X^T and E[j, k] = s_k^2 - s_j^2 (1 on the diagonal). With gs alone
    it is U diag(gs) Vh, defined even for repeated singular values.
    """
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        return (u * gs[..., None, :]) @ vh
    e = _gaps(s * s)
    core = np.zeros_like(e)
    with np.errstate(divide="ignore", invalid="ignore"):
        if gu is not None:
            x = _t(u) @ gu
            core = core + (x - _t(x)) * s[..., None, :] / e
        if gvh is not None:
            x = vh @ _t(gvh)
            core = core + s[..., :, None] * (x - _t(x)) / e
        if gs is not None:
            _diagonal(core)[...] += gs
        if m > n and gu is not None:
            gus = gu / s[..., None, :]
            return (u @ core + gus - u @ (_t(u) @ gus)) @ vh
        if m < n and gvh is not None:
            sgvh = gvh / s[..., :, None]
            return u @ (core @ vh + sgvh - (sgvh @ _t(vh)) @ vh)
    return u @ core @ vh


def _eigh_grad(gw, gv, w, v):
    """The gradient of a symmetric A = V diag(w) V^T (PyTorch's formula):

    dA = V [diag(gw) + (skew(V^T gV) / 2) / E] V^T,  E[j, k] = w_k - w_j (1 on the
    diagonal), skew(X) = X - X^T; symmetric. With gw alone: V diag(gw) V^T.
    """
    if gv is None:
        return (v * gw[..., None, :]) @ _t(v)
    x = _t(v) @ gv
    with np.errstate(divide="ignore", invalid="ignore"):
        core = 0.5 * (x - _t(x)) / _gaps(w)
    if gw is not None:
        _diagonal(core)[...] += gw
    return v @ core @ _t(v)


# ---------------------------------------------------------------- qr, svd, eigh


class _Factor(Function):
    """One output (``self.factors[self.key]``) of a decomposition computed once for all its
    outputs; ``backward`` is this output's term of the gradient (see the module docstring)."""

    key = None

    def __init__(self, factors):
        self.factors = factors

    def forward(self, x):
        return self.factors[self.key]

    def backward(self, g):
        return self.grad(**{self.key: g}).astype(g.dtype, copy=False)


class _QRFactor(_Factor):
    def grad(self, **g):
        f = self.factors
        return _qr_grad(g.get("q"), g.get("r"), f["q"], f["r"], f["a"], f["mode"])


class QRQ(_QRFactor):
    """The Q of A = QR; its gradient term is ``_qr_grad`` with gR = 0."""

    key = "q"


class QRR(_QRFactor):
    """The R of A = QR; its gradient term is ``_qr_grad`` with gQ = 0."""

    key = "r"


def qr(x, mode="reduced") -> tuple[Tensor, Tensor]:
    """(q, r) with x = q @ r, q with orthonormal columns and r upper triangular, for each
    matrix in ``x`` ``(..., M, N)``, K = min(M, N): ``mode="reduced"`` gives q (..., M, K)
    and r (..., K, N); ``"complete"`` gives q (..., M, M) and r (..., M, N). Differentiable
    except for ``"complete"`` with M > N (q's extra columns are not unique).

    >>> q, r = qr([[3.0, 0.0], [4.0, 5.0]])
    >>> q.shape, r.shape
    ((2, 2), (2, 2))
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; received {mode!r}")
    x = _matrix(x, "qr", square=False)
    q, r = _lapack("qr", np.linalg.qr, x.data, mode=mode)
    factors = {"q": q, "r": r, "a": x.data, "mode": mode}
    return QRQ(factors)(x), QRR(factors)(x)


class _SVDFactor(_Factor):
    def grad(self, **g):
        # a full u (vh) passes gradient through its first K columns (rows) only, as PyTorch:
        # the others span the null space and are not unique
        f, k = self.factors, self.factors["s"].shape[-1]
        gu = g["u"][..., :, :k] if "u" in g else None
        gvh = g["vh"][..., :k, :] if "vh" in g else None
        return _svd_grad(gu, g.get("s"), gvh, f["u"][..., :, :k], f["s"], f["vh"][..., :k, :])


class SVDU(_SVDFactor):
    """U of A = U diag(s) Vh; gradient term: ``_svd_grad`` with only gU."""

    key = "u"


class SVDS(_SVDFactor):
    """s of A = U diag(s) Vh; gradient term U diag(gs) Vh."""

    key = "s"


class SVDVh(_SVDFactor):
    """Vh of A = U diag(s) Vh; gradient term: ``_svd_grad`` with only gVh."""

    key = "vh"


def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition x = u @ diag(s) @ vh of each matrix in ``x``
    ``(..., M, N)``, as ``numpy.linalg.svd``: returns (u, s, vh), s descending, K = min(M, N);
    ``full_matrices=True``: u (..., M, M), vh (..., N, N); else u (..., M, K), vh (..., K, N).
    ``compute_uv=False`` returns s alone.

    Gradients as ``torch.linalg.svd``: defined for distinct nonzero singular values when
    u or vh is used; with ``full_matrices=True`` only their first K columns (rows of vh)
    carry gradient. The gradient of s alone is always defined.

    >>> s = svd([[3.0, 0.0], [0.0, 4.0]], compute_uv=False)
    >>> s.numpy().tolist()
    [4.0, 3.0]
    """
    x = _matrix(x, "svd", square=False)
    full = bool(compute_uv and full_matrices)
    u, s, vh = _lapack("svd", np.linalg.svd, x.data, full_matrices=full)
    factors = {"u": u, "s": s, "vh": vh}
    if not compute_uv:
        return SVDS(factors)(x)
    return SVDU(factors)(x), SVDS(factors)(x), SVDVh(factors)(x)


class _EighFactor(_Factor):
    def grad(self, **g):
        f = self.factors
        return _eigh_grad(g.get("w"), g.get("v"), f["w"], f["v"])


class EighW(_EighFactor):
    """The eigenvalues w of a symmetric A = V diag(w) V^T; gradient term V diag(gw) V^T."""

    key = "w"


class EighV(_EighFactor):
    """The eigenvectors V of a symmetric A; gradient term: ``_eigh_grad`` with only gV."""

    key = "v"


def _eigh_factors(x, uplo, op):
    if uplo not in ("L", "U"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U'; received {uplo!r}")
    x = _matrix(x, op)
    w, v = _lapack(op, np.linalg.eigh, x.data, UPLO=uplo)
    return x, {"w": w, "v": v}


def eigh(x, UPLO="L") -> tuple[Tensor, Tensor]:  # noqa: N803 - NumPy's argument name
    """(w, v): the eigenvalues (ascending, (..., M)) and eigenvectors (columns of v,
    (..., M, M)) of each symmetric matrix in ``x``, read from its lower (``UPLO="L"``) or
    upper triangle. Gradients as ``torch.linalg.eigh`` (v's assume distinct eigenvalues).

    >>> w, v = eigh([[2.0, 0.0], [0.0, 1.0]])
    >>> w.numpy().tolist()
    [1.0, 2.0]
    """
    x, factors = _eigh_factors(x, UPLO, "eigh")
    return EighW(factors)(x), EighV(factors)(x)


def eigvalsh(x, UPLO="L") -> Tensor:  # noqa: N803 - NumPy's argument name
    """The eigenvalues (ascending) of each symmetric matrix in ``x``; gradient V diag(g) V^T,
    defined even for repeated eigenvalues.

    >>> eigvalsh([[2.0, 1.0], [1.0, 2.0]]).numpy().tolist()
    [1.0, 3.0]
    """
    x, factors = _eigh_factors(x, UPLO, "eigvalsh")
    return EighW(factors)(x)
