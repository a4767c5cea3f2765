"""EfficientNetB0..B7: Keras's parameters, layer names and order (make_fixture.py --counts)
and B0's outputs on the same weights (fixtures/efficientnet_b0.npy)."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

from glassnet.applications import efficientnet
from glassnet.applications import weights as weights_module

HERE = pathlib.Path(__file__).parent


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cases = _load("applications_cases", HERE / "fixtures" / "cases.py")
keras_order = _load("applications_keras_order", HERE / "keras_order.py")

# ((total, trainable, signature) with the classifier, (...) without), from Keras 3.15
KERAS = {
    "B0": ((5330571, 5288548, "50053270e98679ed"), (4049571, 4007548, "f49750cdb141b76c")),
    "B1": ((7856239, 7794184, "6432676e30832832"), (6575239, 6513184, "d36318979f15ac2d")),
    "B2": ((9177569, 9109994, "866937c5f5b65443"), (7768569, 7700994, "756daf6308fa3673")),
    "B3": ((12320535, 12233232, "28ebcb09a39256bc"), (10783535, 10696232, "d6a0f2e386f06e3b")),
    "B4": ((19466823, 19341616, "4c36bb96a3651cd0"), (17673823, 17548616, "ebd0e355911429f5")),
    "B5": ((30562527, 30389784, "a298e39dbc70e3a5"), (28513527, 28340784, "d3de3dbd4016d04b")),
    "B6": ((43265143, 43040704, "fdcb22666fe8b52f"), (40960143, 40735704, "d33d0a32ba0b871c")),
    "B7": ((66658687, 66347960, "17e4fc8f50da117b"), (64097687, 63786960, "7494983682345802")),
}


def _check(variant, include_top):
    model = getattr(efficientnet, f"EfficientNet{variant}")(weights=None,
                                                           include_top=include_top)
    total, trainable, sig = KERAS[variant][0 if include_top else 1]
    assert model.count_params() == total
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable
    assert keras_order.signature(keras_order.keras_layer_order(model)) == sig
    assert keras_order.signature(model.layers) == sig
    assert model.name == f"efficientnet{variant.lower()}"


@pytest.mark.parametrize("include_top", [True, False])
def test_b0_matches_keras(include_top):
    _check("B0", include_top)


@pytest.mark.slow
@pytest.mark.parametrize("variant", [f"B{i}" for i in range(1, 8)])
@pytest.mark.parametrize("include_top", [True, False])
def test_larger_variants_match_keras(variant, include_top):
    _check(variant, include_top)


def test_b0_outputs_equal_keras():
    fn, kwargs = cases.CASES["efficientnet_b0"]
    model = getattr(efficientnet, fn)(weights=None, **kwargs)
    model.set_weights(cases.seeded_weights([w.shape for w in model.get_weights()]))
    got = model.predict(cases.input_batch(model.input_shape), verbose=0)
    expected = np.load(HERE / "fixtures" / "efficientnet_b0.npy")
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_preprocess_input_is_identity_and_offline_error(tmp_path, monkeypatch):
    x = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3)
    assert efficientnet.preprocess_input(x) is x
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(OSError, match="https://storage.googleapis.com/keras-applications/"
                                      "efficientnetb0_notop.h5"):
        efficientnet.EfficientNetB0(weights="imagenet", include_top=False)


def test_imagenet_weights_path_and_input_scaling(tmp_path, monkeypatch):
    """weights="imagenet" asks get_file for Keras's file (name, URL, MD5, models folder) and
    loads it; with ImageNet weights Keras scales the normalized input by 1/sqrt(std)."""
    small = dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")
    source = efficientnet.EfficientNetB0(weights=None, **small)
    source.set_weights(cases.seeded_weights([w.shape for w in source.get_weights()]))
    norm = next(layer for layer in source.layers if type(layer).__name__ == "Normalization")
    mean, variance, count = norm.get_weights()
    norm.set_weights([np.zeros_like(mean), variance, count])  # so the scaling commutes
    path = tmp_path / "b0.h5"
    source.save_weights(str(path))
    asked = []

    def fake_get_file(fname, origin, file_hash=None, cache_subdir="datasets", **kwargs):
        asked.append((fname, origin, file_hash, cache_subdir))
        return str(path)

    monkeypatch.setattr(weights_module, "get_file", fake_get_file)
    model = efficientnet.EfficientNetB0(weights="imagenet", **small)
    assert asked == [("efficientnetb0_notop.h5",
                      "https://storage.googleapis.com/keras-applications/"
                      "efficientnetb0_notop.h5", "50bc09e76180e00e4465e1a485ddc09d", "models")]
    x = cases.input_batch(model.input_shape) * 50 + 120
    scale = np.float32(1 / np.sqrt([0.229, 0.224, 0.225]))
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               source.predict(x * scale, verbose=0), rtol=1e-4, atol=1e-5)
