"""A missing optional extra fails with one line naming the pip install."""

import sys

import pytest

from glassnet import keras
from glassnet.keras import layers


def small_model():
    return keras.Sequential([keras.Input((3,)), layers.Dense(2)])


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError) as info:
        small_model().export(tmp_path / "m.onnx")
    assert str(info.value) == "ONNX export needs the onnx package: pip install 'glassnet[onnx]'"
    assert not (tmp_path / "m.onnx").exists()


def test_missing_h5py_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"^saving weights as \.weights\.h5 needs h5py: "
                                          r"pip install 'glassnet\[h5\]'$"):
        small_model().save_weights(tmp_path / "m.weights.h5")
    assert not (tmp_path / "m.weights.h5").exists()
