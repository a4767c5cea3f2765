"""``tf.version``: the version strings tutorials print. They are glassnet's own (this is not
TensorFlow, so it does not claim one of TensorFlow's version numbers)."""

from __future__ import annotations

VERSION = "0.2.0"  # kept equal to glassnet.__version__ by tests/tf/test_core.py
GIT_VERSION = f"glassnet-{VERSION}"

__all__ = ["GIT_VERSION", "VERSION"]
