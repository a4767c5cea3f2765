import hashlib
import io
import json
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from glassnet import keras
from glassnet.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    imdb,
    reuters,
)

REF = json.loads((Path(__file__).parent / "fixtures" / "keras_reference.json").read_text())
RNG = np.random.default_rng(0)


def _serve(monkeypatch, module, files, base, name, body, attr="ORIGIN", hash_attr="SHA256"):
    files[name] = body
    monkeypatch.setattr(module, attr, base + ("" if attr == "BASE" else name))
    monkeypatch.setattr(module, hash_attr, hashlib.sha256(body).hexdigest())


def _tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def _cifar_batch(n, label_key, labels):
    # CIFAR's batches: a pickled dict with bytes keys (written by Python 2's cPickle)
    data = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)
    return data, pickle.dumps({b"batch_label": b"x", b"data": data, label_key: labels},
                              protocol=2)


def test_cifar10_from_a_small_archive_in_keras_layout(home, server, monkeypatch):
    base, files = server
    members, first = {}, None
    for i, n in ((1, 4), (2, 3)):
        data, body = _cifar_batch(n, b"labels", list(range(n)))
        first = data if first is None else first
        members[f"cifar-10-batches-py/data_batch_{i}"] = body
    test_data, members["cifar-10-batches-py/test_batch"] = _cifar_batch(2, b"labels", [9, 8])
    _serve(monkeypatch, cifar10, files, base, "cifar-10-python.tar.gz", _tar_gz(members))
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    assert x_train.shape == (7, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (7, 1) and y_train.dtype == np.uint8
    assert y_train[:, 0].tolist() == [0, 1, 2, 3, 0, 1, 2] and y_test.dtype == np.uint8
    # Keras: each row is 3 planes of 32x32, channels last
    np.testing.assert_array_equal(x_train[0], first[0].reshape(3, 32, 32).transpose(1, 2, 0))
    np.testing.assert_array_equal(x_test[1, :, :, 2], test_data[1, 2048:].reshape(32, 32))
    folder = home / "cifar-10-batches-py-target"
    assert (folder / "cifar-10-batches-py" / "data_batch_2").is_file()
    assert (home / "cifar-10-batches-py-target_archive").is_file()
    files.clear()  # later loads read the extracted folder
    assert keras.datasets.cifar10.load_data()[1][0].shape == (2, 32, 32, 3)


def test_cifar100_fine_and_coarse_labels(home, server, monkeypatch):
    base, files = server
    members = {}
    for part, n in (("train", 5), ("test", 2)):
        body = pickle.dumps({b"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8),
                             b"fine_labels": list(range(n)),
                             b"coarse_labels": [7] * n}, protocol=2)
        members[f"cifar-100-python/{part}"] = body
    _serve(monkeypatch, cifar100, files, base, "cifar-100-python.tar.gz", _tar_gz(members))
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar100.load_data()
    assert x_train.shape == (5, 32, 32, 3) and y_train.shape == (5, 1)
    assert y_train.dtype == np.int64 and y_train[:, 0].tolist() == [0, 1, 2, 3, 4]
    coarse = keras.datasets.cifar100.load_data(label_mode="coarse")
    assert coarse[1][1].tolist() == [[7], [7]]
    with pytest.raises(ValueError, match=r'`label_mode` must be one of `"fine"`, `"coarse"`. '
                                         r"Received: label_mode=medium"):
        keras.datasets.cifar100.load_data(label_mode="medium")


def test_cifar_offline_error_names_the_archive_and_the_folder(home, server, monkeypatch):
    base, _ = server
    monkeypatch.setattr(cifar10, "ORIGIN", base + "missing.tar.gz")
    target = home / "cifar-10-batches-py-target_archive"
    with pytest.raises(OSError, match=rf"could not be downloaded from {base}missing.tar.gz .*"
                                      rf"put it at {target} \(or its extracted contents in "
                                      rf"{home / 'cifar-10-batches-py-target'}\)"):
        cifar10.load_data()


def _object_npz(**arrays):
    out = {}
    for name, value in arrays.items():
        if name.startswith("x"):
            out[name] = np.empty(len(value), dtype=object)
            out[name][:] = value
        else:
            out[name] = np.asarray(value)
    buffer = io.BytesIO()
    np.savez(buffer, **out)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["imdb", "reuters"])
