"""Outputs equal Keras's on the same weights (fixtures/*.npy, written by make_fixture.py with
Keras 3.15): weights drawn from the shapes alone in Keras's layer order, so agreeing outputs
prove the architecture, the layer order and each layer's weight order are Keras's."""

import importlib.util
import os
import pathlib
import sys

import numpy as np
import pytest

from glassnet.keras import applications

HERE = pathlib.Path(__file__).parent


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cases = _load("applications_cases", HERE / "fixtures" / "cases.py")
keras_order = _load("applications_keras_order", HERE / "keras_order.py")


def _build(case):
    fn, kwargs = cases.CASES[case]
    return getattr(applications, fn)(weights=None, **kwargs)


def _set_keras_order(model):
    layers = [layer for layer in keras_order.keras_layer_order(model) if layer.weights]
    values = cases.seeded_weights([w.shape for layer in layers for w in layer.weights])
    for layer in layers:
        n = len(layer.weights)
        layer.set_weights(values[:n])
        values = values[n:]


@pytest.mark.parametrize("case", ["mobilenet_v2", "densenet121", "resnet50", "xception"])
def test_outputs_equal_keras(case):
    model = _build(case)
    _set_keras_order(model)
    x = cases.input_batch(model.input_shape)
    expected = np.load(HERE / "fixtures" / f"{case}.npy")
    got = model.predict(x, verbose=0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("case", ["mobilenet_v2", "densenet121", "xception", "resnet50"])
def test_set_weights_takes_keras_order(case):
    model = _build(case)
    model.set_weights(cases.seeded_weights([w.shape for w in model.get_weights()]))
    got = model.predict(cases.input_batch(model.input_shape), verbose=0)
    expected = np.load(HERE / "fixtures" / f"{case}.npy")
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


# Keras-written weight files (make_fixture.py --keras-h5 DIR; 2-95 MB, so not committed)
KERAS_H5 = os.environ.get("GLASSNET_KERAS_APPLICATION_H5")


@pytest.mark.skipif(not KERAS_H5, reason="set GLASSNET_KERAS_APPLICATION_H5 to a folder "
                                         "written by make_fixture.py --keras-h5")
@pytest.mark.parametrize("case", ["mobilenet_v2", "densenet121", "xception", "efficientnet_b0",
                                  "resnet50"])
def test_keras_written_weight_files_load(case):
    fn, kwargs = cases.CASES[case]
    if not hasattr(applications, fn):
        pytest.skip(f"{fn} is not exported yet")
    model = getattr(applications, fn)(weights=os.path.join(KERAS_H5, f"{case}.h5"), **kwargs)
    got = model.predict(cases.input_batch(model.input_shape), verbose=0)
    expected = np.load(HERE / "fixtures" / f"{case}.npy")
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
