import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
)
from glassnet.autograd.ops.linalg import einsum

# Inputs are built inside each function from a random one, the same way in both
# frameworks, so that every matrix is well conditioned (or symmetric, or positive definite).


def _shift(a, c=5.0):
    """a + c I: entries of a in [-1, 1] keep it far from singular."""
    eye = np.eye(a.shape[-1])
    return a + (c * eye if isinstance(a, gn.Tensor) else torch.tensor(c * eye, dtype=a.dtype))


def _spd(a):
    """a a^T + 3 I, symmetric positive definite."""
    ein = einsum if isinstance(a, gn.Tensor) else torch.einsum
    return _shift(ein("...ij,...kj->...ik", a, a), 3.0)


def _sym(a):
    ein = einsum if isinstance(a, gn.Tensor) else torch.einsum
    return a + ein("...ij->...ji", a)


def _signs(v):
    """Signs of v's first row (the column-sign choice of a decomposition), as a constant."""
    if isinstance(v, gn.Tensor):
        return gn.tensor(np.sign(v.numpy()[..., :1, :]), dtype=v.dtype)
    return torch.sign(v[..., :1, :]).detach()


SQUARE = [(3, 3), (1, 1), (2, 4, 4)]


@pytest.mark.parametrize("shape", SQUARE)
def test_inv(shape):
    check_op(lambda a: inv(_shift(a)), lambda a: torch.linalg.inv(_shift(a)), [shape],
             low=-1.0, high=1.0)


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)),
                                             ((2, 3, 3), (3, 4)), ((3, 3), (2, 3, 1)),
                                             ((2, 1, 3, 3), (4, 3, 2)),
                                             ((2, 3, 3), (2, 3)), ((3, 3, 3), (3, 3))])
def test_solve(a_shape, b_shape):
    check_op(lambda a, b: solve(_shift(a), b), lambda a, b: torch.linalg.solve(_shift(a), b),
             [a_shape, b_shape], low=-1.0, high=1.0)


def test_solve_vector_b_broadcasts_over_batched_a_like_numpy():
    # NumPy 2: a 1-D b is one vector for every matrix; torch needs it as a column
    check_op(lambda a, b: solve(_shift(a), b),
             lambda a, b: torch.linalg.solve(_shift(a), b[:, None].expand(2, 3, 1))[..., 0],
             [(2, 3, 3), (3,)], low=-1.0, high=1.0)
    a, b = np.eye(3) * 2 + 0.1, np.arange(3.0)
    np.testing.assert_allclose(solve(a, b).numpy(), np.linalg.solve(a, b), rtol=1e-6)


@pytest.mark.parametrize("shape", SQUARE)
def test_det(shape):
    check_op(lambda a: det(_shift(a, 1.0)), lambda a: torch.linalg.det(_shift(a, 1.0)),
             [shape], low=-1.0, high=1.0)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    rng = np.random.default_rng(3)
    rank3 = rng.standard_normal((4, 3)) @ rng.standard_normal((3, 4))  # det ~ 1e-16
    check_op(det, torch.linalg.det, None, arrays=[rank3], atol=1e-4)
    # where the determinant is exactly 0, torch 2.x may give a zero gradient (its singular
    # branch, depending on the LU it gets); the cofactors are the answer
    repeated_row = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 1.0, 5.0]])
    for a in (repeated_row, np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((3, 3))):
        check_op(det, None, None, arrays=[a])
    x = gn.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    det(x).backward()
    np.testing.assert_allclose(x.grad, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-6)


@pytest.mark.parametrize("shape", SQUARE)
def test_slogdet(shape):
    check_op(lambda a: slogdet(_shift(a, 1.0))[1],
             lambda a: torch.linalg.slogdet(_shift(a, 1.0))[1], [shape], low=-1.0, high=1.0)
    a = np.random.default_rng(4).uniform(-1, 1, shape) + np.eye(shape[-1])
    sign, logabsdet = slogdet(a)
    ref_sign, ref_log = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign.numpy(), ref_sign)
    np.testing.assert_allclose(logabsdet.numpy(), ref_log, rtol=1e-5)
    assert not sign.requires_grad


