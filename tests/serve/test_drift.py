"""Data drift: a reference stored beside a model file, a sliding window of the inputs and
outputs a server sees, KS tests per feature (or per image summary) with Bonferroni's
correction, a chi-square test of the predicted classes; at /v2/models/{name}/drift, on
/metrics, and written by ``glassnet export --reference``."""

import os
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")
pytest.importorskip("prometheus_client.parser")

from serving import metric_samples  # noqa: E402

from glassnet import keras  # noqa: E402
from glassnet.serve import ModelRepository, create_app  # noqa: E402
from glassnet.serve.drift import (  # noqa: E402
    DriftMonitor,
    Reference,
    ReferenceFileError,
    ks_2samp_features,
    load_reference,
    reference_path,
    save_reference,
)


def _normal(seed, n, k=8):
    return np.random.default_rng(seed).normal(size=(n, k)).astype("float32")


def test_ks_matches_scipy_on_every_column_ties_included():
    rng = np.random.default_rng(0)
    a = np.round(rng.normal(size=(137, 5)), 1)
    b = np.round(rng.normal(size=(59, 5)) + [0, 0.3, 0, 1, 0], 1)
    b[:, 4] = 0.0  # one constant column
    statistic, p = ks_2samp_features(a, b)
    for j in range(5):
        expected = stats.ks_2samp(a[:, j], b[:, j], method="asymp")
        assert statistic[j] == pytest.approx(expected.statistic, abs=1e-12)
        assert p[j] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-15)


def test_tabular_same_distribution_is_not_flagged():
    monitor = DriftMonitor(_normal(0, 1000), window=500)
    monitor.update(_normal(1, 500))
    report = monitor.report()
    assert report["status"] == "ok" and report["samples"] == 500
    assert report["drift"] is False and report["inputs"]["drifting"] == []
    assert report["inputs"]["mode"] == "features" and report["inputs"]["features"] == 8


def test_many_features_are_corrected_for_multiple_testing():
    monitor = DriftMonitor(_normal(0, 1000, 784), window=1000)
    monitor.update(_normal(1, 1000, 784))
    report = monitor.report()
    raw = min(f["p_value"] for f in report["inputs"]["top"])
    assert raw < 0.01  # one of 784 uncorrected tests would cry wolf
    assert report["drift"] is False and report["inputs"]["drifting_fraction"] == 0
    assert len(report["inputs"]["top"]) == 20


@pytest.mark.parametrize("change", ["shift", "scale"])
def test_tabular_shifted_or_scaled_features_are_flagged_and_named(change):
    x = _normal(1, 500)
    if change == "shift":
        x[:, [1, 5]] += 0.5  # half a standard deviation
    else:
        x[:, 3] *= 1.6
    monitor = DriftMonitor(_normal(0, 1000), window=500)
    monitor.update(x)
    report = monitor.report()
    assert report["drift"] is True
    assert report["inputs"]["drifting"] == (["1", "5"] if change == "shift" else ["3"])
    top = report["inputs"]["top"][0]
    assert top["drift"] and top["p_value_corrected"] < 0.01
    assert top["feature"] in report["inputs"]["drifting"]


def test_the_window_slides_and_reports_not_enough_data_first():
    monitor = DriftMonitor(_normal(0, 1000), window=300)
    monitor.update(_normal(2, 50) + 1.0)
    report = monitor.report()
    assert report["status"] == "not enough data" and report["drift"] is None
    assert report["samples"] == 50 and report["min_samples"] == 100
    monitor.update(_normal(3, 250) + 1.0)
    assert monitor.report()["drift"] is True
    for seed in range(4, 7):  # 300 unshifted samples push the shifted ones out
        monitor.update(_normal(seed, 100))
    report = monitor.report()
    assert report["samples"] == 300 and report["seen"] == 600
    assert report["drift"] is False


