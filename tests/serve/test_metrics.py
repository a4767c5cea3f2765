"""Prometheus metrics on /metrics: requests by model, version, endpoint and status, latency
histograms (whole request, queue, inference), batch sizes, in-flight and load time."""

import numpy as np
import pytest
from serving import metric_samples

pytest.importorskip("prometheus_client.parser")


_samples = metric_samples


def _value(samples, name, **labels):
    return sum(v for l, v in samples.get(name, []) if all(l.get(k) == w for k, w in
                                                          labels.items()))


def test_requests_latency_batch_size_and_load_time_are_counted(client, x):
    body = {"inputs": [{"name": "x", "shape": [4, 6], "datatype": "FP32",
                        "data": x.reshape(-1).tolist()}]}
    for _ in range(3):
        assert client.post("/v2/models/mlp/infer", json=body).status_code == 200
    assert client.post("/v2/models/mlp/versions/1/infer", json=body).status_code == 200
    bad = {"inputs": [{"name": "x", "shape": [1, 7], "datatype": "FP32", "data": [0] * 7}]}
    assert client.post("/v2/models/mlp/infer", json=bad).status_code == 400
    assert client.post("/v1/models/mlp:predict",
                       json={"instances": x.tolist()}).status_code == 200
    s = _samples(client)
    infer = "/v2/models/{name}/infer"
    assert _value(s, "glassnet_requests_total", model="mlp", endpoint=infer,
                  status="200") == 3
    assert _value(s, "glassnet_requests_total", model="mlp", endpoint=infer,
                  status="400") == 1
    assert _value(s, "glassnet_requests_total", model="mlp", version="1",
                  endpoint="/v2/models/{name}/versions/{version}/infer", status="200") == 1
    assert _value(s, "glassnet_requests_total", model="mlp", endpoint="/v1/models/"
                  "{name_and_verb}", status="200") == 1
    assert _value(s, "glassnet_request_duration_seconds_count", model="mlp",
                  endpoint=infer) == 4
    assert _value(s, "glassnet_inference_duration_seconds_count", model="mlp") == 5
    assert _value(s, "glassnet_queue_duration_seconds_count", model="mlp") == 5
    assert _value(s, "glassnet_batch_size_sum", model="mlp") == 20  # 5 predicts of 4 rows
    assert _value(s, "glassnet_requests_in_flight") == 0
    assert _value(s, "glassnet_model_load_seconds", model="mlp", version="2") > 0
    assert np.isfinite(_value(s, "glassnet_request_duration_seconds_sum", model="mlp"))
