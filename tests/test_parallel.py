import threading

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import parallel
from glassnet.autograd.ops import convolution as conv

pytest.importorskip("threadpoolctl")
from threadpoolctl import threadpool_info  # noqa: E402


@pytest.fixture
def two_threads():
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    yield
    parallel.set_num_threads(before)


def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_work_is_split_only_inside_a_thread_pool_block(two_threads):
    seen = []
    both_running = threading.Barrier(2, timeout=10)

    def record(lo, hi):
        seen.append((lo, hi, threading.current_thread().name))

    def meet(lo, hi):  # returns only when the two halves run at the same time
        both_running.wait()
        record(lo, hi)

    parallel.over_batch(record, 10, 1 << 20)
    assert seen == [(0, 10, threading.current_thread().name)]
    seen.clear()
    with parallel.thread_pool():
        parallel.over_batch(meet, 10, 1 << 20)
        assert sorted(s[:2] for s in seen) == [(0, 5), (5, 10)]
        assert {s[2] for s in seen} == {threading.current_thread().name, "glassnet-worker"}
        seen.clear()
        parallel.over_batch(record, 10, 10)  # too little work to split
    assert seen == [(0, 10, threading.current_thread().name)]


def test_thread_pool_holds_the_blas_to_one_thread_and_restores_it(two_threads):
    before = blas_threads()
    with parallel.thread_pool():
        assert set(blas_threads()) == {1}
        with parallel.thread_pool():  # nested: still held
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}
        a = np.ones((128, 800))  # a product too small to split: the BLAS's threads, once
        np.testing.assert_array_equal(parallel.matmul(a, a.T[:, :128]), a @ a.T[:, :128])
        assert set(blas_threads()) == {1}
    assert blas_threads() == before


def test_an_error_in_a_worker_slice_reaches_the_caller(two_threads):
    def fail_second_half(lo, hi):
        if lo > 0:
            raise ValueError(f"slice {lo}:{hi}")

    with parallel.thread_pool(), pytest.raises(ValueError, match="slice 4:8"):
        parallel.over_batch(fail_second_half, 8, 1 << 20)
    with parallel.thread_pool():  # the pool still works afterwards
        out = np.zeros(8)
        parallel.over_batch(lambda lo, hi: out.__setitem__(slice(lo, hi), 1), 8, 1 << 20)
    assert out.sum() == 8


@pytest.mark.parametrize("shape", [(300, 40, 50), (6, 2000, 64)])  # tall, and short-and-wide
def test_split_matrix_products_equal_numpy(two_threads, shape):
    m, k, n = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    g = rng.standard_normal((m, n))
    with parallel.thread_pool():
        np.testing.assert_allclose(parallel.matmul(a, b), a @ b, rtol=1e-12)
        out = np.empty((k, n))
        assert parallel.matmul_tn(a, g, out=out) is out
        np.testing.assert_allclose(out, a.T @ g, rtol=1e-10)
        np.testing.assert_allclose(parallel.sum_rows(g), g.sum(axis=0), rtol=1e-10)


def test_a_cnn_step_split_over_threads_matches_torch(two_threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 12, 12, 8)).astype(np.float32)
    w = rng.standard_normal((3, 3, 8, 16)).astype(np.float32) * 0.1
    b = rng.standard_normal(16).astype(np.float32)
    up = rng.standard_normal((16, 5, 5, 16)).astype(np.float32)
    grads = []
    for threads in (1, 2):
        parallel.set_num_threads(threads)
        xt, wt, bt = (gn.tensor(a, requires_grad=True) for a in (x, w, b))
        with parallel.thread_pool():
            y = gn.max_pool2d(gn.conv2d(xt, wt, bt, relu=True))
            y.backward(up)
        grads.append([y.numpy(), xt.grad, wt.grad, bt.grad])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(
        tx.permute(0, 3, 1, 2), tw.permute(3, 2, 0, 1), tb)), 2)
    ty.backward(torch.tensor(up).permute(0, 3, 1, 2))
    reference = [ty.detach().permute(0, 2, 3, 1).numpy(), tx.grad.numpy(), tw.grad.numpy(),
                 tb.grad.numpy()]
    for ours in grads:
        for got, want in zip(ours, reference):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_set_num_threads_rejects_non_positive_counts():
    with pytest.raises(ValueError, match=r"set_num_threads: expected a positive integer. "
                                         r"Received: n=0"):
        parallel.set_num_threads(0)


def test_conv_split_size_covers_every_row(two_threads):
    # an odd batch: the halves differ in size and both are written
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 30, 30, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    geom = conv.Geometry((1, 1), (1, 1), ((0, 0), (0, 0)), 1)
    serial, _ = conv.conv_forward(x, w, geom)
    with parallel.thread_pool():
        split, _ = conv.conv_forward(x, w, geom)
    np.testing.assert_array_equal(split, serial)


def _split_sum_in_child(queue):
    x = np.arange(1 << 19, dtype=np.float64).reshape(1 << 9, 1 << 10)
    with parallel.thread_pool():
        queue.put(float(parallel.sum_rows(x).sum()))


def test_a_forked_child_starts_its_own_workers(two_threads):
    import multiprocessing

    with parallel.thread_pool():  # workers exist in the parent before the fork
        parallel.over_batch(lambda lo, hi: None, 10, 1 << 20)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_split_sum_in_child, args=(queue,))
    child.start()
    total = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert total == float(np.arange(1 << 19, dtype=np.float64).sum())


def test_without_threadpoolctl_nothing_is_split(two_threads, monkeypatch):
    monkeypatch.setattr(parallel, "_controller", False)  # as if it were not installed
    seen = []
    with parallel.thread_pool():
        parallel.over_batch(lambda lo, hi: seen.append((lo, hi)), 10, 1 << 20)
    assert seen == [(0, 10)]


def test_many_threads_cut_small_work_into_few_parts(two_threads):
    parallel.set_num_threads(16)
    seen = []
    with parallel.thread_pool():
        parallel.over_batch(lambda lo, hi: seen.append((lo, hi)), 64, 2 * parallel.MIN_ELEMENTS)
    assert sorted(seen) == [(0, 16), (16, 32), (32, 48), (48, 64)]  # each MIN_ELEMENTS / 2