def test_updates_from_threads_are_all_counted():
    monitor = DriftMonitor(_normal(0, 200), window=1000)

    def feed(seed):
        for i in range(50):
            monitor.update(_normal(seed * 100 + i, 4))

    threads = [threading.Thread(target=feed, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert monitor.report()["samples"] == 800


def _images(seed, n, brightness=0.0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 28, 28, 1)) ** 3  # mostly dark, as digits are
    return np.clip(x + brightness, 0, 1).astype("float32")


def test_images_are_compared_by_summaries_and_a_brightness_shift_is_flagged():
    monitor = DriftMonitor(_images(0, 1000), window=400)
    monitor.update(_images(1, 400))
    report = monitor.report()
    assert report["inputs"]["mode"] == "summary"
    assert report["inputs"]["features"] == 3 and report["drift"] is False
    brighter = DriftMonitor(_images(0, 1000), window=400)
    brighter.update(_images(1, 400, brightness=0.05))
    report = brighter.report()
    assert report["drift"] is True
    assert "mean" in report["inputs"]["drifting"]


def _probabilities(seed, n, boost=None):
    logits = np.random.default_rng(seed).normal(size=(n, 4))
    if boost is not None:
        logits[:, boost] += 1.5
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True)).astype("float32")


def test_a_shifted_class_balance_is_flagged_as_prediction_drift():
    x_ref = _normal(0, 1000)
    same = DriftMonitor(x_ref, _probabilities(0, 1000), window=500)
    same.update(_normal(1, 500), _probabilities(1, 500))
    report = same.report()
    assert report["drift"] is False
    predictions = report["predictions"]
    assert predictions["test"] == "chi-square" and predictions["drift"] is False
    assert len(predictions["mean_probability"]["window"]) == 4
    shifted = DriftMonitor(x_ref, _probabilities(0, 1000), window=500)
    shifted.update(_normal(1, 500), _probabilities(1, 500, boost=2))
    report = shifted.report()
    assert report["inputs"]["drift"] is False  # the inputs did not move
    assert report["predictions"]["drift"] is True and report["drift"] is True
    classes = report["predictions"]["classes"]
    assert classes["window"][2] > classes["reference"][2] + 0.2


def test_a_single_output_is_compared_with_ks():
    y_ref = np.random.default_rng(0).normal(size=1000)
    monitor = DriftMonitor(_normal(0, 1000), y_ref, window=500)
    monitor.update(_normal(1, 500), np.random.default_rng(1).normal(size=(500, 1)) + 0.5)
    predictions = monitor.report()["predictions"]
    assert predictions["test"] == "ks" and predictions["drift"] is True


def test_bad_arguments_are_refused_with_their_name():
    with pytest.raises(ValueError, match="window: expected a positive integer"):
        DriftMonitor(_normal(0, 10), window=0)
    with pytest.raises(ValueError, match="reference_inputs: expected numbers"):
        DriftMonitor(np.array([["a"]]))
    with pytest.raises(ValueError, match="reference_predictions: expected"):
        DriftMonitor(_normal(0, 10), np.zeros((10, 2, 2)))


# Through the server.


_samples = metric_samples


def _value(samples, name, **labels):
    found = [v for l, v in samples.get(name, []) if all(l.get(k) == w for k, w in
                                                        labels.items())]
    assert found, (name, labels)
    return found[0]


