"""Large elementwise work and matrix products, split over the batch axis across threads.

NumPy's matrix products run on every core (its BLAS has its own threads), but its ufuncs and
copies run on one. On a CNN's activations (megabytes per array) those single-core passes were
half of a training step: bias and ReLU, im2col copies, max pooling, the strided additions of
the input gradient. NumPy releases the GIL inside such loops, so Python threads that each take
a contiguous slice of the batch run them in parallel (1.6-1.8x faster on 2 cores at batch 128,
where each pass is memory-bound). Every slice writes its own rows of arrays allocated once by
the caller; sums over the batch (weight gradients) add per-slice results in batch order.

The BLAS threads and glassnet's cannot share the cores: after each matrix product OpenBLAS's
threads spin for ~100 ms waiting for the next one, and a worker started meanwhile found its core
taken (the split gained nothing). So work is split only inside a :func:`thread_pool` block,
which holds NumPy's BLAS to one thread per call and splits the large matrix products itself,
as PyTorch's intra-op pool does; ``fit``, ``evaluate`` and ``predict`` open one. Ops called
elsewhere run on the calling thread, as NumPy does. Holding the BLAS needs threadpoolctl
(``pip install glassnet[fast]``); without it nothing is split.

The thread count follows ``OMP_NUM_THREADS`` when it is set, else the CPUs this process may
run on, and can be changed with :func:`set_num_threads` (as ``torch.set_num_threads``).

>>> import numpy as np
>>> x = np.arange(8.0).reshape(4, 2)
>>> def double(lo, hi):
...     x[lo:hi] *= 2
>>> with thread_pool():
...     over_batch(double, len(x), x.size)
>>> x[:, 0].tolist()
[0.0, 4.0, 8.0, 12.0]
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading

import numpy as np

# Below this many elements per call (a pass of ~100 us) a thread hand-off costs more than it
# saves: waking a worker whose core went idle takes 6-90 us.
MIN_ELEMENTS = 1 << 18


def _default_threads() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Job:
    """One call split into one slice per thread; threads claim slices in turn until none is
    left, so a worker that wakes late (a virtual CPU that halted can take 60-90 us) finds its
    slice already taken by the caller rather than delaying it. Finer slices measured slower:
    each hand-off between threads costs more than the balance gains."""

    def __init__(self, fn, bounds):
        self.fn, self.bounds = fn, bounds
        self.claims = itertools.count()  # next() is atomic under the GIL
        self.left = len(bounds) - 1
        self.count_lock = threading.Lock()
        self.finished = threading.Lock()  # released when the last slice is done
        self.finished.acquire()
        self.error = None

    def work(self):
        last = len(self.bounds) - 1
        while (i := next(self.claims)) < last:
            try:
                self.fn(self.bounds[i], self.bounds[i + 1])
            except BaseException as err:  # raised in the caller once every slice is done
                self.error = self.error or err
            with self.count_lock:
                self.left -= 1
                if self.left == 0:
                    self.finished.release()


def _worker_loop(jobs):
    while True:
        jobs.get().work()


class _Pool:
    def __init__(self, threads):
        self.threads = threads
        self.jobs = queue.SimpleQueue()
        self.workers = 0
        # One caller at a time: a second thread calling in (a server answering two requests)
        # runs its work itself rather than waiting.
        self.busy = threading.Lock()

    def parts(self, n, size):
        # Each part gets at least half of MIN_ELEMENTS: on many cores a small batch is cut
        # into a few large parts rather than one sample per thread.
        parts = min(self.threads, n, 2 * size // MIN_ELEMENTS)
        if parts < 2 or _held is None:
            return 1
        return parts

    def run(self, fn, n, size):
        parts = self.parts(n, size)
        if parts < 2 or not self.busy.acquire(blocking=False):
            fn(0, n)
            return
        try:
            while self.workers < parts - 1:
                threading.Thread(target=_worker_loop, args=(self.jobs,), daemon=True,
                                 name="glassnet-worker").start()
                self.workers += 1
            job = _Job(fn, [n * i // parts for i in range(parts + 1)])
            for _ in range(parts - 1):
                self.jobs.put(job)
            job.work()
            # A worker that wakes after the last slice was claimed finds nothing to do.
            job.finished.acquire()
            if job.error is not None:
                raise job.error
        finally:
            self.busy.release()


_pool = _Pool(_default_threads())


def _after_fork_in_child():
    # Threads do not survive fork(): the child starts with no workers, and with fresh locks in
    # case another thread held one at the moment of the fork.
    global _pool, _depth_lock
    _pool = _Pool(_pool.threads)
    _depth_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def over_batch(fn, n: int, size: int) -> None:
    """Run ``fn(lo, hi)`` over contiguous slices covering rows ``0..n`` of the batch, in
    parallel inside a :func:`thread_pool` block when the work (``size`` elements in all) is
    large enough to gain from it; else ``fn(0, n)``.

    ``fn`` must only touch its own rows; it runs on the calling thread and on worker threads.
    An exception in any slice is raised here once every slice has finished.
    """
    _pool.run(fn, n, size)


_depth = 0  # open thread_pool() blocks
_depth_lock = threading.Lock()
_held = None  # [(BLAS library, its thread count before)] while held to one thread
_controller = None


def _blas_libraries():
    """threadpoolctl's handles on the BLAS libraries loaded (NumPy's), or [] without it."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = False
        else:
            _controller = ThreadpoolController()
    if not _controller:
        return []
    return [lib for lib in _controller.lib_controllers if lib.user_api == "blas"]