def test_sequence_datasets_match_keras(home, server, monkeypatch, name):
    base, files = server
    module = {"imdb": imdb, "reuters": reuters}[name]
    _serve(monkeypatch, module, files, base, f"{name}.npz",
           _object_npz(**REF[f"{name}_input"]), attr="BASE")
    loader = getattr(keras.datasets, name).load_data
    for case in REF[name]:
        (x_train, y_train), (x_test, y_test) = loader(**case["kwargs"])
        assert x_train.dtype == object and y_train.dtype == np.int64
        assert [list(v) for v in x_train] == case["x_train"], case["kwargs"]
        assert [list(v) for v in x_test] == case["x_test"], case["kwargs"]
        assert y_train.tolist() == case["y_train"] and y_test.tolist() == case["y_test"]


def test_imdb_maxlen_that_keeps_nothing_and_word_index(home, server, monkeypatch):
    base, files = server
    _serve(monkeypatch, imdb, files, base, "imdb.npz", _object_npz(**REF["imdb_input"]),
           attr="BASE")
    with pytest.raises(ValueError, match="no sequence was kept. Increase maxlen"):
        imdb.load_data(maxlen=1)
    files["imdb_word_index.json"] = json.dumps({"the": 1, "and": 2}).encode()
    monkeypatch.setattr(imdb, "WORD_INDEX_MD5", hashlib.md5(
        files["imdb_word_index.json"]).hexdigest())
    assert keras.datasets.imdb.get_word_index() == {"the": 1, "and": 2}
    assert keras.datasets.reuters.get_label_names()[:3] == ("cocoa", "grain", "veg-oil")
    assert len(reuters.get_label_names()) == 46


@pytest.mark.parametrize("module", [boston_housing, california_housing])
def test_housing_shuffles_and_splits_as_keras(home, server, monkeypatch, module):
    base, files = server
    buffer = io.BytesIO()
    np.savez(buffer, x=np.arange(50, dtype=np.float64)[:, None] * np.ones((1, 3)),
             y=np.arange(50, dtype=np.float64))
    _serve(monkeypatch, module, files, base, "housing.npz", buffer.getvalue())
    for case in REF["housing"]:
        (x_train, y_train), (x_test, y_test) = module.load_data(path="housing.npz",
                                                                **case["kwargs"])
        assert y_train.astype(int).tolist() == case["train"]
        assert y_test.astype(int).tolist() == case["test"]
        assert x_train.shape == (len(case["train"]), 3) and x_train.dtype == np.float64
    with pytest.raises(ValueError, match=r"Invalid `test_split` argument: 1. It must be "
                                         r"between 0 and 1"):
        module.load_data(path="housing.npz", test_split=1)


def test_california_small_version(home, server, monkeypatch):
    base, files = server
    buffer = io.BytesIO()
    np.savez(buffer, x=np.ones((700, 8), np.float32), y=np.arange(700, dtype=np.float32))
    _serve(monkeypatch, california_housing, files, base, "california_housing.npz",
           buffer.getvalue())
    (x_train, y_train), (x_test, _) = keras.datasets.california_housing.load_data("small")
    assert x_train.shape == (480, 8) and x_test.shape == (120, 8) and y_train.max() < 600
    with pytest.raises(ValueError, match="Argument `version` must be one of 'small', 'large'"):
        california_housing.load_data("medium")


def test_keras_pinned_origins():
    assert cifar10.ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert imdb.BASE + "imdb.npz" == \
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
    for module in (cifar10, cifar100, imdb, reuters, boston_housing, california_housing):
        assert len(module.SHA256) == 64
