"""The GPU tests run on the device ``GLASSNET_TEST_DEVICE`` names: ``standin`` (the default, a
strict NumPy stand-in for CuPy: any machine checks that the GPU path stays on the device) or
``gpu`` (CuPy on a real GPU). Tests that need real CUDA kernels take ``real_gpu`` and skip
without one."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import standin  # noqa: E402

from glassnet import backend  # noqa: E402

TEST_DEVICE = os.environ.get("GLASSNET_TEST_DEVICE", "standin")


def _why_no_gpu():
    try:
        import cupy  # noqa: F401
    except ImportError:
        return "no GPU here: CuPy is not installed (pip install cupy-cuda12x or cupy-cuda13x)"
    if not backend.gpu_available():
        return "no GPU here: CuPy is installed but finds no CUDA device"
    return None


@pytest.fixture
def gpu():
    """The GPU array module the test runs on (the stand-in unless GLASSNET_TEST_DEVICE=gpu)."""
    if TEST_DEVICE == "none":
        pytest.skip("GLASSNET_TEST_DEVICE=none: device checks are off")
    if TEST_DEVICE == "gpu":
        why = _why_no_gpu()
        if why:
            pytest.skip(why)
        yield backend.device_module()
        return
    with standin.installed() as module:
        yield module


@pytest.fixture
def real_gpu():
    """CuPy on a real GPU, for the CUDA kernels; skips with the reason when there is none."""
    why = _why_no_gpu()
    if why:
        pytest.skip(why)
    yield backend.device_module()
