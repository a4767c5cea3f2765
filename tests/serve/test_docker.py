"""The Dockerfile at the repository root builds an image that serves a mounted model
repository, as a user who is not root, with a working HEALTHCHECK.

Runs only where a Docker daemon answers and ``GLASSNET_DOCKER_BASE`` names a base image
present locally (``python:3.11-slim``, or a Debian image with python3 and python3-venv);
``GLASSNET_DOCKER_NETWORK=host`` builds with the host's network."""

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from serving import free_port, http_status

ROOT = Path(__file__).resolve().parents[2]
BASE = os.environ.get("GLASSNET_DOCKER_BASE")
IMAGE = "glassnet-serve:test"


def _docker(*args, timeout=120, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          check=check)


def _enabled():
    if not BASE or shutil.which("docker") is None:
        return False
    try:
        return (_docker("info", check=False).returncode == 0
                and _docker("image", "inspect", BASE, check=False).returncode == 0)
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not _enabled(), reason="needs a Docker daemon and GLASSNET_DOCKER_BASE, a local base image")]


_status = http_status


@pytest.fixture(scope="module")
def image():
    network = os.environ.get("GLASSNET_DOCKER_NETWORK")
    args = ["build", "--build-arg", f"BASE={BASE}", "-t", IMAGE, str(ROOT)]
    if network:
        args[1:1] = ["--network", network]
    done = _docker(*args, timeout=1800, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return IMAGE


@pytest.fixture()
def container(image, repository, tmp_path):
    # The container's user is not root: the mounted models must be readable by others
    models = tmp_path / "models"
    shutil.copytree(repository[0], models)
    for path in [models, *models.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    port = free_port()
    cid = _docker("run", "-d", "--rm", "-v", f"{models}:/models:ro",
                  "-p", f"127.0.0.1:{port}:8000", image).stdout.strip()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while _status(f"{base}/v2/health/ready") != 200:
            running = _docker("inspect", "-f", "{{.State.Running}}", cid, check=False)
            assert running.stdout.strip() == "true" and time.time() < deadline, (
                _docker("logs", cid, check=False).stderr[-4000:])
            time.sleep(0.5)
        yield cid, base
    finally:
        _docker("rm", "-f", cid, check=False)


def test_the_image_serves_the_mounted_models(container, repository, x):
    cid, base = container
    _, models = repository
    body = json.dumps({"inputs": [{"name": "x", "shape": list(x.shape), "datatype": "FP32",
                                   "data": x.ravel().tolist()}]}).encode()
    request = urllib.request.Request(f"{base}/v2/models/mlp/infer", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        (output,) = json.loads(response.read())["outputs"]
    np.testing.assert_allclose(np.reshape(output["data"], output["shape"]),
                               models[2].predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    if (repository[0] / "mlp_onnx").exists():
        assert _status(f"{base}/v2/models/mlp_onnx/ready") == 200


def test_the_server_runs_as_a_user_who_is_not_root_and_its_healthcheck_passes(container):
    cid, _ = container
    assert _docker("exec", cid, "id", "-u").stdout.strip() != "0"
    check = json.loads(_docker("inspect", "-f", "{{json .Config.Healthcheck}}", cid).stdout)
    assert check["Test"][0] == "CMD"
    # the image's own health check command, run now rather than at its first interval
    assert _docker("exec", cid, *check["Test"][1:], check=False).returncode == 0