@pytest.fixture(scope="module")
def drift_repository(tmp_path_factory):
    """A repository: mlp/1 with a reference of 1000 training inputs (its predictions
    computed from the model file), plain/1 without one."""
    root = tmp_path_factory.mktemp("drift")
    keras.utils.set_random_seed(0)
    for name in ("mlp", "plain"):
        model = keras.Sequential([keras.Input((6,), name="x"),
                                  keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax", name="probs")])
        (root / name / "1").mkdir(parents=True)
        model.save(root / name / "1" / "model.keras")
    written = save_reference(root / "mlp" / "1" / "model.keras", _normal(0, 3000, 6))
    assert written == str(root / "mlp" / "1" / "model.reference.npz")
    return root


def _post(client, x, tf_serving=False):
    if tf_serving:
        r = client.post("/v1/models/mlp:predict", json={"instances": x.tolist()})
    else:
        r = client.post("/v2/models/mlp/infer", json={"inputs": [
            {"name": "x", "shape": list(x.shape), "datatype": "FP32",
             "data": x.reshape(-1).tolist()}]})
    assert r.status_code == 200, r.text


def test_the_server_reports_no_drift_for_unshifted_data(drift_repository):
    from fastapi.testclient import TestClient

    repository = ModelRepository(drift_repository)
    reference = repository.get("mlp").reference
    assert reference.inputs.shape == (1000, 6) and reference.predictions.shape == (1000, 3)
    assert repository.get("plain").reference is None
    with TestClient(create_app(repository, drift_window=400)) as client:
        r = client.get("/v2/models/mlp/drift")
        assert r.status_code == 200 and r.json()["status"] == "not enough data"
        for seed in range(1, 5):
            _post(client, _normal(seed, 50, 6))
        for seed in range(5, 9):
            _post(client, _normal(seed, 50, 6), tf_serving=True)
        r = client.get("/v2/models/mlp/versions/1/drift")
        report = r.json()
        assert r.status_code == 200 and report["model_name"] == "mlp"
        assert report["samples"] == 400 and report["drift"] is False
        assert report["predictions"]["drift"] is False
        s = _samples(client)
        assert _value(s, "glassnet_drift_detected", model="mlp", version="1") == 0
        assert _value(s, "glassnet_drift_window_samples", model="mlp", version="1") == 400
        assert 0 < _value(s, "glassnet_drift_statistic", model="mlp", feature="max") < 0.2
        assert _value(s, "glassnet_drift_p_value", model="mlp", feature="max") > 0.01
        for feature in map(str, range(6)):  # few features: each is named
            assert _value(s, "glassnet_drift_statistic", model="mlp", feature=feature) >= 0
        assert _value(s, "glassnet_drift_features_drifting_ratio", model="mlp") == 0
        assert _value(s, "glassnet_prediction_drift_p_value", model="mlp") > 0.01


def test_the_server_flags_shifted_data(drift_repository):
    from fastapi.testclient import TestClient

    app = create_app(drift_repository, drift_window=400, max_batch_size=8)
    with TestClient(app) as client:
        for seed in range(1, 9):
            x = _normal(seed, 50, 6)
            x[:, 2] += 1.0
            _post(client, x)
        report = client.get("/v2/models/mlp/drift").json()
        assert report["drift"] is True and report["inputs"]["drifting"] == ["2"]
        s = _samples(client)
        assert _value(s, "glassnet_drift_detected", model="mlp", version="1") == 1
        assert _value(s, "glassnet_drift_p_value", model="mlp", feature="2") < 0.01
        assert _value(s, "glassnet_drift_features_drifting_ratio", model="mlp") == \
            pytest.approx(1 / 6)


def test_drift_of_a_model_without_reference_or_unknown_is_a_404(drift_repository):
    from fastapi.testclient import TestClient

    with TestClient(create_app(drift_repository)) as client:
        r = client.get("/v2/models/plain/drift")
        assert r.status_code == 404
        assert "model 'plain' version 1 has no drift reference" in r.json()["error"]
        assert "--reference" in r.json()["error"]
        r = client.get("/v2/models/nope/drift")
        assert r.status_code == 404 and "unknown model 'nope'" in r.json()["error"]
        r = client.get("/v2/models/mlp/versions/7/drift")
        assert r.status_code == 404 and "no version '7'" in r.json()["error"]
        assert "glassnet_drift_detected" not in _samples(client)


def test_many_features_give_aggregate_series_only():
    from fastapi.testclient import TestClient

    from glassnet.serve import FunctionModel

    model = FunctionModel("wide", 1, lambda x: x[:, :2], [("x", [-1, 784], "FP32")],
                          [("y", [-1, 2], "FP32")])
    model.reference = Reference("memory", _normal(0, 500, 784), None)
    repository = ModelRepository()
    repository.add(model)
    with TestClient(create_app(repository, drift_window=200)) as client:
        x = _normal(1, 200, 784)
        r = client.post("/v2/models/wide/infer", json={"inputs": [
            {"name": "x", "shape": [200, 784], "datatype": "FP32",
             "data": x.reshape(-1).tolist()}]})
        assert r.status_code == 200
        s = _samples(client)
        features = {l["feature"] for l, _ in s["glassnet_drift_statistic"]}
        assert features == {"max"}
        assert _value(s, "glassnet_drift_detected", model="wide") == 0


# Reference files that must not be used.


@pytest.fixture()
def model_file(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "m.keras")
    return tmp_path / "m.keras"


class _Marker:
    """Writes a file when unpickled: the proof that nothing was."""

    path = None

    def __reduce__(self):
        return (open, (self.path, "w"))


def _declared_huge(path):
    with zipfile.ZipFile(path, "w") as archive, archive.open("x.npy", "w") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False,
                                                 "shape": (10**9, 6)})
        f.write(b"\0" * 24)


