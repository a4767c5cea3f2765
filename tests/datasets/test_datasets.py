import gzip
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

from glassnet.datasets import _fetch, digits, fashion_mnist, mnist

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "mnist10k.npz"


def _npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _small_mnist():
    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
            "y_train": np.arange(6, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
            "y_test": np.arange(2, dtype=np.uint8)}


def test_download_verifies_the_checksum_and_caches(home, server, monkeypatch):
    base, files = server
    arrays = _small_mnist()
    body = _npz_bytes(**arrays)
    files["mnist.npz"] = body
    monkeypatch.setattr(mnist, "ORIGIN", base + "mnist.npz")
    monkeypatch.setattr(mnist, "SHA256", hashlib.sha256(body).hexdigest())
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.dtype == np.uint8 and x_train.shape == (6, 28, 28)
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert (home / "mnist.npz").read_bytes() == body
    files.clear()  # a second load reads the cache, not the network
    assert mnist.load_data()[0][0].shape == (6, 28, 28)


def test_a_corrupted_download_is_refused_and_nothing_is_kept(home, server, monkeypatch):
    base, files = server
    good = _npz_bytes(**_small_mnist())
    files["mnist.npz"] = good[:-10] + b"0123456789"
    monkeypatch.setattr(mnist, "ORIGIN", base + "mnist.npz")
    monkeypatch.setattr(mnist, "SHA256", hashlib.sha256(good).hexdigest())
    with pytest.raises(ValueError, match=r"has SHA-256 [0-9a-f]{64}, expected "
                                         r"[0-9a-f]{64}: it is corrupted"):
        mnist.load_data()
    assert list(home.iterdir()) == []


def test_offline_error_names_the_file_and_the_folder(home, server, monkeypatch):
    base, _ = server
    monkeypatch.setattr(mnist, "ORIGIN", base + "missing/mnist.npz")
    with pytest.raises(OSError, match=rf"mnist.npz is not in {home} and could not be "
                                      rf"downloaded from .*put it at {home / 'mnist.npz'}"):
        mnist.load_data()


def test_a_file_a_person_put_in_the_cache_is_used_as_is(home):
    if not SHARED.exists():
        pytest.skip(f"the shared MNIST sample is not at {SHARED}")
    with np.load(SHARED, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    home.mkdir(parents=True)
    np.savez(home / "mnist.npz", x_train=x[:8000], y_train=y[:8000], x_test=x[8000:],
             y_test=y[8000:])
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8


def _idx(array):
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_from_the_cache_and_downloaded(home, server, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", home / "no-debian")
    rng = np.random.default_rng(1)
    parts = {"train-labels-idx1-ubyte.gz": np.arange(5) % 10,
             "train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 28, 28)),
             "t10k-labels-idx1-ubyte.gz": np.arange(3),
             "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28))}
    base, files = server
    hashes = {}
    for name, array in parts.items():
        files[name] = _idx(array)
        hashes[name] = hashlib.sha256(files[name]).hexdigest()
    monkeypatch.setattr(fashion_mnist, "BASE", base)
    monkeypatch.setattr(fashion_mnist, "FILES", hashes)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (5, 28, 28) and y_test.tolist() == [0, 1, 2]
    assert sorted(p.name for p in (home / "fashion-mnist").iterdir()) == sorted(parts)
    files.clear()
    assert fashion_mnist.load_data()[1][0].shape == (3, 28, 28)


def test_fashion_mnist_from_debian_is_the_full_dataset():
    if not all((fashion_mnist.DEBIAN_DIR / n).exists() for n in fashion_mnist.FILES):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and sorted(np.unique(y_train)) == list(range(10))


def test_truncated_idx_file_is_refused(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + np.array([10], ">u4").tobytes() +
                                   b"abc"))
    with pytest.raises(ValueError, match=r"header announces shape \(10,\) but the file has"):
        fashion_mnist.read_idx(path)


def test_digits_from_scikit_learn():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape[1:] == (8, 8) and len(x_train) + len(x_test) == 1797
    assert x_train.dtype == np.uint8 and x_train.max() == 255


def test_cache_dir_follows_glassnet_home(home):
    assert _fetch.cache_dir() == home
