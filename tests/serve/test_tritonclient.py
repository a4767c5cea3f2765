"""The server as its clients use it: uvicorn on 127.0.0.1, and Triton's own Python client
(``tritonclient.http``) unchanged, with JSON and binary tensors; curl-style TensorFlow
Serving requests through ``urllib``."""

import json
import urllib.request

import numpy as np
import pytest
from serving import uvicorn_thread

httpclient = pytest.importorskip("tritonclient.http")
uvicorn = pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def server(repository):
    from glassnet.serve import create_app

    with uvicorn_thread(create_app(repository[0])) as address:
        yield address


@pytest.mark.parametrize("binary", [False, True])
def test_tritonclient_infers_with_json_and_binary_tensors(server, repository, x, binary):
    _, models = repository
    client = httpclient.InferenceServerClient(url=server)
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("mlp")
    meta = client.get_model_metadata("mlp")
    assert meta["inputs"][0]["name"] == "x"
    inputs = [httpclient.InferInput("x", list(x.shape), "FP32")]
    inputs[0].set_data_from_numpy(x, binary_data=binary)
    outputs = [httpclient.InferRequestedOutput(meta["outputs"][0]["name"], binary_data=binary)]
    result = client.infer("mlp", inputs, outputs=outputs, request_id="7")
    got = result.as_numpy(meta["outputs"][0]["name"])
    np.testing.assert_allclose(got, models[2].predict(x, verbose=0), rtol=1e-6)
    assert result.get_response()["id"] == "7"
    # No outputs named: tritonclient asks for all of them in binary
    result = client.infer("mlp", inputs, model_version="1")
    np.testing.assert_allclose(result.as_numpy(meta["outputs"][0]["name"]),
                               models[1].predict(x, verbose=0), rtol=1e-6)


def test_tritonclient_sees_server_errors_as_exceptions(server):
    client = httpclient.InferenceServerClient(url=server)
    bad = [httpclient.InferInput("x", [1, 7], "FP32")]
    bad[0].set_data_from_numpy(np.ones((1, 7), np.float32))
    with pytest.raises(Exception, match=r"expected shape \[-1, 6\], received \[1, 7\]"):
        client.infer("mlp", bad)
    assert not client.is_model_ready("nope")


def test_a_curl_style_tf_serving_request(server, repository, x):
    _, models = repository
    request = urllib.request.Request(
        f"http://{server}/v1/models/mlp:predict", method="POST",
        data=json.dumps({"instances": x.tolist()}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        predictions = json.loads(response.read())["predictions"]
    np.testing.assert_allclose(predictions, models[2].predict(x, verbose=0), rtol=1e-6)