@contextlib.contextmanager
def thread_pool():
    """A block in which glassnet's ops split large work over :func:`get_num_threads` threads
    and NumPy's BLAS runs one thread per call (its setting is restored when the outermost
    block ends; blocks nest). Without threadpoolctl nothing changes.

    >>> with thread_pool():
    ...     pass
    """
    global _depth, _held
    with _depth_lock:
        _depth += 1
        if _depth == 1 and _pool.threads > 1:
            _held = [(lib, lib.num_threads) for lib in _blas_libraries()] or None
            for lib, _ in _held or ():
                lib.set_num_threads(1)
    try:
        yield
    finally:
        with _depth_lock:
            _depth -= 1
            if not _depth and _held is not None:
                for lib, threads in _held:
                    lib.set_num_threads(threads)
                _held = None


@contextlib.contextmanager
def _blas_threads():
    """The BLAS's own threads for one matrix product while it is held (see ``matmul``)."""
    held = _held
    for lib, _ in held or ():
        lib.set_num_threads(_pool.threads)
    try:
        yield
    finally:
        for lib, _ in held or ():
            lib.set_num_threads(1)


def set_num_threads(n: int) -> None:
    """Set how many threads large work is split across inside a :func:`thread_pool` block
    (1: no split; NumPy's BLAS then keeps its own setting)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer. Received: n={n!r}")
    _pool.threads = n


def get_num_threads() -> int:
    """How many threads large work is split across inside a :func:`thread_pool` block."""
    return _pool.threads


def _gemm_size(m, k, n):
    # One thread does about 64 multiply-adds in the time a memory-bound pass takes per
    # element, so this compares with MIN_ELEMENTS.
    return m * k * n // 64


# A product too small to split that still gains from the BLAS's own threads (whose threads
# wake faster than a Python worker): measured on 2 cores, 784x128 dense layers at batch 128
# (12.8M multiply-adds) ran 5% faster on the BLAS's 2 threads, at batch 32 (3.2M) 8% slower.
BLAS_THREADS_MIN = 8_000_000


def matmul(a, b, out=None):
    """``a @ b`` (``a`` of any rank, ``b`` 2-D), split over the threads (see
    :func:`over_batch`): by rows of ``a`` when it is tall, else by columns of ``b``, so that
    each thread packs only its part of the larger operand (splitting a dense layer's 32 rows
    made each thread pack the whole weight matrix: slower than one thread). Small products,
    and any outside a thread_pool block, are plain ``np.matmul``."""
    if _held is None or a.size * b.shape[1] < BLAS_THREADS_MIN:
        return np.matmul(a, b, out=out)
    if a.ndim != 2:
        flat = matmul(a.reshape(-1, a.shape[-1]), b)
        return flat.reshape(*a.shape[:-1], b.shape[1])
    (m, k), n = a.shape, b.shape[1]
    if out is None:
        out = np.empty((m, n), np.result_type(a, b))
    size, by_rows = _gemm_size(m, k, n), m >= 4 * max(k, n)
    if _pool.parts(m if by_rows else n, size) < 2:
        with _blas_threads():
            return np.matmul(a, b, out=out)
    if by_rows:
        over_batch(lambda lo, hi: np.matmul(a[lo:hi], b, out=out[lo:hi]), m, size)
    else:
        over_batch(lambda lo, hi: np.matmul(a, b[:, lo:hi], out=out[:, lo:hi]), n, size)
    return out


def matmul_tn(a, b, out=None):
    """``a.T @ b`` for ``a`` (M, K) and ``b`` (M, N), split over the threads.

    A tall product (a weight gradient of a convolution: M = batch x pixels) is a sum over M:
    each thread multiplies its rows and the partial products are added in row order (the same
    result for the same thread count on every run). Otherwise (a dense layer's weight
    gradient) each thread computes its own columns of the result.
    """
    (m, k), n = a.shape, b.shape[1]
    if _held is None or m * k * n < BLAS_THREADS_MIN:
        return np.matmul(a.T, b, out=out)
    size, by_rows = _gemm_size(m, k, n), m >= 4 * max(k, n)
    if _pool.parts(m if by_rows else n, size) < 2:
        with _blas_threads():
            return np.matmul(a.T, b, out=out)
    if out is None:
        out = np.empty((k, n), np.result_type(a, b))
    if not by_rows:
        over_batch(lambda lo, hi: np.matmul(a.T, b[:, lo:hi], out=out[:, lo:hi]), n, size)
        return out
    partials = {}

    def part(lo, hi):
        partials[lo] = a[lo:hi].T @ b[lo:hi]

    over_batch(part, m, size)
    return sum_in_order(partials, out)


def sum_rows(a):
    """``a.sum(axis=0)`` for a 2-D ``a``, as matrix-vector products (5x faster than NumPy's
    column sum over a tall array), the rows split over the threads."""
    ones = np.ones(len(a), a.dtype)
    partials = {}

    def part(lo, hi):
        partials[lo] = ones[lo:hi] @ a[lo:hi]

    over_batch(part, len(a), a.size)
    return sum_in_order(partials)


def sum_in_order(partials, out=None):
    """The sum of per-slice results ``{first row: array}``, added in row order so that the
    result does not depend on which thread finished first. Writes into ``out`` if given."""
    first, *rest = (partials[lo] for lo in sorted(partials))
    if not rest:
        if out is None:
            return first
        np.copyto(out, first)
        return out
    total = np.add(first, rest[0], out=out)
    for partial in rest[1:]:
        total += partial
    return total
