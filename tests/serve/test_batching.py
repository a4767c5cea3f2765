"""Adaptive batching: concurrent requests run as one predict, and each request gets exactly
its own rows back."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from serving import uvicorn_thread

uvicorn = pytest.importorskip("uvicorn")


@pytest.fixture()
def batching_server(repository):
    from glassnet.serve import create_app

    app = create_app(repository[0], max_batch_size=16, max_batch_delay_ms=50)
    with uvicorn_thread(app) as address:
        yield app, f"http://{address}"


def _infer(base, rows):
    body = {"inputs": [{"name": "x", "shape": list(rows.shape), "datatype": "FP32",
                        "data": rows.reshape(-1).tolist()}]}
    request = urllib.request.Request(f"{base}/v2/models/mlp/infer", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        out = json.loads(response.read())["outputs"][0]
    return np.reshape(out["data"], out["shape"])


def test_concurrent_requests_are_batched_and_answered_row_for_row(batching_server, repository):
    app, base = batching_server
    _, models = repository
    rng = np.random.default_rng(1)
    requests = [rng.normal(size=(n, 6)).astype("float32") for n in [1] * 20 + [3, 2, 5]]
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(lambda rows: _infer(base, rows), requests))
    for rows, answer in zip(requests, answers):
        np.testing.assert_allclose(answer, models[2].predict(rows, verbose=0), rtol=1e-5,
                                   atol=1e-7)
    (queue,) = app.state.batch_queues.values()
    assert sum(queue.batch_sizes) == sum(len(r) for r in requests)
    assert max(queue.batch_sizes) > 1 and max(queue.batch_sizes) <= 16
    assert len(queue.batch_sizes) < len(requests)


def test_a_lone_request_is_answered_after_the_delay(batching_server, repository, x):
    app, base = batching_server
    _, models = repository
    answer = _infer(base, x[:1])  # no company comes: the timer sends it alone
    np.testing.assert_allclose(answer, models[2].predict(x[:1], verbose=0), rtol=1e-6)
    (queue,) = app.state.batch_queues.values()
    assert queue.batch_sizes == [1]
