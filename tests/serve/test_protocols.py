"""The Open Inference Protocol v2 and TensorFlow Serving's REST API, through an HTTP client:
answers equal the model's own predictions, and every bad request is a 4xx naming the
problem."""

import json

import numpy as np
import pytest


def infer_body(x, name="x", datatype="FP32", nested=False):
    data = x.tolist() if nested else x.reshape(-1).tolist()
    return {"inputs": [{"name": name, "shape": list(x.shape), "datatype": datatype,
                        "data": data}]}


def test_health_and_metadata(client):
    assert client.get("/v2/health/live").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    assert client.get("/v2").json()["name"] == "glassnet"
    meta = client.get("/v2/models/mlp").json()
    assert meta["name"] == "mlp" and meta["versions"] == ["2"] and meta["platform"] == "glassnet"
    assert meta["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 6]}]
    assert meta["outputs"][0]["shape"] == [-1, 3]
    assert client.get("/v2/models/mlp/versions/1").json()["versions"] == ["1"]
    assert client.get("/v2/models/mlp/ready").status_code == 200
    assert client.get("/v2/models/mlp/versions/1/ready").status_code == 200


@pytest.mark.parametrize("nested", [False, True])
def test_infer_equals_predict_for_the_latest_and_a_named_version(client, repository, x, nested):
    _, models = repository
    r = client.post("/v2/models/mlp/infer", json={**infer_body(x, nested=nested), "id": "42"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_name"] == "mlp" and body["model_version"] == "2" and body["id"] == "42"
    out = body["outputs"][0]
    assert out["shape"] == [4, 3] and out["datatype"] == "FP32"
    np.testing.assert_allclose(np.reshape(out["data"], (4, 3)),
                               models[2].predict(x, verbose=0), rtol=1e-6)
    r = client.post("/v2/models/mlp/versions/1/infer", json=infer_body(x))
    np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (4, 3)),
                               models[1].predict(x, verbose=0), rtol=1e-6)


def test_integer_and_double_inputs_are_accepted(client, x):
    for datatype in ("FP64", "INT32"):
        r = client.post("/v2/models/mlp/infer", json=infer_body(np.round(x), datatype=datatype))
        assert r.status_code == 200, r.text


def test_onnx_models_are_served_through_onnxruntime(client, repository, x):
    pytest.importorskip("onnxruntime")
    _, models = repository
    meta = client.get("/v2/models/mlp_onnx").json()
    assert meta["platform"] == "onnxruntime_onnx"
    r = client.post("/v2/models/mlp_onnx/infer", json=infer_body(x, name=meta["inputs"][0][
        "name"]))
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(np.reshape(r.json()["outputs"][0]["data"], (4, 3)),
                               models[2].predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_tf_serving_predict_status_and_metadata(client, repository, x):
    _, models = repository
    r = client.post("/v1/models/mlp:predict", json={"instances": x.tolist()})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["predictions"], models[2].predict(x, verbose=0),
                               rtol=1e-6)
    r = client.post("/v1/models/mlp/versions/1:predict", json={"inputs": x.tolist()})
    np.testing.assert_allclose(r.json()["outputs"], models[1].predict(x, verbose=0), rtol=1e-6)
    status = client.get("/v1/models/mlp").json()
    assert status["model_version_status"][0]["state"] == "AVAILABLE"
    meta = client.get("/v1/models/mlp/metadata").json()
    assert meta["model_spec"] == {"name": "mlp", "version": "2"}


def test_repository_unload_and_load(client, x):
    index = client.post("/v2/repository/index").json()
    assert {"name": "mlp", "state": "READY"} in index
    assert client.post("/v2/repository/models/mlp/unload").status_code == 200
    assert client.get("/v2/models/mlp/ready").status_code == 404
    assert client.post("/v2/models/mlp/infer", json=infer_body(x)).status_code == 404
    assert client.post("/v2/repository/models/mlp/load").status_code == 200
    assert client.post("/v2/models/mlp/infer", json=infer_body(x)).status_code == 200
    r = client.post("/v2/repository/models/..%2F..%2Fetc/load")
    assert r.status_code == 404


BAD = [
    ("not json", "/v2/models/mlp/infer", b"{nope", {}, 400, "not valid JSON"),
    ("no inputs", "/v2/models/mlp/infer", {"inputs": []}, {}, 400, "needs `inputs`"),
    ("wrong shape", "/v2/models/mlp/infer", infer_body(np.ones((2, 7), "float32")), {}, 400,
     "input 'x': expected shape [-1, 6], received [2, 7]"),
    ("count mismatch", "/v2/models/mlp/infer",
     {"inputs": [{"name": "x", "shape": [2, 6], "datatype": "FP32",
                  "data": [1.0] * 11}]}, {}, 400, "needs 12 values, `data` holds 11"),
    ("bad datatype", "/v2/models/mlp/infer",
     {"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP99",
                  "data": [1] * 6}]}, {}, 400, "`datatype` must be one of"),
    ("wrong name", "/v2/models/mlp/infer", infer_body(np.ones((1, 6), "float32"), name="z"),
     {}, 400, "unknown input 'z'; the model's input is 'x'"),
    ("strings", "/v2/models/mlp/infer",
     {"inputs": [{"name": "x", "shape": [1, 6], "datatype": "BYTES",
                  "data": ["a"] * 6}]}, {}, 400, "expected numbers (FP32), received BYTES"),
    ("nan", "/v2/models/mlp/infer",
     {"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP32",
                  "data": [1, 2, 3, 4, 5, "NaN"]}]}, {}, 400, "NaN or infinity"),
    ("huge shape", "/v2/models/mlp/infer",
     {"inputs": [{"name": "x", "shape": [10 ** 9, 6], "datatype": "FP32",
                  "data": [1]}]}, {}, 413, "more than the server's limit"),
    ("huge body", "/v2/models/mlp/infer", b"[" + b"1," * 40000 + b"1]", {}, 413,
     "over the limit"),
    ("content type", "/v2/models/mlp/infer", b"x=1",
     {"content-type": "application/x-www-form-urlencoded"}, 415, "expected application/json"),
    ("unknown model", "/v2/models/nope/infer", infer_body(np.ones((1, 6), "float32")), {},
     404, "unknown model 'nope'"),
    ("unknown version", "/v2/models/mlp/versions/9/infer",
     infer_body(np.ones((1, 6), "float32")), {}, 404, "has no version '9'"),
    ("unknown output", "/v2/models/mlp/infer",
     {**infer_body(np.ones((1, 6), "float32")), "outputs": [{"name": "zzz"}]}, {}, 400,
     "unknown outputs ['zzz']"),
    ("binary too short", "/v2/models/mlp/infer",
     json.dumps({"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP32",
                             "parameters": {"binary_data_size": 24}}]}).encode() + b"\0" * 8,
     {"inference-header-content-length": None}, 400, "more than the 8 bytes left"),
    ("tf both keys", "/v1/models/mlp:predict", {"instances": [], "inputs": []}, {}, 400,
     'exactly one of "instances" or "inputs"'),
    ("tf ragged", "/v1/models/mlp:predict", {"instances": [[1, 2], [1]]}, {}, 400,
     "rows of one length"),
    ("tf verb", "/v1/models/mlp:classify", {"instances": [[0] * 6]}, {}, 404,
     "unknown method ':classify'"),
]


@pytest.mark.parametrize("label, url, body, headers, status, words", BAD,
                         ids=[b[0] for b in BAD])
def test_bad_requests_are_4xx_with_a_message(client, label, url, body, headers, status, words):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    headers = dict(headers)
    if "inference-header-content-length" in headers:
        headers["inference-header-content-length"] = str(body.index(b"}]}") + 3)
    headers.setdefault("content-type", "application/json")
    r = client.post(url, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert words in r.json()["error"], r.json()
