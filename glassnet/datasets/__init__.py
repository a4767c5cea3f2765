"""Datasets the tutorials use, as Keras's ``load_data()`` returns them."""

from glassnet.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
    spoken_digits,
    wordlang,
)
from glassnet.datasets._fetch import cache_dir, glassnet_home, hash_file, validate_file
from glassnet.datasets._fetch import keras_get_file as get_file
from glassnet.datasets.archives import extract_archive
from glassnet.datasets.best import best_available

__all__ = ["best_available", "boston_housing", "cache_dir", "california_housing", "cifar10",
           "cifar100", "digits", "extract_archive", "fashion_mnist", "get_file",
           "glassnet_home", "hash_file", "imdb", "mnist", "reuters", "spoken_digits",
           "validate_file", "wordlang"]
