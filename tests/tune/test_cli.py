"""``glassnet tune SPEC`` from a YAML, JSON or Python spec, in a fresh process, as users run
it: the search runs, resumes, and bad specs name what is wrong."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("optuna")
pytest.importorskip("sklearn")  # the digits dataset comes with scikit-learn

ROOT = Path(__file__).resolve().parents[2]

YAML_SPEC = textwrap.dedent("""
    tuner: GridSearch
    objective: val_accuracy
    seed: 0
    directory: runs
    project_name: digits
    data: {dataset: digits, scale: 255}
    model:
      - Flatten: {input_shape: [8, 8]}
      - Dense: {units: {Int: [8, 16, 8]}, activation: {Choice: [relu, tanh]}}
      - Dense: {units: 10, activation: softmax}
    compile:
      optimizer: {Adam: {learning_rate: {Fixed: 0.01}}}
      loss: sparse_categorical_crossentropy
      metrics: [accuracy]
    fit: {epochs: 2, batch_size: 64, validation_split: 0.25, verbose: 0}
""")


def glassnet(*args, cwd):
    return subprocess.run([sys.executable, "-m", "glassnet", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_a_yaml_spec_runs_its_grid_and_writes_the_best(tmp_path):
    (tmp_path / "search.yaml").write_text(YAML_SPEC)
    done = glassnet("tune", "search.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Results summary\nResults in runs/digits\nShowing 5 best trials" in done.stdout
    best = json.loads((tmp_path / "runs" / "digits" / "best_hyperparameters.json").read_text())
    assert set(best) == {"dense_1_units", "dense_1_activation", "learning_rate"}
    assert best["learning_rate"] == 0.01 and best["dense_1_units"] in (8, 16)
    assert done.stdout.count("Trial ") >= 4  # the 2 x 2 grid


def test_a_json_spec_resumes_and_overrides_apply(tmp_path):
    import yaml

    spec = yaml.safe_load(YAML_SPEC)
    spec.update(tuner="RandomSearch", max_trials=2)
    (tmp_path / "search.json").write_text(json.dumps(spec))
    assert glassnet("tune", "search.json", cwd=tmp_path).returncode == 0
    done = glassnet("tune", "search.json", "--max-trials", 3, "--summary", 10, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("summary\nHyperparameters:") == 3  # 2 kept, 1 more run
    done = glassnet("tune", "search.json", "--max-trials", 1, "--overwrite", cwd=tmp_path)
    assert done.stdout.count("summary\nHyperparameters:") == 1


def test_a_python_spec_defines_build_model_data_and_tuner(tmp_path):
    (tmp_path / "search.py").write_text(textwrap.dedent("""
        import numpy as np
        from glassnet import keras

        def build_model(hp):
            model = keras.Sequential([keras.Input((4,)),
                                      keras.layers.Dense(hp.Int("units", 2, 8), "relu"),
                                      keras.layers.Dense(1)])
            model.compile("adam", "mse")
            return model

        def data():
            rng = np.random.default_rng(0)
            x = rng.normal(size=(64, 4))
            return x, x.sum(1), (x[:16], x[:16].sum(1))

        TUNER = {"tuner": "BayesianOptimization", "max_trials": 3, "directory": "out",
                 "fit": {"epochs": 1, "verbose": 0}}
    """))
    done = glassnet("tune", "search.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert 'Objective(name="val_loss", direction="min")' in done.stdout
    assert (tmp_path / "out" / "untitled_project" / "best_hyperparameters.json").exists()


@pytest.mark.parametrize("spec, words", [
    ("tuner: Foo\n", "tuner: one of ['BayesianOptimization', 'GridSearch'"),
    ("wobble: 1\n", "unknown spec keys ['wobble']"),
    ("model: [Frobnicate]\ndata: digits\n", "model[0]: 'Frobnicate' is not a glassnet layer"),
    ("model: [Sequential]\ndata: digits\n", "model[0]: 'Sequential' is not a glassnet layer"),
    ("model: [Flatten]\ndata: nope\n", "data.dataset: one of"),
    ("model: [{Dense: {units: {Int: [1]}}}]\ndata: digits\n", "Int takes [min, max]"),
    ("- just a list\n", "a spec is a mapping"),
    ("model: [Flatten]\n", "data: name a dataset"),
])
def test_bad_specs_say_what_is_wrong(tmp_path, monkeypatch, spec, words):
    from glassnet import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(spec)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["tune", "bad.yaml"])
    assert str(exit_.value).startswith("glassnet tune: ") and words in str(exit_.value)


def test_yaml_tags_are_not_constructed(tmp_path):
    (tmp_path / "evil.yaml").write_text("tuner: !!python/object/apply:os.system ['echo hi']\n")
    done = glassnet("tune", "evil.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "hi\n" not in done.stdout
    assert "not a valid YAML spec: could not determine a constructor" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_python_example_spec_loads(tmp_path):
    from glassnet.tune import spec

    loaded = spec.load(ROOT / "examples" / "tune_fashion_mnist.py")
    assert loaded["tuner"] == "Hyperband" and callable(loaded["hypermodel"])
    assert callable(loaded["data_fn"])
