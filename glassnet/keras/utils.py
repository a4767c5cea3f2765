"""``keras.utils``."""

import random as _random

import numpy as _np

from glassnet.backend import seed as _seed
from glassnet.data import PyDataset, Sequence, normalize, pad_sequences, to_categorical
from glassnet.data.image_generator import (
    array_to_img,
    image_dataset_from_directory,
    img_to_array,
    load_img,
    save_img,
)
from glassnet.data.progbar import Progbar
from glassnet.data.split import split_dataset
from glassnet.data.text_files import text_dataset_from_directory
from glassnet.data.timeseries import timeseries_dataset_from_array
from glassnet.datasets import get_file
from glassnet.io import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    register_keras_serializable,
    serialize_keras_object,
)
from glassnet.train.plot import plot_model

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "register_keras_serializable", "serialize_keras_object",
           "Progbar", "PyDataset", "Sequence", "array_to_img", "get_file",
           "image_dataset_from_directory", "img_to_array", "load_img", "normalize",
           "pad_sequences", "plot_model", "save_img", "set_random_seed", "split_dataset",
           "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical"]


def set_random_seed(seed):
    """Seed glassnet's generators, Python's ``random`` and NumPy's global generator, as
    Keras does, so a program's own ``np.random.permutation`` repeats too."""
    _seed(seed)
    _random.seed(seed)
    _np.random.seed(seed)
