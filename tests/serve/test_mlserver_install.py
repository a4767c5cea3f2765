"""MLServer pins an older FastAPI and Starlette than the ``[serve]`` extra takes, so it is not
installed beside the rest of the test environment. Where it is missing, this test makes its
own virtual environment with ``glassnet[serve,onnx,mlserver]`` (what a user of MLServer
would install) and runs ``test_mlserver.py`` there."""

import importlib.util
import os
import subprocess
import sys
import venv

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))



def test_without_mlserver_the_runtime_names_what_to_install():
    # None in sys.modules makes `import mlserver` fail as if it were not installed
    code = ("import sys; sys.modules['mlserver'] = None\n"
            "import glassnet.serve.mlserver\n"
            "from glassnet.serve.mlserver import GlassnetRuntime")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ImportError: glassnet.serve.mlserver.GlassnetRuntime needs MLServer: pip install "
        "'glassnet[serve,mlserver]'"), done.stderr


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mlserver") is not None,
                    reason="mlserver is installed here: test_mlserver.py runs in this process")
def test_the_mlserver_runtime_in_an_environment_of_its_own(tmp_path):
    env_dir = tmp_path / "mlserver-env"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e",
         f"{ROOT}[serve,onnx,mlserver]", "pytest>=7", "httpx"],
        capture_output=True, text=True, timeout=900)
    if install.returncode != 0:
        pytest.skip(f"mlserver could not be installed here: {install.stderr[-500:]}")
    done = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=-ra",
         os.path.join(HERE, "test_mlserver.py")],
        capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary
