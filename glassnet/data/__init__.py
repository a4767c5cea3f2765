"""Data utilities: tf.data-style ``Dataset`` pipelines, PyTorch-style datasets and loaders,
batching helpers and array preprocessing."""

from glassnet.data import experimental
from glassnet.data.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    ArrayDataset,
    DataLoader,
    Dataset,
    TensorDataset,
)
from glassnet.data.experimental import Options
from glassnet.data.preprocessing import (
    MinMaxScaler,
    Standardizer,
    k_fold,
    pad_sequences,
    train_test_split,
)
from glassnet.data.sequence import PyDataset, Sequence
from glassnet.data.structure import TensorSpec
from glassnet.data.text_files import text_dataset_from_directory
from glassnet.data.timeseries import timeseries_dataset_from_array
from glassnet.data.utils import normalize, to_categorical

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "ArrayDataset",
           "DataLoader", "Dataset", "MinMaxScaler", "Options", "PyDataset", "Sequence",
           "Standardizer", "TensorDataset", "TensorSpec", "experimental", "k_fold", "normalize",
           "pad_sequences", "text_dataset_from_directory", "timeseries_dataset_from_array",
           "to_categorical", "train_test_split"]
