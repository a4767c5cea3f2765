"""Data utilities: batching helpers and array preprocessing."""

from glassnet.data.sequence import PyDataset, Sequence
from glassnet.data.utils import normalize, to_categorical

__all__ = ["PyDataset", "Sequence", "normalize", "to_categorical"]
