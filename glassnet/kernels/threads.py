"""The trick: large elementwise work split over the batch axis across Python threads.

Replaces nothing by itself; it is what the threaded kernels (``conv``, ``pool``, ``linear``,
``gemm``, ``flat_params``) run their slices on.

NumPy's matrix products run on every core (its BLAS has its own threads), but its ufuncs and
copies run on one. On a CNN's activations (megabytes per array) those single-core passes were
half of a training step: bias and ReLU, im2col copies, max pooling, the strided additions of
the input gradient. NumPy releases the GIL inside such loops, so Python threads that each take
a contiguous slice of the batch run them in parallel (1.6-1.8x faster on 2 cores at batch 128,
where each pass is memory-bound). Every slice writes its own rows of arrays allocated once by
the caller; sums over the batch (weight gradients) add per-slice results in batch order.

The BLAS threads and glassnet's cannot share the cores: after each matrix product OpenBLAS's
threads spin for ~100 ms waiting for the next one, and a worker started meanwhile found its core
taken (the split gained nothing). So work is split only by a thread inside a :func:`thread_pool`
block, which holds NumPy's BLAS to one thread per call (see ``gemm`` for the matrix products),
as PyTorch's intra-op pool does. The BLAS setting is process-wide (threadpoolctl), so blocks are
counted under a lock across threads: the first to open holds it, the last to close restores
it. Ops called by a thread outside a block run on that thread, as NumPy does. (OpenBLAS
0.3.31 with pthreads ignores a raise of its thread count made by another thread once the main
thread has lowered it: if the main thread opens the first block and another thread closes the
last, the BLAS stays at one thread.)

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
import sys
import threading

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
        if parts < 2 or not in_block():
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
_depth = 0  # open thread_pool() blocks, all threads together
_depth_lock = threading.Lock()
_held = None  # [(BLAS library, its thread count before)] while held to one thread
_controller = None
_modules_seen = 0
_local = threading.local()  # .depth: this thread's open blocks


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


def in_block() -> bool:
    """Whether the calling thread is inside a :func:`thread_pool` block that holds the BLAS
    (so that work may be split)."""
    return _held is not None and getattr(_local, "depth", 0) > 0


def blas_held():
    """The [(BLAS library, thread count before)] held to one thread, or None; only for the
    calling thread inside a block (see ``gemm``)."""
    return _held if in_block() else None


def _blas_libraries():
    """threadpoolctl's handles on the BLAS libraries loaded (NumPy's, and SciPy's or
    PyTorch's once they are imported)."""
    global _controller, _modules_seen
    # A BLAS arrives with the import of an extension module (scipy.linalg brings its own
    # OpenBLAS), so the scan of loaded libraries is redone when the module count changed.
    if _controller is None or len(sys.modules) != _modules_seen:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
        _modules_seen = len(sys.modules)
    if not _controller:
        return []
    return [lib for lib in _controller.lib_controllers if lib.user_api == "blas"]


@contextlib.contextmanager
def thread_pool():
    """A block in which the calling thread's kernels split large work over
    :func:`get_num_threads` threads and NumPy's BLAS runs one thread per call. Blocks nest and
    may be open in several threads at once: the BLAS setting is restored when the last block
    of any thread ends, even on an exception.

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
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1
        with _depth_lock:
            _depth -= 1
            if not _depth and _held is not None:
                for lib, threads in _held:
                    lib.set_num_threads(threads)
                _held = None


def alone() -> bool:
    """Whether the calling thread's block is the only one open in the process, so that the
    BLAS may be given all the threads for one call without taking another block's cores
    (or changing the order another block's products sum in)."""
    return _depth == 1


def set_num_threads(n: int) -> None:
    """Set how many threads large work is split across inside a :func:`thread_pool` block
    (1: no split; NumPy's BLAS then keeps its own setting)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer. Received: n={n!r}")
    _pool.threads = n


def get_num_threads() -> int:
    """How many threads large work is split across inside a :func:`thread_pool` block."""
    return _pool.threads


def parts(n: int, size: int) -> int:
    """How many slices :func:`over_batch` would cut ``n`` rows of ``size`` elements into."""
    return _pool.parts(n, size)