@pytest.mark.parametrize("kind, words", [
    ("shape", "x: expected shape [-1, 6], received [50, 7]"),
    ("predictions", "predictions: expected shape [-1, 3], received [50, 4]"),
    ("pickle", "holds object values (Python objects are never unpickled)"),
    ("huge", "x.npy declares shape [1000000000, 6]"),
    ("members", "expected the arrays x and (optionally) predictions"),
    ("not_zip", "not a readable .npz archive"),
])
def test_a_bad_reference_stops_the_load_with_its_name(model_file, tmp_path, kind, words):
    ref = reference_path(model_file)
    marker = tmp_path / "unpickled"
    if kind == "shape":
        np.savez(ref, x=np.zeros((50, 7), "float32"))
    elif kind == "predictions":
        np.savez(ref, x=np.zeros((50, 6), "float32"), predictions=np.zeros((50, 4)))
    elif kind == "pickle":
        _Marker.path = str(marker)
        objects = np.empty((2, 6), dtype=object)
        objects[:] = _Marker()
        np.savez(ref, x=objects)
        with zipfile.ZipFile(ref) as archive:  # the payload is there, pickled
            assert str(marker).encode() in archive.read("x.npy")
    elif kind == "huge":
        _declared_huge(ref)
    elif kind == "members":
        np.savez(ref, x=np.zeros((5, 6), "float32"), extra=np.zeros(3))
    else:
        with open(ref, "wb") as f:
            f.write(b"not a zip")
    with pytest.raises(ReferenceFileError) as err:
        ModelRepository(model_file)
    assert ref in str(err.value) and words in str(err.value)
    assert not marker.exists()


def test_a_reference_round_trips_through_save_and_load(model_file):
    x = _normal(0, 50, 6)
    path = save_reference(model_file, x, max_samples=20, seed=3)
    reference = load_reference(path, [-1, 6], [-1, 3])
    model = keras.models.load_model(model_file)
    assert reference.inputs.shape == (20, 6) and reference.predictions.shape == (20, 3)
    rows = [int(np.flatnonzero((x == row).all(axis=1))[0]) for row in reference.inputs]
    assert rows == sorted(set(rows))  # distinct samples of x, in order
    np.testing.assert_allclose(reference.predictions, model.predict(x[rows], verbose=0),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"expects samples of shape \(6,\)"):
        save_reference(model_file, _normal(0, 10, 5))


# The command line.


def test_export_stores_a_reference_beside_the_model(model_file, tmp_path):
    data = tmp_path / "train.npz"
    np.savez(data, x=_normal(0, 300, 6) * 255, y=np.zeros(300))
    result = subprocess.run([sys.executable, "-m", "glassnet", "export", str(model_file),
                             "--reference", str(data), "--reference-samples", "120",
                             "--scale", "255"], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ref = tmp_path / "m.reference.npz"
    assert f"wrote {ref} (120 reference samples)" in result.stdout
    served = ModelRepository(model_file).get("m")
    assert served.reference.path == str(ref)
    assert served.reference.inputs.shape == (120, 6)
    assert np.abs(served.reference.inputs).max() < 10  # scaled
    assert served.reference.predictions.shape == (120, 3)


def test_export_reference_errors_are_one_line(model_file, tmp_path, capsys):
    from glassnet import cli

    np.save(tmp_path / "wide.npy", np.zeros((10, 7), "float32"))
    assert cli.main(["export", str(model_file), "--reference",
                     str(tmp_path / "wide.npy")]) == 1
    err = capsys.readouterr().err
    assert "export --reference: the model expects samples of shape (6,)" in err
    assert err.count("\n") == 1
    assert not os.path.exists(reference_path(model_file))
