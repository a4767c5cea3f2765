"""preprocess_input equals Keras's (fixtures/preprocess.npy from make_fixture.py) in each
mode and data format; decode_predictions reads the class index from the cache folder."""

import json
import pathlib
import socket

import numpy as np
import pytest

from glassnet import keras
from glassnet.applications import imagenet_utils as implementation
from glassnet.autograd import Tensor
from glassnet.keras import applications
from glassnet.keras.applications import imagenet_utils

HERE = pathlib.Path(__file__).parent
EXPECTED = np.load(HERE / "fixtures" / "preprocess.npy")  # (mode, format, 2, 2, 2, 3)
PIXELS = np.arange(24, dtype=np.float32).reshape(2, 2, 2, 3) * 10.0  # as fixtures/cases.py
MODES = ("caffe", "tf", "torch")


@pytest.mark.parametrize("m", range(3))
def test_preprocess_input_equals_keras(m):
    got = imagenet_utils.preprocess_input(PIXELS.copy(), mode=MODES[m])
    np.testing.assert_allclose(got, EXPECTED[m, 0], rtol=1e-6, atol=1e-5)
    first = imagenet_utils.preprocess_input(PIXELS.transpose(0, 3, 1, 2).copy(),
                                            data_format="channels_first", mode=MODES[m])
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), EXPECTED[m, 1], rtol=1e-6,
                               atol=1e-5)
    one = imagenet_utils.preprocess_input(PIXELS[0].copy(), mode=MODES[m])  # a single image
    np.testing.assert_allclose(one, EXPECTED[m, 0, 0], rtol=1e-6, atol=1e-5)


def test_caffe_values_by_hand():
    x = np.array([[[[10.0, 20.0, 30.0]]]], np.float32)
    y = applications.vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(y[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68],
                               rtol=1e-6)


def test_family_modes():
    for module, m in ((applications.vgg16, 0), (applications.vgg19, 0),
                      (applications.resnet50, 0), (applications.resnet, 0),
                      (applications.mobilenet_v2, 1), (applications.xception, 1),
                      (applications.densenet, 2)):
        np.testing.assert_allclose(module.preprocess_input(PIXELS.copy()), EXPECTED[m, 0],
                                   rtol=1e-6, atol=1e-5)


def test_dtypes_and_in_place_as_keras():
    ints = PIXELS.astype(np.uint8)
    y = imagenet_utils.preprocess_input(ints, mode="tf")
    assert y.dtype == np.float32 and ints[0, 0, 0, 1] == 10  # the integer input is kept
    x = PIXELS.copy()
    y = imagenet_utils.preprocess_input(x, mode="tf")
    assert np.shares_memory(x, y)  # float arrays are written over, as Keras documents
    x64 = PIXELS.astype(np.float64)
    assert imagenet_utils.preprocess_input(x64, mode="torch").dtype == np.float64


@pytest.mark.parametrize("m", range(3))
def test_tensors_and_symbolic_inputs(m):
    got = imagenet_utils.preprocess_input(Tensor(PIXELS.copy()), mode=MODES[m])
    assert isinstance(got, Tensor) and got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), EXPECTED[m, 0], rtol=1e-6, atol=1e-5)
    inp = keras.Input((2, 2, 3))
    model = keras.Model(inp, imagenet_utils.preprocess_input(inp, mode=MODES[m]))
    np.testing.assert_allclose(model.predict(PIXELS, verbose=0), EXPECTED[m, 0], rtol=1e-6,
                               atol=1e-5)


def test_preprocess_input_errors():
    with pytest.raises(ValueError, match="Expected mode to be one of `caffe`, `tf` or "
                                         "`torch`. Received: mode=bgr"):
        imagenet_utils.preprocess_input(PIXELS.copy(), mode="bgr")
    with pytest.raises(ValueError, match="data_format=nhwc"):
        imagenet_utils.preprocess_input(PIXELS.copy(), data_format="nhwc")
    with pytest.raises(ValueError, match=r"3 color channels .* shape \(2, 2, 2, 4\)"):
        imagenet_utils.preprocess_input(np.zeros((2, 2, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"4-D batch .* shape \(2, 3\)"):
        imagenet_utils.preprocess_input(np.zeros((2, 3), np.float32), mode="torch")


# -- decode_predictions ---------------------------------------------------------------------

@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A class index in the cache folder ($GLASSNET_HOME/models), as a download would leave
    it; ours, not Keras's bytes, so its published hash is not checked."""
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    monkeypatch.setattr(implementation, "CLASS_INDEX_HASH", None)
    folder = tmp_path / "models"
    folder.mkdir(parents=True)
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = folder / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    return path


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_decode_predictions_format(class_index):
    preds = np.random.default_rng(0).random((3, 1000)).astype(np.float32)
    decoded = applications.resnet50.decode_predictions(preds)
    assert len(decoded) == 3 and all(len(row) == 5 for row in decoded)
    for row, p in zip(decoded, preds):
        best = np.argsort(p)[::-1][:5]
        assert [r[0] for r in row] == [f"n{i:08d}" for i in best]
        assert [r[1] for r in row] == [f"class_{i}" for i in best]
        assert [r[2] for r in row] == list(p[best])
        assert all(isinstance(r, tuple) and len(r) == 3 for r in row)
    top2 = imagenet_utils.decode_predictions(preds[:1], top=2)
    assert [r[0] for r in top2[0]] == [r[0] for r in decoded[0][:2]]


def test_decode_predictions_errors(class_index):
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="top"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)), top=0)


def test_bad_class_index_file(class_index):
    class_index.write_text(json.dumps({"0": ["n0", "a"]}))
    with pytest.raises(ValueError, match="expected the ImageNet class index"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))


def test_decode_predictions_offline(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    with pytest.raises(OSError) as err:
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    message = str(err.value)
    assert "imagenet_class_index.json" in message
    assert "https://storage.googleapis.com/download.tensorflow.org/data/" in message
    assert str(tmp_path / "models") in message
