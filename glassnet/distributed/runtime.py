"""The MPI job a process belongs to: ``init``, ``rank``, ``size``, ``local_rank`` and friends.

``init()`` takes ``MPI.COMM_WORLD`` (or a communicator given to it), duplicates it, so that
glassnet's collectives never mix with the user's own MPI traffic, and splits it twice:
``COMM_TYPE_SHARED`` groups the ranks of one machine (``local_rank``, ``local_size``), and
the ranks with the same local rank across machines form the cross communicator
(``cross_rank``, ``cross_size``), as in Horovod.

Faults: with more than one rank, ``init`` installs a ``sys.excepthook`` that prints the
traceback and then calls ``MPI_Abort`` (as ``python -m mpi4py`` does), so an exception on one
rank ends the whole job instead of leaving the others waiting in a collective forever. A rank
killed outright (``kill -9``, out of memory) is noticed by the launcher (``mpirun``,
``srun``), which ends the others. With ``init(timeout=seconds)`` every collective also gives
up after that long and aborts the job with a message naming the operation and the rank.

>>> import glassnet.distributed as hvd
>>> hvd.init()  # doctest: +SKIP
>>> hvd.rank(), hvd.size()   # doctest: +SKIP
(0, 1)
"""

from __future__ import annotations

import sys
import time
import traceback

from glassnet import checks

INSTALL_HINT = "pip install 'glassnet[distributed]'"


def mpi():
    """The ``mpi4py.MPI`` module, imported on first use (the ``[distributed]`` extra)."""
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError(f"glassnet.distributed needs mpi4py and an MPI library (Open MPI or "
                          f"MPICH): {INSTALL_HINT}") from None
    return MPI


class _Job:
    """The communicators of an initialized process."""

    def __init__(self, comm, timeout):
        MPI = mpi()
        self.comm = comm.Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.local_comm = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = self.local_comm.Get_rank(), self.local_comm.Get_size()
        self.cross_comm = self.comm.Split(color=self.local_rank, key=self.rank)
        self.cross_rank, self.cross_size = self.cross_comm.Get_rank(), self.cross_comm.Get_size()
        self.timeout = timeout
        self.previous_hook = None

    def free(self):
        for comm in (self.cross_comm, self.local_comm, self.comm):
            comm.Free()


_job = None


def init(comm=None, timeout=None):
    """Join the MPI job: every rank of the launch (``mpirun -np N``, ``srun -n N``) calls it
    once before anything else of ``glassnet.distributed``. A second call does nothing.

    Args:
        comm: an mpi4py communicator to train on; ``MPI.COMM_WORLD`` by default.
        timeout: seconds a collective may wait for the other ranks before the job is
            aborted; None (the default) waits as long as MPI does.

    Without a launcher (plain ``python train.py``) the job is one process: ``size() == 1``,
    and every collective returns its input.
    """
    global _job
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"init: `timeout` must be a positive number of seconds or None. "
                             f"Received: timeout={timeout!r}")
        timeout = float(timeout)
    if _job is not None:
        return
    MPI = mpi()
    if comm is None:
        comm = MPI.COMM_WORLD
    elif not isinstance(comm, MPI.Intracomm):
        raise TypeError(f"init: `comm` must be an mpi4py intracommunicator (such as "
                        f"MPI.COMM_WORLD) or None. Received: {type(comm).__name__}")
    job = _Job(comm, timeout)
    if job.size > 1:
        job.previous_hook = sys.excepthook
        sys.excepthook = _abort_on_exception
    from glassnet.train.callbacks import base

    base.set_chief(job.rank == 0)  # only rank 0 prints progress and writes checkpoints
    _job = job


def shutdown():
    """Leave the job (the communicators are freed); ``init()`` may be called again."""
    global _job
    if _job is None:
        return
    job, _job = _job, None
    if job.previous_hook is not None and sys.excepthook is _abort_on_exception:
        sys.excepthook = job.previous_hook
    from glassnet.train.callbacks import base

    base.set_chief(True)
    job.free()


def is_initialized() -> bool:
    """Whether ``init()`` has been called (and not undone by ``shutdown()``)."""
    return _job is not None


def job(what="this function"):
    """The current job; a ValueError naming ``what`` before ``init()``."""
    if _job is None:
        raise ValueError(f"glassnet.distributed has not been initialized; call "
                         f"glassnet.distributed.init() before {what}.")
    return _job


def rank() -> int:
    """This process's index in the job, 0 to ``size() - 1``; rank 0 is the chief."""
    return job("rank()").rank


def size() -> int:
    """The number of processes in the job."""
    return job("size()").size


def local_rank() -> int:
    """This process's index among the processes of its machine."""
    return job("local_rank()").local_rank


def local_size() -> int:
    """The number of processes on this machine."""
    return job("local_size()").local_size


def cross_rank() -> int:
    """This machine's index among the machines (the ranks with this ``local_rank``)."""
    return job("cross_rank()").cross_rank


def cross_size() -> int:
    """The number of machines that run a process with this ``local_rank``."""
    return job("cross_size()").cross_size


def check_root(root_rank, what):
    """``root_rank`` as an int in [0, size); a ValueError naming ``what`` otherwise."""
    n = job(what).size
    root_rank = checks.integer(root_rank, "root_rank", what, 0)
    if root_rank >= n:
        raise ValueError(f"{what}: `root_rank` must be in [0, {n}) for a job of {n} "
                         f"process(es). Received: root_rank={root_rank}")
    return root_rank


def wait(request, what):
    """Complete a nonblocking MPI request, aborting the job after ``init(timeout=)``."""
    current = job(what)
    if current.timeout is None:
        request.Wait()
        return
    deadline = time.monotonic() + current.timeout
    pause = 1e-5
    while not request.Test():
        if time.monotonic() > deadline:
            sys.stderr.write(
                f"glassnet.distributed: {what} on rank {current.rank} waited more than "
                f"{current.timeout:g} s for the other ranks (one has stopped or diverged); "
                f"aborting the job\n")
            sys.stderr.flush()
            current.comm.Abort(1)
        time.sleep(pause)
        pause = min(pause * 2, 1e-3)


def _abort_on_exception(kind, value, tb):
    """``sys.excepthook`` of a multi-process job: print the error, then end every rank."""
    current = _job
    previous = current.previous_hook if current is not None else sys.__excepthook__
    try:
        (previous or sys.__excepthook__)(kind, value, tb)
    except Exception:  # a broken hook must not stop the abort
        traceback.print_exception(kind, value, tb)
    if current is None:
        return
    sys.stderr.write(f"glassnet.distributed: rank {current.rank} of {current.size} stopped "
                     f"with {kind.__name__}; aborting the job (MPI_Abort) so that the other "
                     f"ranks do not wait for it\n")
    sys.stderr.flush()
    current.comm.Abort(1)