def test_slogdet_does_not_overflow():
    sign, logabsdet = slogdet(np.eye(200) * 1e3)
    assert sign.item() == 1 and np.isclose(logabsdet.item(), 200 * np.log(1e3))


@pytest.mark.parametrize("shape", SQUARE)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    check_op(lambda a: cholesky(_spd(a), upper=upper),
             lambda a: torch.linalg.cholesky(_spd(a), upper=upper), [shape],
             low=-1.0, high=1.0)


def _positive_diagonal_qr(q, r):
    """(q D, D r) with D = sign(diag r): the QR with a positive diagonal, unique."""
    if isinstance(q, gn.Tensor):
        d = np.sign(np.diagonal(r.numpy(), axis1=-2, axis2=-1))
        return q * gn.tensor(d[..., None, :], dtype=q.dtype), gn.tensor(d[..., None],
                                                                        dtype=q.dtype) * r
    d = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).detach()
    return q * d[..., None, :], d[..., None] * r


QR_SHAPES = [(4, 3), (3, 3), (2, 5, 3), (3, 5), (2, 2, 4)]


@pytest.mark.parametrize("shape", QR_SHAPES)
@pytest.mark.parametrize("part", [0, 1, "product"])
def test_qr(shape, part):
    def run(qr_fn):
        def f(a):
            q, r = _positive_diagonal_qr(*qr_fn(a))
            return q @ r if part == "product" else (q, r)[part]
        return f

    check_op(run(qr), run(torch.linalg.qr), [shape], rtol=1e-4, atol=1e-4, fd_rtol=1e-4)


def test_qr_complete():
    q, r = qr(np.random.default_rng(5).standard_normal((5, 3)), mode="complete")
    assert q.shape == (5, 5) and r.shape == (5, 3)
    np.testing.assert_allclose((q @ r).numpy(), np.random.default_rng(5).standard_normal(
        (5, 3)), rtol=1e-4, atol=1e-5)
    # wide matrices: complete is reduced, and differentiable
    check_op(lambda a: qr(a, mode="complete")[0] @ qr(a, mode="complete")[1], None, [(3, 4)],
             fd_rtol=1e-4)
    x = gn.tensor(np.ones((4, 2)) + np.eye(4, 2), requires_grad=True)
    with pytest.raises(ValueError, match="mode='complete' with more rows than columns"):
        qr(x, mode="complete")[0].sum().backward()


def _sign_fixed_svd(svd_fn, full=False):
    def f(a):
        u, s, vh = svd_fn(a, full)
        k = s.shape[-1]
        d = _signs(u[..., :, :k])
        return u[..., :, :k] * d, s, vh[..., :k, :] * einsum_or_torch(d)(d)
    return f


def einsum_or_torch(d):
    """d (..., 1, K) as (..., K, 1)."""
    if isinstance(d, gn.Tensor):
        return lambda t: einsum("...ij->...ji", t)
    return lambda t: t.transpose(-1, -2)


SVD_SHAPES = [(4, 3), (3, 3), (3, 5), (2, 4, 2)]


@pytest.mark.parametrize("shape", SVD_SHAPES)
def test_svd_values(shape):
    check_op(lambda a: svd(a, compute_uv=False), torch.linalg.svdvals, [shape])
    check_op(lambda a: svd(a, full_matrices=False)[1],
             lambda a: torch.linalg.svd(a, full_matrices=False)[1], [shape])


