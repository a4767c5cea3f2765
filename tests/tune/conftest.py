import numpy as np
import pytest

pytest.importorskip("optuna", reason="the tuners need Optuna: pip install 'glassnet[tune]'")


@pytest.fixture(scope="module")
def blobs():
    """Three separable classes in 4 features: a tiny classification task that trains in
    milliseconds."""
    rng = np.random.default_rng(0)
    y = np.arange(240) % 3
    x = rng.normal(size=(240, 4)).astype("float32") + np.eye(3, 4, dtype="float32")[y] * 2.5
    return x[:180], y[:180], x[180:], y[180:]
