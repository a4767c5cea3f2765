"""The GPU benchmark's glassnet side runs (on the stand-in here, on a GPU in the device run)."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

import gpu_training  # noqa: E402


def test_the_glassnet_side_of_the_benchmark_runs(gpu):
    rng = np.random.default_rng(0)
    data = (rng.random((256, 28, 28), dtype=np.float32), rng.integers(0, 10, 256),
            rng.random((64, 28, 28), dtype=np.float32), rng.integers(0, 10, 64), False)
    for kind in ("mlp", "cnn"):
        row = gpu_training.run_glassnet(kind, 128, 2, data)
        assert row["s_per_epoch"] > 0 and 0 <= row["test_accuracy"] <= 1
