"""``keras.utils``."""

from glassnet.backend import seed as set_random_seed
from glassnet.data import PyDataset, Sequence, normalize, pad_sequences, to_categorical
from glassnet.datasets import get_file
from glassnet.train.plot import plot_model

__all__ = ["PyDataset", "Sequence", "get_file", "normalize", "pad_sequences", "plot_model",
           "set_random_seed", "to_categorical"]
