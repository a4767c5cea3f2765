"""``glassnet serve`` in a fresh process: ready once the model is loaded, answers curl-style
requests, and exits cleanly on SIGTERM."""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from serving import free_port, http_status

pytest.importorskip("uvicorn")


_get = http_status


def test_serve_a_model_file_then_stop_it(repository, x, tmp_path):
    root, models = repository
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "glassnet", "serve",
                             str(root / "mlp" / "2" / "model.keras"), "--name", "fashion",
                             "--port", str(port), "--workers", "2", "--blas-threads", "1"],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while _get(f"{base}/v2/health/ready") != 200:
            assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
            time.sleep(0.1)
        assert _get(f"{base}/v2/models/fashion/ready") == 200
        request = urllib.request.Request(
            f"{base}/v1/models/fashion:predict", method="POST",
            data=json.dumps({"instances": x.tolist()}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            np.testing.assert_allclose(json.loads(response.read())["predictions"],
                                       models[2].predict(x, verbose=0), rtol=1e-6)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    # uvicorn shuts down (the requests in flight finish), then re-raises the signal, so the
    # exit status is the signal's, as for any program stopped by SIGTERM
    assert proc.returncode in (0, -signal.SIGTERM), out
    assert "Shutting down" in out and "Finished server process" in out, out


def test_serve_names_a_missing_path(tmp_path):
    done = subprocess.run([sys.executable, "-m", "glassnet", "serve", str(tmp_path / "no")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "glassnet serve: no model file or repository folder at" in done.stderr


@pytest.mark.parametrize("option", ["--workers", "--blas-threads"])
def test_a_bad_thread_count_is_a_one_line_usage_error(repository, option):
    done = subprocess.run([sys.executable, "-m", "glassnet", "serve",
                           str(repository[0] / "mlp" / "2" / "model.keras"), option, "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and option in done.stderr.splitlines()[-1]


def _post(url, body):
    request = urllib.request.Request(url, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_the_readme_drift_commands_flag_brightened_images_only(tmp_path):
    """As the README has it: export with a reference of raw pixels, serve, ask /drift."""
    pytest.importorskip("scipy")
    from glassnet import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "fashion.keras")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x_train.npy", rng.integers(0, 200, (3000, 28, 28), dtype=np.uint8))
    glassnet = [sys.executable, "-m", "glassnet"]
    subprocess.run([*glassnet, "export", "fashion.keras", "--reference", "x_train.npy",
                    "--scale", "255"], cwd=tmp_path, check=True, timeout=120)
    assert (tmp_path / "fashion.reference.npz").is_file()
    reports = {}
    for name, offset in (("unshifted", 0), ("brightened", 50)):
        port = free_port()
        proc = subprocess.Popen([*glassnet, "serve", "fashion.keras", "--port", str(port)],
                                cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 60
            while _get(f"{base}/v2/health/ready") != 200:
                assert proc.poll() is None and time.time() < deadline
                time.sleep(0.1)
            for _ in range(10):
                images = (rng.integers(0, 200, (30, 28, 28)) + offset) / 255.0
                _post(f"{base}/v1/models/fashion:predict", {"instances": images.tolist()})
            with urllib.request.urlopen(f"{base}/v2/models/fashion/drift", timeout=60) as r:
                reports[name] = json.loads(r.read())
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    assert reports["unshifted"]["samples"] == reports["brightened"]["samples"] == 300
    assert reports["unshifted"]["drift"] is False, reports["unshifted"]
    assert reports["brightened"]["drift"] is True, reports["brightened"]
