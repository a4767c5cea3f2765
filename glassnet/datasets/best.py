"""The best real image-classification data present on this machine, without downloading."""

from __future__ import annotations

from glassnet.datasets import digits, fashion_mnist, mnist
from glassnet.datasets._fetch import cache_dir


def best_available():
    """``(name, (x_train, y_train), (x_test, y_test))``: MNIST if ``mnist.npz`` is in the
    cache, else Fashion-MNIST (cache or Debian's package), else scikit-learn's embedded
    8x8 digits. Raises OSError naming what to install when none is present."""
    if (cache_dir() / "mnist.npz").exists():
        return "MNIST", *mnist.load_data()
    if fashion_mnist.find_files() is not None:
        return "Fashion-MNIST", *fashion_mnist.load_data()
    try:
        return "scikit-learn digits (8x8)", *digits.load_data()
    except ImportError:
        raise OSError(
            "no dataset found: install Debian's dataset-fashion-mnist (apt-get install "
            f"dataset-fashion-mnist), put mnist.npz into {cache_dir()}, or install "
            "scikit-learn (pip install 'glassnet[demo]')") from None
