"""Structured request logs: one JSON line per request with its id, echoed to the client."""

import json
import logging

from glassnet.serve.logs import JsonLines


def test_each_request_is_one_json_line_with_its_id(client, x, caplog):
    caplog.set_level(logging.INFO, logger="glassnet.serve")
    body = {"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP32",
                        "data": x[0].tolist()}]}
    r = client.post("/v2/models/mlp/infer", json=body, headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    bad = client.post("/v2/models/nope/infer", json=body,
                      headers={"X-Request-ID": "<script>"})
    generated = bad.headers["X-Request-ID"]
    assert generated != "<script>" and len(generated) == 32  # not plain: a new id
    lines = [json.loads(JsonLines().format(rec)) for rec in caplog.records
             if rec.name == "glassnet.serve"]
    assert [(line["request_id"], line["status"], line["model"]) for line in lines] == [
        ("abc-123", 200, "mlp"), (generated, 404, "nope")]
    assert lines[0]["path"] == "/v2/models/mlp/infer" and lines[0]["duration_ms"] >= 0
    assert lines[0]["time"].endswith("Z") and lines[0]["level"] == "info"
