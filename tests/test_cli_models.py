"""The commands on spec files and saved models: train, evaluate, predict, export, summary,
plot; what they print and write, and their one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from glassnet import cli, keras

SPEC = """\
seed: 0
data: {dataset: digits, scale: 255}
model:
  - Flatten: {input_shape: [8, 8]}
  - Dense: {units: {Int: [16, 64, 16]}, activation: relu}
  - Dense: {units: 10, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
fit: {epochs: 8, batch_size: 32, verbose: 0}
save: digits.keras
"""


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A compiled model saved as .keras, and 40 labelled samples in .npz, .npy, .json, .csv."""
    root = tmp_path_factory.mktemp("cli")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=20, verbose=0)
    model.save(root / "m.keras")
    np.savez(root / "data.npz", x=x, y=y)
    np.save(root / "x.npy", x)
    (root / "x.json").write_text(json.dumps(x[:3].tolist()))
    np.savetxt(root / "x.csv", x[:3], delimiter=",", header="a,b,c,d,e,f", comments="")
    return root, model, x, y


def run(*argv):
    return cli.main([str(a) for a in argv])


def test_evaluate_prints_the_compiled_metrics(saved, capsys):
    root, model, x, y = saved
    assert run("evaluate", root / "m.keras", root / "data.npz", "--json") == 0
    printed = json.loads(capsys.readouterr().out)
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    assert printed == pytest.approx({k: float(v) for k, v in expected.items()}, rel=1e-6)


@pytest.mark.parametrize("name", ["x.npy", "x.json", "x.csv"])
def test_predict_reads_each_format_and_prints_one_line_per_sample(saved, capsys, name):
    root, model, x, _ = saved
    assert run("predict", root / "m.keras", root / name) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    n = len(rows)
    np.testing.assert_allclose(rows, model.predict(x[:n], verbose=0), rtol=1e-5, atol=1e-6)


def test_predict_writes_classes(saved, tmp_path, capsys):
    root, model, x, _ = saved
    out = tmp_path / "labels.csv"
    assert run("predict", root / "m.keras", root / "data.npz", "--classes", "-o", out) == 0
    assert capsys.readouterr().out == f"wrote 40 predictions to {out}\n"
    labels = np.loadtxt(out, dtype=np.int64)
    assert np.array_equal(labels, model.predict(x, verbose=0).argmax(1))


def test_export_summary_and_plot(saved, tmp_path, capsys):
    pytest.importorskip("onnx")
    root, _, _, _ = saved
    assert run("export", root / "m.keras", "--onnx", "-o", tmp_path / "m.onnx") == 0
    assert (tmp_path / "m.onnx").stat().st_size > 0
    assert run("summary", root / "m.keras") == 0
    assert "Total params: 74" in capsys.readouterr().out
    assert run("plot", root / "m.keras", "--to-file", tmp_path / "m.mmd") == 0
    assert (tmp_path / "m.mmd").read_text().startswith("flowchart TB")


@pytest.mark.parametrize("argv, words", [
    (["predict", "missing.keras", "x.npy"], "glassnet predict: no model file at missing.keras"),
    (["predict", "m.keras", "missing.npy"], "no input file at missing.npy"),
    (["predict", "m.keras", "bad.json"], "cannot read bad.json"),
    (["predict", "m.keras", "wide.npy"], "the model expects samples of shape (6,), the input "
                                         "holds samples of shape (7,)"),
    (["predict", "m.keras", "x.npy", "-o", "out.txt"], "the output must be .npy, .csv or .json"),
    (["evaluate", "m.keras", "x.npy"], "evaluate needs labels"),
    (["export", "m.keras"], "choose the format to export to: --onnx"),
    (["summary", "x.npy"], "cannot load x.npy"),
])
def test_errors_are_one_line_naming_the_problem(saved, capsys, monkeypatch, argv, words):
    root, _, _, _ = saved
    monkeypatch.chdir(root)
    (root / "bad.json").write_text('{"not": "numbers"}')
    np.save(root / "wide.npy", np.ones((2, 7), "float32"))
    assert run(*argv) == 1
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


@pytest.mark.slow
def test_train_from_a_spec_then_evaluate_in_fresh_processes(tmp_path):
    pytest.importorskip("yaml")
    pytest.importorskip("sklearn")  # the digits dataset
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "best.json").write_text('{"dense_1_units": 64}')
    glassnet = [sys.executable, "-m", "glassnet"]
    done = subprocess.run([*glassnet, "train", "spec.yaml", "--hyperparameters", "best.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    test_line, wrote = done.stdout.strip().splitlines()[-2:]
    assert test_line.startswith("Test loss: ") and wrote == "wrote digits.keras"
    accuracy = float(test_line.split("accuracy: ")[1])
    assert accuracy > 0.85
    model = keras.models.load_model(tmp_path / "digits.keras")
    assert model.layers[1].units == 64  # the --hyperparameters value, not the default 16
    done = subprocess.run([*glassnet, "evaluate", "digits.keras", "digits", "--scale", "255",
                           "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["accuracy"] == pytest.approx(accuracy, abs=1e-4)
