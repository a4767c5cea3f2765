"""A model given as a function (a PyTorch module, say) served beside model files."""

import numpy as np
import pytest


def test_function_model_served_beside_files(repository, x):
    from fastapi.testclient import TestClient

    from glassnet.serve import FunctionModel, ModelRepository, create_app

    repo = ModelRepository(repository[0])
    repo.add(FunctionModel("double", 3, lambda a: 2 * a, [("x", [-1, 6], "FP32")],
                           [("y", [-1, 6], "FP32")]))
    assert {"name": "double", "state": "READY"} in repo.index()
    with TestClient(create_app(repo)) as client:
        body = {"inputs": [{"name": "x", "shape": list(x.shape), "datatype": "FP32",
                            "data": x.ravel().tolist()}]}
        reply = client.post("/v2/models/double/infer", json=body).json()
        assert reply["model_version"] == "3"
        np.testing.assert_allclose(np.reshape(reply["outputs"][0]["data"], x.shape), 2 * x,
                                   rtol=1e-6)
        wrong = client.post("/v1/models/double:predict", json={"instances": [[1.0, 2.0]]})
        assert wrong.status_code == 400 and "expected shape [-1, 6]" in wrong.json()["error"]
        assert client.post("/v2/models/mlp/infer", json=body).status_code == 200


def test_empty_repository_takes_added_models_only():
    from glassnet.serve import FunctionModel, ModelRepository

    repo = ModelRepository()
    assert repo.index() == [] and repo.names() == []
    with pytest.raises(TypeError, match="expected a ServedModel"):
        repo.add(lambda a: a)
    with pytest.raises(ValueError, match="model name"):
        repo.add(FunctionModel("../up", 1, abs, [("x", [-1], "FP32")], [("y", [-1], "FP32")]))
