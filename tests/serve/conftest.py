import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the server needs FastAPI: pip install 'glassnet[serve]'")
pytest.importorskip("httpx", reason="the test client needs httpx")


@pytest.fixture(scope="session")
def repository(tmp_path_factory):
    """A repository folder: mlp versions 1 and 2 (.keras; 2 differs), and the same mlp as
    .onnx under mlp_onnx, plus the Keras models to compare with."""
    from glassnet import keras

    root = tmp_path_factory.mktemp("models")
    models = {}
    for version in (1, 2):
        keras.utils.set_random_seed(version)
        model = keras.Sequential([keras.Input((6,), name="x"),
                                  keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax", name="probs")])
        (root / "mlp" / str(version)).mkdir(parents=True)
        model.save(root / "mlp" / str(version) / "model.keras")
        models[version] = model
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    else:
        (root / "mlp_onnx" / "1").mkdir(parents=True)
        models[2].export(str(root / "mlp_onnx" / "1" / "model.onnx"), format="onnx")
    return root, models


@pytest.fixture()
def client(repository):
    from fastapi.testclient import TestClient

    from glassnet.serve import create_app

    with TestClient(create_app(repository[0], max_body_bytes=1 << 16)) as c:
        yield c


@pytest.fixture(scope="session")
def x():
    return np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
