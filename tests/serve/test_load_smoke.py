"""A short run of the serving load test (benchmarks/serving_load.py) against the MLP: every
valid request answered with the model's outputs, every invalid one a 4xx with an error, the
server still ready; and its checker flags the answers it must flag."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("uvicorn")

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "serving_load.py")


def _load_script():
    spec = importlib.util.spec_from_file_location("serving_load", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_200_mixed_requests_at_concurrency_8(tmp_path):
    out = tmp_path / "load.json"
    done = subprocess.run([sys.executable, SCRIPT, "--only", "mlp", "--requests", "200",
                           "--concurrency", "8", "--batching", "off,on", "--train-samples",
                           "0", "--max-seconds", "120", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    assert [(r["batching"], r["concurrency"]) for r in results] == [("off", 8), ("on", 8)]
    for r in results:
        assert r["sent"] == 200 and r["transport_errors"] == 0
        assert r["valid_5xx"] == r["valid_failed"] == 0
        assert r["invalid_not_4xx"] == r["invalid_unexplained"] == 0
        assert r["server_alive"] and r["server_ready"]
        statuses = r["statuses"]
        assert sum(statuses["v2_single"].values()) > 50 and set(statuses["v2_single"]) == {"200"}
        assert set(statuses["v2_batch"]) == set(statuses["tf_single"]) == {"200"}
        assert statuses["malformed_json"] == {"400": sum(statuses["malformed_json"].values())}
        assert set(statuses["wrong_shape"]) == set(statuses["nan"]) == {"400"}
        assert set(statuses["unknown_model"]) == {"404"}
        assert set(statuses["content_type"]) == {"415"}
        assert set(statuses["huge_body"]) == set(statuses["huge_chunked"]) == {"413"}
        assert r["p50_ms"] > 0 and r["samples_per_s"] > 0
    assert results[1]["mean_batch"] >= 1.0
    assert "| glassnet MLP | on (64) | 8 | 200 |" in done.stdout


def test_checker_flags_wrong_answers():
    load = _load_script()
    expected = np.array([[0.25, 0.75]], np.float32)
    valid = load.Request("v2_single", "/v2/models/m/infer", b"{}", expected=expected,
                         samples=1)
    right = json.dumps({"outputs": [{"name": "probs", "shape": [1, 2], "datatype": "FP32",
                                     "data": [0.25, 0.75]}]}).encode()
    wrong = right.replace(b"0.75", b"0.5")
    assert load.check(valid, 200, right) is None
    assert "differ" in load.check(valid, 200, wrong)
    assert "status 500" in load.check(valid, 500, b'{"error": "boom"}')
    tf = load.Request("tf_single", "/v1/models/m:predict", b"{}", expected=expected, samples=1)
    assert load.check(tf, 200, b'{"predictions": [[0.25, 0.75]]}') is None
    invalid = load.Request("malformed_json", "/v2/models/m/infer", b"{")
    assert load.check(invalid, 400, b'{"error": "not JSON"}') is None
    assert "status 500" in load.check(invalid, 500, b'{"error": "boom"}')
    assert "status 200" in load.check(invalid, 200, right)
    assert "not JSON" in load.check(invalid, 400, b"<html>")
