"""Data utilities: datasets and loaders, batching helpers and array preprocessing."""

from glassnet.data.dataset import ArrayDataset, DataLoader, Dataset, TensorDataset
from glassnet.data.preprocessing import (
    MinMaxScaler,
    Standardizer,
    k_fold,
    pad_sequences,
    train_test_split,
)
from glassnet.data.sequence import PyDataset, Sequence
from glassnet.data.utils import normalize, to_categorical

__all__ = ["ArrayDataset", "DataLoader", "Dataset", "MinMaxScaler", "PyDataset", "Sequence",
           "Standardizer", "TensorDataset", "k_fold", "normalize", "pad_sequences",
           "to_categorical", "train_test_split"]
