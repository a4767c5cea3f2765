"""The merge layers export to ONNX (Sub, Mul, Mean, Max, Min) and give predict's numbers;
merges of masked sequences carry Keras 3's OR of the masks."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def _run(model, path, xs):
    model.export(str(path), format="onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(session.get_inputs(), xs)}
    return session.run(None, feeds)


def test_every_merge_exports_like_predict(tmp_path):
    a, b, c = keras.Input((4,)), keras.Input((4,)), keras.Input((4,))
    outs = [layers.subtract([a, b]), layers.multiply([a, b, c]), layers.average([a, b, c]),
            layers.maximum([a, b, c]), layers.minimum([a, b]), layers.add([a, b, c])]
    model = keras.Model([a, b, c], layers.concatenate(outs))
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(3, 4)).astype("float32") for _ in range(3)]
    (got,) = _run(model, tmp_path / "merges.onnx", xs)
    np.testing.assert_allclose(got, model.predict(xs, verbose=0), rtol=1e-6, atol=1e-6)


def test_masked_sequences_merge_with_the_or_of_their_masks(tmp_path):
    ids_a, ids_b = keras.Input((3,), dtype="int64"), keras.Input((3,), dtype="int64")
    ea = layers.Embedding(10, 2, mask_zero=True)(ids_a)
    eb = layers.Embedding(10, 2, mask_zero=True)(ids_b)
    pooled = layers.GlobalAveragePooling1D()(layers.subtract([ea, eb]))
    model = keras.Model([ids_a, ids_b], pooled)
    xs = [np.array([[1, 0, 3], [0, 0, 2]]), np.array([[1, 2, 0], [0, 0, 0]])]
    (got,) = _run(model, tmp_path / "masked.onnx", xs)
    np.testing.assert_allclose(got, model.predict(xs, verbose=0), rtol=1e-6, atol=1e-6)


def test_masked_product_is_named_as_not_exportable(tmp_path):
    ids = keras.Input((3,), dtype="int64")
    e = layers.Embedding(10, 2, mask_zero=True)(ids)
    model = keras.Model(ids, layers.multiply([e, e], name="product"))
    with pytest.raises(ValueError, match="product"):
        model.export(str(tmp_path / "m.onnx"), format="onnx")
