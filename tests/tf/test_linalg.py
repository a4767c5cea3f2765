"""tf.linalg: TensorFlow's argument names and result conventions (svd's (s, u, v) order)."""

import inspect

import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as tf

A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]], np.float32)
B = np.arange(6, dtype=np.float32).reshape(3, 2)


def test_inverse_determinants_solve():
    np.testing.assert_allclose(tf.linalg.inv(A).numpy(), np.linalg.inv(A), rtol=1e-5)
    assert tf.linalg.det(A).item() == pytest.approx(np.linalg.det(A), rel=1e-5)
    sign, logabs = tf.linalg.slogdet(A)
    assert sign.item() == 1 and logabs.item() == pytest.approx(np.log(np.linalg.det(A)), rel=1e-5)
    assert tf.linalg.logdet(A).item() == pytest.approx(np.log(np.linalg.det(A)), rel=1e-5)
    np.testing.assert_allclose(tf.linalg.solve(A, B).numpy(), np.linalg.solve(A, B), rtol=1e-5)
    M = A + np.triu(A, 1)
    np.testing.assert_allclose(tf.linalg.solve(M, B, adjoint=True).numpy(),
                               np.linalg.solve(M.T, B), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf.linalg.cholesky(A).numpy(), np.linalg.cholesky(A), rtol=1e-5)
    with pytest.raises(ValueError, match="expected matrices"):
        tf.linalg.solve([1.0, 2.0], B)


def test_svd_returns_s_u_v():
    s, u, v = tf.linalg.svd(B)
    assert (s.shape, u.shape, v.shape) == ((2,), (3, 2), (2, 2))
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(B, compute_uv=False), rtol=1e-5)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ v.numpy().T, B, atol=1e-5)
    s, u, v = tf.linalg.svd(B, full_matrices=True)
    assert (u.shape, v.shape) == ((3, 3), (2, 2))
    assert tf.linalg.svd(B, compute_uv=False).shape == (2,)
    q, r = tf.linalg.qr(B)
    assert (q.shape, r.shape) == ((3, 2), (2, 2))
    np.testing.assert_allclose(q.numpy() @ r.numpy(), B, atol=1e-5)
    assert tf.linalg.qr(B, full_matrices=True)[0].shape == (3, 3)
    e, vectors = tf.linalg.eigh(A)
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(A), rtol=1e-5)
    assert vectors.shape == (3, 3)


def test_diag_band_part_trace_transpose():
    assert tf.linalg.diag([[1.0, 2.0], [3.0, 4.0]]).shape == (2, 2, 2)
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2.0], k=1).numpy(),
                                  np.diag([1.0, 2.0], k=1))
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2.0], k=-1).numpy(),
                                  np.diag([1.0, 2.0], k=-1))
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.linalg.diag_part(x).numpy(),
                                  np.diagonal(x, axis1=-2, axis2=-1))
    np.testing.assert_array_equal(tf.linalg.trace(x).numpy(), np.trace(x, axis1=1, axis2=2))
    np.testing.assert_array_equal(tf.linalg.band_part(tf.ones([4, 4]), 1, 0).numpy(),
                                  np.tril(np.triu(np.ones((4, 4)), -1)))
    np.testing.assert_array_equal(tf.linalg.band_part(tf.ones([3, 4]), -1, 1).numpy(),
                                  np.tril(np.ones((3, 4)), 1))
    assert tf.linalg.matrix_transpose(x).shape == (2, 4, 3)
    assert tf.linalg.global_norm([x, None, A]).item() == pytest.approx(
        np.sqrt((x ** 2).sum() + (A ** 2).sum()), rel=1e-6)
    assert tf.linalg.matmul is inspect.unwrap(tf.matmul)
    assert tf.linalg.norm(A).item() == pytest.approx(np.linalg.norm(A), rel=1e-6)


def test_composed_functions_have_gradients():
    check_op(lambda d: tf.linalg.diag(d, k=1), lambda d: torch.diag_embed(d, 1), [(2, 3)])
    check_op(lambda t: tf.linalg.band_part(t, 1, 0), lambda t: torch.tril(torch.triu(t, -1)),
             [(4, 4)])
    check_op(lambda t: tf.linalg.trace(t), lambda t: torch.diagonal(t, 0, -2, -1).sum(-1),
             [(2, 3, 3)])
    check_op(lambda t: tf.linalg.logdet(t @ tf.linalg.matrix_transpose(t) + 3 * tf.eye(3)),
             lambda t: torch.logdet(t @ t.T + 3 * torch.eye(3)), [(3, 3)], rtol=1e-4,
             atol=1e-5, fd_rtol=1e-4)


