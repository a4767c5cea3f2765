"""glassnet models in Seldon's MLServer: ``GlassnetRuntime`` loaded and called as MLServer
calls it, then ``mlserver start`` in a fresh process answering Open Inference Protocol
requests."""

import asyncio
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version

import numpy as np
import pytest

pytest.importorskip("mlserver")

from mlserver.codecs import NumpyCodec  # noqa: E402
from mlserver.errors import MLServerError  # noqa: E402
from mlserver.settings import ModelParameters, ModelSettings  # noqa: E402
from mlserver.types import InferenceRequest, RequestInput, RequestOutput  # noqa: E402
from serving import free_port  # noqa: E402

from glassnet.serve.mlserver import GlassnetRuntime  # noqa: E402


def _runtime(uri, name="mlp"):
    settings = ModelSettings(name=name, implementation=GlassnetRuntime,
                             parameters=ModelParameters(uri=str(uri), version="2"))
    runtime = GlassnetRuntime(settings)
    assert asyncio.run(runtime.load()) is True
    return runtime


def _predict(runtime, *inputs, outputs=None):
    request = InferenceRequest(inputs=list(inputs), outputs=outputs)
    return asyncio.run(runtime.predict(request))


@pytest.fixture(scope="module")
def runtime(repository):
    return _runtime(repository[0] / "mlp" / "2")


@pytest.mark.parametrize("where", ["file", "folder", "onnx"])
def test_the_runtime_predicts_as_the_model_does(repository, x, where):
    root, models = repository
    uri = {"file": root / "mlp" / "2" / "model.keras", "folder": root / "mlp" / "2",
           "onnx": root / "mlp_onnx" / "1"}[where]
    if where == "onnx" and not uri.exists():
        pytest.skip("exporting to ONNX needs onnx and onnxruntime")
    runtime = _runtime(uri)
    # the ONNX export names its own input
    response = _predict(runtime, NumpyCodec.encode_input(runtime.inputs[0].name, x))
    assert response.model_name == "mlp" and response.model_version == "2"
    (output,) = response.outputs
    assert output.name == runtime.outputs[0].name and output.datatype == "FP32"
    np.testing.assert_allclose(NumpyCodec.decode_output(output),
                               models[2].predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_metadata_comes_from_the_model(runtime):
    assert [(t.name, t.datatype, t.shape) for t in runtime.inputs] == [("x", "FP32", [-1, 6])]
    assert [(t.name, t.shape) for t in runtime.outputs] == [("probs", [-1, 3])]
    assert runtime.settings.platform == "glassnet"


def test_requested_outputs_by_name(runtime, x):
    response = _predict(runtime, NumpyCodec.encode_input("x", x),
                        outputs=[RequestOutput(name="probs")])
    assert [o.name for o in response.outputs] == ["probs"]
    with pytest.raises(MLServerError, match=r"unknown outputs \['nope'\]; the model's outputs "
                                            r"are \['probs'\]"):
        _predict(runtime, NumpyCodec.encode_input("x", x), outputs=[RequestOutput(name="nope")])


@pytest.mark.parametrize("tensor, message", [
    (RequestInput(name="x", shape=[1, 7], datatype="FP32", data=[1.0] * 7),
     r"input 'x': expected shape \[-1, 6\], received \[1, 7\]"),
    (RequestInput(name="x", shape=[2, 6], datatype="FP32", data=[1.0] * 7),
     r"input 'x': shape \[2, 6\] needs 12 values, `data` holds 7"),
    (RequestInput(name="x", shape=[1, 6], datatype="FP32", data=["a"] * 6),
     r"input 'x': `data` is not a \(nested\) list of FP32 values"),
    (RequestInput(name="y", shape=[1, 6], datatype="FP32", data=[1.0] * 6),
     r"unknown input 'y'; the model's input is 'x'"),
    (NumpyCodec.encode_input("x", np.full((1, 6), np.nan, np.float32)),
     r"input 'x': the data holds NaN or infinity"),
])
def test_a_request_that_breaks_the_contract_is_a_400_naming_the_input(runtime, tensor, message):
    with pytest.raises(MLServerError, match=message) as caught:
        _predict(runtime, tensor)
    assert caught.value.status_code == 400


def test_an_input_given_twice(runtime, x):
    with pytest.raises(MLServerError, match="input 'x' is given twice"):
        _predict(runtime, NumpyCodec.encode_input("x", x), NumpyCodec.encode_input("x", x))


def test_a_uri_without_a_model_file(tmp_path):
    (tmp_path / "notes.txt").write_text("no model here")
    settings = ModelSettings(name="empty", implementation=GlassnetRuntime,
                             parameters=ModelParameters(uri=str(tmp_path)))
    with pytest.raises(MLServerError, match=r"expected a model file or a folder holding one "
                                            r"of \['model.keras'"):
        asyncio.run(GlassnetRuntime(settings).load())


_free_port = free_port


def _uvloop_breaks_workers():
    try:
        major, minor = (int(p) for p in version("uvloop").split(".")[:2])
    except Exception:  # not installed, or a version string of another form
        return False
    return (major, minor) >= (0, 22)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 1])
def test_mlserver_start_serves_a_glassnet_model(repository, x, tmp_path, workers):
    httpx = pytest.importorskip("httpx")
    if workers and _uvloop_breaks_workers():
        pytest.skip("MLServer's inference workers do not start with uvloop >= 0.22")
    root, models = repository
    port = _free_port()
    settings = {"host": "127.0.0.1", "http_port": port, "grpc_port": _free_port(),
                "metrics_port": _free_port(), "parallel_workers": workers, "debug": False}
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    (tmp_path / "fashion").mkdir()
    (tmp_path / "fashion" / "model-settings.json").write_text(json.dumps({
        "name": "fashion", "implementation": "glassnet.serve.mlserver.GlassnetRuntime",
        "parameters": {"uri": str(root / "mlp" / "2" / "model.keras"), "version": "2"}}))
    command = os.path.join(os.path.dirname(sys.executable), "mlserver")
    proc = subprocess.Popen([command, "start", str(tmp_path)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.time() + 90
            while True:
                assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
                try:
                    if client.get("/v2/models/fashion/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            assert client.get("/v2/health/ready").status_code == 200
            meta = client.get("/v2/models/fashion").json()
            assert meta["platform"] == "glassnet" and meta["inputs"][0]["shape"] == [-1, 6]
            body = {"id": "7", "inputs": [{"name": "x", "shape": list(x.shape),
                                           "datatype": "FP32", "data": x.ravel().tolist()}]}
            response = client.post("/v2/models/fashion/infer", json=body)
            assert response.status_code == 200, response.text
            result = response.json()
            assert result["id"] == "7" and result["model_version"] == "2"
            (output,) = result["outputs"]
            assert output["name"] == "probs" and output["shape"] == [4, 3]
            np.testing.assert_allclose(np.reshape(output["data"], output["shape"]),
                                       models[2].predict(x, verbose=0), rtol=1e-5, atol=1e-6)
            body = {"inputs": [{"name": "x", "shape": [1, 7], "datatype": "FP32",
                                "data": [0.0] * 7}]}
            response = client.post("/v2/models/fashion/infer", json=body)
            assert response.status_code == 400
            assert "input 'x': expected shape [-1, 6], received [1, 7]" in response.json()["error"]
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
