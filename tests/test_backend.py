import resource
import sys

import numpy as np
import pytest

from glassnet import backend


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_keep_freed_memory_stops_page_faults_on_repeated_large_arrays():
    assert backend.keep_freed_memory()

    def churn():
        for size in (3_000_000, 2_000_000, 2_500_000):  # interleaved multi-megabyte arrays
            a = np.ones(size, np.float32)
            a += 1

    churn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        churn()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 100
