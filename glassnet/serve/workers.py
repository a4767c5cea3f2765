"""Where inference runs: a fixed pool of worker threads, off the event loop, with the BLAS
held to a set number of threads per call.

A server answers many small requests at once. Each predict of a one-sample request is a few
small matrix products; NumPy's BLAS would start its own threads for each (and OpenBLAS's spin
for ~100 ms after, taking the cores the next request needs). So requests run in parallel on
``workers`` threads (NumPy releases the GIL inside its products), each product on
``blas_threads`` threads, by default one worker per core and one BLAS thread each: the
layout TensorFlow Serving and Triton recommend for small models (inter-op parallelism over
requests, none inside one). With adaptive batching a batch is bigger; ``blas_threads`` may
then be raised and ``workers`` lowered. The BLAS setting is process-wide (threadpoolctl); it
is made when the server starts and restored when it stops. (OpenBLAS ignores a thread count
set by another thread once the main thread has set one, see ``kernels/threads.py``: uvicorn
and ``glassnet serve`` start the server in the main thread.)

>>> pool = InferenceWorkers(workers=2, blas_threads=1)
>>> pool.workers, pool.blas_threads
(2, 1)
>>> pool.close()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import threading


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _positive(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: expected a positive integer. Received: {name}={value!r}")
    return value


class InferenceWorkers:
    """``workers`` threads that run predicts (default: one per CPU), the BLAS at
    ``blas_threads`` per call (default: the CPUs shared out among the workers, at least 1)."""

    def __init__(self, workers=None, blas_threads=None):
        cpus = cpu_count()
        self.workers = _positive(workers, "workers") or cpus
        self.blas_threads = _positive(blas_threads, "blas_threads") or max(
            1, cpus // self.workers)
        self._executor = None
        self._limits = None
        self._lock = threading.Lock()

    def _threads(self):
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    self.workers, thread_name_prefix="glassnet-inference")
            return self._executor

    def start(self):
        """Start the threads; hold the BLAS (NumPy's, and any other loaded) at
        ``blas_threads``."""
        from threadpoolctl import threadpool_limits

        self._threads()
        if self._limits is None:
            self._limits = threadpool_limits(limits=self.blas_threads, user_api="blas")

    async def run(self, fn, *args):
        """``fn(*args)`` on a worker thread; the event loop goes on meanwhile."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads(), functools.partial(fn, *args))

    def close(self):
        """Let running predicts finish, then restore the BLAS setting (``start`` may follow
        again)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None