def test_svd_values_gradient_with_repeated_values():
    # s alone: U diag(gs) Vh, finite although the vectors' terms would divide by 0
    x = gn.tensor(np.diag([2.0, 2.0, 1.0]), requires_grad=True)
    svd(x, compute_uv=False).backward(np.array([1.0, 2.0, 3.0], np.float32))
    t = torch.tensor(np.diag([2.0, 2.0, 1.0]), dtype=torch.float32, requires_grad=True)
    torch.linalg.svdvals(t).backward(torch.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("shape", SVD_SHAPES)
@pytest.mark.parametrize("part", [0, 2, "product"])
@pytest.mark.parametrize("full", [False, True])
def test_svd_vectors(shape, part, full):
    def run(svd_fn):
        fixed = _sign_fixed_svd(svd_fn, full)

        def f(a):
            u, s, vh = fixed(a)
            if part == "product":
                return (u * s[..., None, :]) @ vh
            return (u, s, vh)[part]
        return f

    check_op(run(lambda a, full: svd(a, full_matrices=full)),
             run(lambda a, full: torch.linalg.svd(a, full_matrices=full)), [shape],
             rtol=1e-4, atol=1e-4, fd_rtol=1e-4)


def test_svd_shapes_like_numpy():
    x = np.random.default_rng(6).standard_normal((2, 5, 3))
    for full in (True, False):
        ours = svd(x, full_matrices=full)
        ref = np.linalg.svd(x, full_matrices=full)
        assert [t.shape for t in ours] == [r.shape for r in ref]
    assert svd(x, compute_uv=False).shape == (2, 3)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_eigh(shape):
    check_op(lambda a: eigh(_sym(a))[0], lambda a: torch.linalg.eigh(_sym(a))[0], [shape])
    check_op(lambda a: eigvalsh(_sym(a)), lambda a: torch.linalg.eigvalsh(_sym(a)), [shape])

    def vectors(eigh_fn):
        def f(a):
            v = eigh_fn(_sym(a))[1]
            return v * _signs(v)
        return f

    check_op(vectors(eigh), vectors(torch.linalg.eigh), [shape], rtol=1e-4, atol=1e-4,
             fd_rtol=1e-4)


def test_eigh_reads_one_triangle():
    a = np.array([[2.0, 100.0], [1.0, 2.0]])
    np.testing.assert_allclose(eigh(a)[0].numpy(), np.linalg.eigh(a)[0], rtol=1e-6)
    np.testing.assert_allclose(eigh(a, UPLO="U")[0].numpy(), np.linalg.eigh(a, "U")[0],
                               rtol=1e-6)


def test_dtypes():
    a = np.eye(3) * 2
    for op in (inv, det, cholesky, eigvalsh, lambda x: svd(x, compute_uv=False)):
        assert op(a).dtype == np.float32  # float64 NumPy data becomes float32 by default
        assert op(gn.tensor(a, dtype="float64")).dtype == np.float64
    assert inv(np.eye(2, dtype=int) * 2).dtype == np.float32
    q, r = qr(gn.tensor(a, dtype="float64"))
    assert q.dtype == r.dtype == np.float64


@pytest.mark.parametrize("op", [inv, det, lambda x: slogdet(x)[1], cholesky, eigh, eigvalsh,
                                lambda x: solve(x, np.ones(3))])
def test_non_square_is_refused(op):
    with pytest.raises(ValueError, match=r"square matrix .* received shape \(3, 2\)"):
        op(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"received shape \(3,\)"):
        op(np.ones(3))


def test_bad_input_messages():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="inv: the matrix is singular"):
        inv(singular)
    with pytest.raises(ValueError, match="solve: the matrix is singular"):
        solve(singular, np.ones(2))
    with pytest.raises(ValueError, match="cholesky: the matrix is not symmetric positive"):
        cholesky(-np.eye(2))
    with pytest.raises(ValueError, match=r"solve: b must have shape \(2,\) or \(\.\.\., 2, K\)"):
        solve(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="solve: batch axes"):
        solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))
    with pytest.raises(ValueError, match=r"\(3,\), \(2, 3\) or \(\.\.\., 3, K\)"):
        solve(np.ones((2, 3, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="qr: mode must be"):
        qr(np.eye(2), mode="r")
    with pytest.raises(ValueError, match="eigh: UPLO must be"):
        eigh(np.eye(2), UPLO="X")
    with pytest.raises(TypeError, match="cholesky: upper must be"):
        cholesky(np.eye(2), upper="yes")
    with pytest.raises(ValueError, match=r"svd: expected a matrix .* received shape \(3,\)"):
        svd(np.ones(3))


def test_batches_without_python_loops_match_numpy():
    x = np.random.default_rng(7).uniform(-1, 1, (3, 2, 4, 4)) + 4 * np.eye(4)
    np.testing.assert_allclose(inv(x).numpy(), np.linalg.inv(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(det(x).numpy(), np.linalg.det(x), rtol=1e-5)
