import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

import glassnet as gn
from glassnet import kernels
from glassnet.autograd.ops import convolution
from glassnet.kernels import conv, gemm, threads


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

    threads.over_batch(record, 10, 1 << 20)
    assert seen == [(0, 10, threading.current_thread().name)]
    seen.clear()
    with threads.thread_pool():
        threads.over_batch(meet, 10, 1 << 20)
        assert sorted(s[:2] for s in seen) == [(0, 5), (5, 10)]
        assert {s[2] for s in seen} == {threading.current_thread().name, "glassnet-worker"}
        seen.clear()
        threads.over_batch(record, 10, 10)  # too little work to split
    assert seen == [(0, 10, threading.current_thread().name)]


def test_a_blas_imported_after_the_first_block_is_held_too():
    # In a fresh interpreter, so that SciPy (which ships an OpenBLAS of its own) is surely
    # imported only after the first block has looked for BLAS libraries.
    program = """
from threadpoolctl import threadpool_info
from glassnet.kernels import threads
threads.set_num_threads(2)
with threads.thread_pool():
    pass
import scipy.linalg
with threads.thread_pool():
    held = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
assert len(held) >= 2 and set(held) == {1}, held
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_thread_pool_holds_the_blas_to_one_thread_and_restores_it(two_threads):
    before = blas_threads()
    with threads.thread_pool():
        assert set(blas_threads()) == {1}
        with threads.thread_pool():  # nested: still held
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}
        a = np.ones((128, 800))  # a product too small to split: the BLAS's threads, once
        np.testing.assert_array_equal(gemm.matmul(a, a.T[:, :128]), a @ a.T[:, :128])
        assert set(blas_threads()) == {1}
    assert blas_threads() == before


def test_an_error_in_a_worker_slice_reaches_the_caller(two_threads):
    def fail_second_half(lo, hi):
        if lo > 0:
            raise ValueError(f"slice {lo}:{hi}")

    with threads.thread_pool(), pytest.raises(ValueError, match="slice 4:8"):
        threads.over_batch(fail_second_half, 8, 1 << 20)
    with threads.thread_pool():  # the pool still works afterwards
        out = np.zeros(8)
        threads.over_batch(lambda lo, hi: out.__setitem__(slice(lo, hi), 1), 8, 1 << 20)
    assert out.sum() == 8


@pytest.mark.parametrize("shape", [(300, 40, 50), (6, 2000, 64)])  # tall, and short-and-wide
def test_split_matrix_products_equal_numpy(two_threads, shape):
    m, k, n = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    g = rng.standard_normal((m, n))
    with threads.thread_pool():
        np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-12)
        out = np.empty((k, n))
        assert gemm.matmul_tn(a, g, out=out) is out
        np.testing.assert_allclose(out, a.T @ g, rtol=1e-10)
        np.testing.assert_allclose(gemm.sum_rows(g), g.sum(axis=0), rtol=1e-10)


def test_a_cnn_step_split_over_threads_matches_torch(two_threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 12, 12, 8)).astype(np.float32)
    w = rng.standard_normal((3, 3, 8, 16)).astype(np.float32) * 0.1
    b = rng.standard_normal(16).astype(np.float32)
    up = rng.standard_normal((16, 5, 5, 16)).astype(np.float32)
    grads = []
    for count in (1, 2):
        threads.set_num_threads(count)
        xt, wt, bt = (gn.tensor(a, requires_grad=True) for a in (x, w, b))
        with kernels.training([wt, bt]):
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
        threads.set_num_threads(0)


def test_conv_split_size_covers_every_row(two_threads):
    # an odd batch: the halves differ in size and both are written
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 30, 30, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    geom = convolution.Geometry((1, 1), (1, 1), ((0, 0), (0, 0)), 1)
    serial, _ = conv.conv_forward(x, w, geom)
    with threads.thread_pool():
        split, _ = conv.conv_forward(x, w, geom)
    np.testing.assert_array_equal(split, serial)


def _split_sum_in_child(queue):
    x = np.arange(1 << 19, dtype=np.float64).reshape(1 << 9, 1 << 10)
    with threads.thread_pool():
        queue.put(float(gemm.sum_rows(x).sum()))


def test_a_forked_child_starts_its_own_workers(two_threads):
    import multiprocessing

    with threads.thread_pool():  # workers exist in the parent before the fork
        threads.over_batch(lambda lo, hi: None, 10, 1 << 20)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_split_sum_in_child, args=(queue,))
    child.start()
    total = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert total == float(np.arange(1 << 19, dtype=np.float64).sum())


def test_without_a_blas_to_hold_nothing_is_split(two_threads, monkeypatch):
    monkeypatch.setattr(threads, "_controller", False)  # as if no BLAS were found
    monkeypatch.setattr(threads, "_modules_seen", len(sys.modules))  # and no import since
    seen = []
    with threads.thread_pool():
        threads.over_batch(lambda lo, hi: seen.append((lo, hi)), 10, 1 << 20)
    assert seen == [(0, 10)]


def test_many_threads_cut_small_work_into_few_parts(two_threads):
    threads.set_num_threads(16)
    seen = []
    with threads.thread_pool():
        threads.over_batch(lambda lo, hi: seen.append((lo, hi)), 64, 2 * threads.MIN_ELEMENTS)
    assert sorted(seen) == [(0, 16), (16, 32), (32, 48), (48, 64)]  # each MIN_ELEMENTS / 2


SEVERAL_THREADS = """
import threading
from threadpoolctl import threadpool_info
from glassnet import kernels
from glassnet.kernels import threads

def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

threads.set_num_threads(2)
before = blas_threads()
opened, release = threading.Event(), threading.Event()

def other():
    with kernels.inference():
        opened.set()
        release.wait(10)

thread = threading.Thread(target=other)
thread.start()
opened.wait(10)
with threads.thread_pool():
    assert threads.in_block()
assert set(blas_threads()) == {1}, blas_threads()  # the other thread's block is still open
assert not threads.in_block()  # but this thread splits nothing any more
release.set()
thread.join()
assert blas_threads() == before, (blas_threads(), before)
"""


def test_blocks_in_several_threads_hold_the_blas_until_the_last_one_closes():
    # In a fresh process, the other thread opening first and closing last: OpenBLAS 0.3.31
    # ignores a raise of its thread count from another thread once the main thread has
    # lowered it (see threads.py).
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SEVERAL_THREADS], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_thread_outside_a_block_runs_its_work_itself(two_threads):
    seen, opened, release = [], threading.Event(), threading.Event()

    def other():
        with threads.thread_pool():
            opened.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    opened.wait(10)
    threads.over_batch(lambda lo, hi: seen.append((lo, hi)), 10, 1 << 20)
    release.set()
    thread.join()
    assert seen == [(0, 10)]


def test_the_top_level_thread_count_is_the_pools():
    assert gn.get_num_threads() == threads.get_num_threads()
    assert gn.set_num_threads is threads.set_num_threads
