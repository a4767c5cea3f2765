"""The transfer-learning example runs end to end on real data (a quick setting)."""

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from glassnet.datasets import fashion_mnist

ROOT = Path(__file__).resolve().parents[1]
MNIST_SAMPLE = ROOT.parent / "shared" / "datasets" / "mnist10k.npz"


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_transfer_learning_from_mnist_to_fashion_mnist(tmp_path, monkeypatch):
    if not MNIST_SAMPLE.exists() or fashion_mnist.find_files() is None:
        pytest.skip("needs ../shared/datasets/mnist10k.npz and dataset-fashion-mnist")
    with np.load(MNIST_SAMPLE, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=x[:8000], y_train=y[:8000],
             x_test=x[8000:], y_test=y[8000:])
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    example = load_example("transfer_learning")
    result = example.main(["--limit", "8000", "--epochs", "1", "--out", str(tmp_path)])
    print(result)
    assert (tmp_path / "mnist_cnn.keras").exists()
    assert result["mnist"] > 0.85
    assert result["frozen"] > 0.7  # digit features carry over to clothes (chance: 0.1)
    assert result["fine_tuned"] > result["frozen"] - 0.01


def test_visualize_cnn_writes_every_picture(tmp_path):
    pytest.importorskip("matplotlib")
    if not MNIST_SAMPLE.exists():
        pytest.skip("needs ../shared/datasets/mnist10k.npz")
    example = load_example("visualize_cnn")
    result = example.main(["--data", str(MNIST_SAMPLE), "--limit", "1500", "--epochs", "1",
                           "--out", str(tmp_path)])
    drawn = ["model.png"] if shutil.which("dot") else []
    assert result["pictures"] == sorted(["activations_conv1.png", "attribution.png",
                                         "confusion.png", "filters_conv1.png", "history.png",
                                         "model.mmd", "weights.png", *drawn])
    assert result["accuracy"] > 0.5  # one epoch on 1,200 digits (chance: 0.1)
    for name in result["pictures"]:
        if name.endswith(".png"):
            assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_tune_fashion_mnist_searches_then_cross_validates(tmp_path):
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    if fashion_mnist.find_files() is None:
        pytest.skip("needs dataset-fashion-mnist")
    example = load_example("tune_fashion_mnist")
    result = example.main(["--train-size", "1500", "--max-trials", "3", "--folds", "2",
                           "--directory", str(tmp_path)])
    print(result)
    assert result["trials"] == 3 and len(result["scores"]) == 2
    assert result["cv_mean"]["accuracy"] > 0.5  # 3 epochs on 750 images (chance: 0.1)
    assert (tmp_path / "fashion_cnn_hyperband" / "study.db").exists()


@pytest.mark.slow
def test_sklearn_grid_search_example(tmp_path):
    pytest.importorskip("sklearn")
    result = load_example("sklearn_grid_search").main(["--epochs", "10", "--jobs", "1"])
    assert result["test"] > 0.9 and min(result["cross_val"]) > 0.85


@pytest.mark.slow
def test_compress_fashion_mnist_prunes_quantizes_and_distills(tmp_path):
    if fashion_mnist.find_files() is None:
        pytest.skip("needs dataset-fashion-mnist")
    result = load_example("compress_fashion_mnist").main(
        ["--train-size", "4000", "--epochs", "1", "--out", str(tmp_path)])
    assert result["dense"] > 0.6 and result["pruned_80"] > result["dense"] - 0.05
    assert result["file_ratio"] > 2.5  # 80% zeros: the sparse file is a fraction of .keras
    assert result["structured_speedup"] > 1.2
    assert abs(result["int8"] - result["dense"]) < 0.02 and result["int8_size_ratio"] > 3.5
    if "int8_onnxruntime" in result:
        assert abs(result["int8_onnxruntime"] - result["int8"]) < 0.005
    assert result["student_distilled"] > 0.5 and result["student_scratch"] > 0.5
