"""Inference runs on a fixed pool of worker threads with the BLAS threads set while the
server runs, restored after."""

import json
import subprocess
import sys

import numpy as np
import pytest

SERVER = """
import json, threading
import numpy as np
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info
from glassnet.serve import FunctionModel, ModelRepository, create_app

def blas_threads():
    return sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})

seen = []
def record(a):
    seen.append((threading.current_thread().name, blas_threads()))
    return a

repo = ModelRepository()
repo.add(FunctionModel("echo", 1, record, [("x", [-1, 6], "FP32")], [("y", [-1, 6], "FP32")]))
before = blas_threads()
app = create_app(repo, workers=3, blas_threads=1)
body = {"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP32", "data": [0.5] * 6}]}
after = []
for _ in range(2):  # the pool starts again after a shutdown
    with TestClient(app) as client:
        assert client.post("/v2/models/echo/infer", json=body).status_code == 200
    after.append(blas_threads())
print(json.dumps({"pool": [app.state.workers.workers, app.state.workers.blas_threads],
                  "before": before, "after": after, "seen": seen}))
"""


def test_predicts_run_on_the_worker_threads_with_the_blas_held():
    # A fresh process: OpenBLAS ignores a thread count set by another thread once the main
    # thread has set one (a predict in this process would have), see kernels/threads.py.
    done = subprocess.run([sys.executable, "-c", SERVER], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["pool"] == [3, 1]
    assert report["after"] == [report["before"]] * 2
    assert len(report["seen"]) == 2
    for name, threads in report["seen"]:
        assert name.startswith("glassnet-inference") and threads == [1]


def test_the_default_shares_the_cpus_out():
    from glassnet.serve.workers import InferenceWorkers, cpu_count

    pool = InferenceWorkers()
    assert pool.workers == cpu_count() and pool.blas_threads == 1
    assert InferenceWorkers(workers=1).blas_threads == cpu_count()


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "4"])
def test_bad_thread_counts_are_refused_by_name(bad):
    from glassnet.serve.workers import InferenceWorkers

    with pytest.raises(ValueError, match="workers: expected a positive integer"):
        InferenceWorkers(workers=bad)
    with pytest.raises(ValueError, match="blas_threads: expected a positive integer"):
        InferenceWorkers(blas_threads=bad)


def test_onnx_models_get_the_servers_thread_count(repository):
    pytest.importorskip("onnxruntime")
    from glassnet.serve import ModelRepository

    repo = ModelRepository(repository[0], threads=1)
    model = repo.get("mlp_onnx")
    assert model.threads == 1
    out = model.predict([np.zeros((2, 6), np.float32)])
    assert next(iter(out.values())).shape == (2, 3)
