import pytest

from glassnet.kernels import gemm, threads


@pytest.fixture
def two_threads():
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(before)


@pytest.fixture
def split_everything(two_threads, monkeypatch):
    """Two threads, and even tiny arrays count as large enough to split."""
    monkeypatch.setattr(threads, "MIN_ELEMENTS", 2)
    monkeypatch.setattr(gemm, "BLAS_THREADS_MIN", 0)
