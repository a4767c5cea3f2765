"""Datasets the tutorials use, as Keras's ``load_data()`` returns them."""

from glassnet.datasets import digits, fashion_mnist, mnist, spoken_digits, wordlang
from glassnet.datasets._fetch import cache_dir, get_file
from glassnet.datasets.best import best_available

__all__ = ["best_available", "cache_dir", "digits", "fashion_mnist", "get_file", "mnist",
           "spoken_digits", "wordlang"]