def test_cross_matvec_pinv_lstsq_and_triangular_solves_match_numpy():
    import glassnet as tf

    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 3))
    b = rng.normal(size=(4, 2))
    sq = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    v = rng.normal(size=3)
    np.testing.assert_allclose(tf.linalg.cross(v, v[::-1].copy()).numpy(),
                               np.cross(v, v[::-1]), rtol=1e-5)
    np.testing.assert_allclose(tf.linalg.matvec(sq, v).numpy(), sq @ v, rtol=1e-5)
    np.testing.assert_allclose(tf.linalg.matvec(sq, v, transpose_a=True).numpy(), sq.T @ v,
                               rtol=1e-5)
    np.testing.assert_allclose(tf.linalg.pinv(a).numpy(), np.linalg.pinv(a), atol=1e-5)
    np.testing.assert_allclose(tf.linalg.lstsq(a, b).numpy(),
                               np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-5)
    ridge = np.linalg.solve(a.T @ a + 0.5 * np.eye(3), a.T @ b)
    np.testing.assert_allclose(tf.linalg.lstsq(a, b, l2_regularizer=0.5).numpy(), ridge,
                               atol=1e-5)
    low = np.tril(sq)
    np.testing.assert_allclose(tf.linalg.triangular_solve(low, b[:3]).numpy(),
                               np.linalg.solve(low, b[:3]), atol=1e-5)
    np.testing.assert_allclose(tf.linalg.triangular_solve(low, b[:3], adjoint=True).numpy(),
                               np.linalg.solve(low.T, b[:3]), atol=1e-5)
    spd = sq @ sq.T
    chol = np.linalg.cholesky(spd)
    np.testing.assert_allclose(tf.linalg.cholesky_solve(chol, b[:3]).numpy(),
                               np.linalg.solve(spd, b[:3]), atol=1e-4)


def test_bincount_and_resize_with_pad_as_tensorflow():
    import glassnet as tf

    v = np.array([1, 1, 2, 3, 2, 4, 4, 5], "int32")
    counts = tf.math.bincount(v)
    assert counts.tolist() == [0, 2, 2, 1, 2, 1] and counts.dtype == np.int32
    assert tf.math.bincount(v, minlength=8).tolist() == [0, 2, 2, 1, 2, 1, 0, 0]
    assert tf.math.bincount(v, maxlength=3).tolist() == [0, 2, 2]
    assert tf.math.bincount(v, weights=np.arange(8.0)).tolist() == [0, 1, 6, 3, 11, 7]
    assert tf.math.bincount(v, binary_output=True).tolist() == [0, 1, 1, 1, 1, 1]
    image = np.ones((5, 9, 3), "float32")
    out = tf.image.resize_with_pad(image, 6, 6).numpy()  # 9 -> 6 wide, 5 -> 3 high, centred
    assert out.shape == (6, 6, 3)
    np.testing.assert_allclose(out[:, :, 0].sum(axis=1), [0, 6, 6, 6, 0, 0], atol=1e-6)


def test_set_diag_and_normalize():
    import glassnet as tf

    m = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    out = tf.linalg.set_diag(m, np.full((2, 3), 7.0, "float32"), k=1).numpy()
    expected = m.copy()
    expected[:, [0, 1, 2], [1, 2, 3]] = 7.0
    np.testing.assert_array_equal(out, expected)
    x = tf.constant(m)
    x.requires_grad = True
    tf.reduce_sum(tf.linalg.set_diag(x, np.zeros((2, 3), "float32"))).backward()
    assert x.grad[0, 0, 0] == 0 and x.grad[0, 0, 1] == 1  # the replaced entries get none
    unit, norm = tf.linalg.normalize(tf.constant([[3.0, 4.0], [6.0, 8.0]]), axis=1)
    np.testing.assert_allclose(unit.numpy(), [[0.6, 0.8], [0.6, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(norm.numpy(), [[5.0], [10.0]], rtol=1e-6)
    with pytest.raises(ValueError, match="has 3 entries"):
        tf.linalg.set_diag(m, np.ones((2, 4), "float32"))
