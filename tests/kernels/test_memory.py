import resource
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from glassnet.kernels import memory

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")


def churn():
    for size in (3_000_000, 2_000_000, 2_500_000):  # interleaved multi-megabyte arrays
        a = np.ones(size, np.float32)
        a += 1


@linux
def test_inside_the_block_freed_memory_is_reused_without_page_faults():
    with memory.keep_freed_memory():
        churn()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(5):
            churn()
        assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 100


@linux
def test_after_the_block_large_arrays_go_back_to_the_system_again():
    # In a fresh interpreter: what earlier tests left in this process's heap (the free
    # chunks glibc reuses before it maps new memory) must not decide the result.
    program = textwrap.dedent("""
        import resource
        import numpy as np
        from glassnet.kernels import memory

        def churn():
            for size in (3_000_000, 2_000_000, 2_500_000):
                a = np.ones(size, np.float32)
                a += 1

        with memory.keep_freed_memory():
            churn()
        assert not memory.is_kept()
        churn()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        churn()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout) > 1000  # mmap'ed anew


def test_blocks_are_counted_across_threads_and_restored_on_errors(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_libc", (lambda p, v: calls.append((p, v)) or 1,
                                          lambda pad: calls.append(("trim", pad))))
    opened, release = threading.Event(), threading.Event()

    def other():
        with memory.keep_freed_memory():
            opened.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    opened.wait(10)
    with pytest.raises(RuntimeError), memory.keep_freed_memory():
        raise RuntimeError
    assert calls == list(memory.KEPT.items())  # set once, not restored: still needed
    release.set()
    thread.join()
    assert calls[2:] == [*((p, memory.GLIBC_DEFAULTS[p]) for p in memory.KEPT), ("trim", 0)]
    assert not memory.is_kept()
