"""``keras.datasets``."""

from glassnet.keras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
