"""The lookup table behind ``StringLookup``, ``IntegerLookup`` and ``TextVectorization``.

A vocabulary is a list of tokens; token ``k`` of it has index ``token_start + k``, the first
indices being reserved: the mask token (index 0, "int" output only) then ``num_oov_indices``
out-of-vocabulary (OOV) buckets. ``adapt`` counts the tokens of some data and keeps the most
frequent, ties broken by the tokens themselves, higher first (Keras's order):

    vocabulary = tokens sorted by (count, token), descending, cut to max_tokens - token_start

For ``output_mode="tf_idf"`` it also counts documents, giving each kept token the weight

    idf(t) = log(1 + num_documents / (1 + documents_containing(t)))

and the OOV buckets the mean of those weights.

NumPy has no hash table, so looking tokens up is Python's dict driven by ``map`` (one C-level
pass over the tokens, no interpreted loop body), and counting them is ``collections.Counter``
(also C). Everything after that (padding, one-hot, counts, tf-idf) is index arithmetic on
NumPy arrays.

>>> table = LookupTable(["the", "cat"], start=2)
>>> table.lookup(["the", "dog", "cat"], default=1).tolist()
[2, 1, 3]
"""

from __future__ import annotations

import collections
import itertools
import operator
import os

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.data.dataset import Dataset

_ADAPT_ROWS = 4096  # rows of an array counted at once: the counts add up, the memory doesn't

__all__ = ["OUTPUT_MODES", "LookupTable", "TokenCounts", "adapt_batches", "encode_rows",
           "inverse_document_frequency", "listify", "one_input", "output_mode_argument",
           "read_vocabulary_file", "repeated_tokens", "token_values"]


OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def output_mode_argument(output_mode, owner):
    """``output_mode`` with Keras's old spellings ("binary", "tf-idf") mapped to the new."""
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in OUTPUT_MODES:
        raise ValueError(f"{owner}: `output_mode` must be one of "
                         f"{', '.join(repr(m) for m in OUTPUT_MODES)}. Received: "
                         f"output_mode={output_mode!r}")
    return output_mode


def listify(value):
    """An array or tensor as a (nested) list, for a config; anything else as it is."""
    if isinstance(value, Tensor):
        value = value.data
    return value.tolist() if isinstance(value, np.ndarray) else value


class LookupTable:
    """Tokens and their indices (``start``, ``start + 1``, ...), both ways.

    Args:
        tokens: the vocabulary without reserved entries (Python str or int).
        start: the index of the first token.
        reserved: more keys with their values (the mask token's), found by ``lookup``.
    """

    def __init__(self, tokens, start, reserved=None):
        self.tokens = list(tokens)
        self.start = int(start)
        self._index = dict(zip(self.tokens, range(self.start, self.start + len(self.tokens))))
        self._index.update(reserved or {})
        self._inverse = None  # the tokens as an array, made on the first inverse lookup

    def __len__(self):
        return len(self.tokens)

    def lookup(self, values, default):
        """The index of each of ``values`` (a list), ``default`` for those not in the table."""
        return np.fromiter(map(self._index.get, values, itertools.repeat(default)),
                           dtype=np.int64, count=len(values))

    def inverse(self, ids, default, reserved=None):
        """The token of each index in ``ids`` (an int array): ``reserved[index]`` for the
        reserved indices given, ``default`` for any other index outside the table."""
        reserved = reserved or {}
        if self._inverse is None or self._inverse[0] != (default, reserved):
            # one array holding the fallbacks too, so its dtype fits the longest of them
            self._inverse = ((default, reserved),
                             np.array([*self.tokens, default, *reserved.values()]))
        table = self._inverse[1]
        k = ids - self.start
        pos = np.where((k >= 0) & (k < len(self.tokens)), k, len(self.tokens))
        for j, index in enumerate(reserved):
            pos[ids == index] = len(self.tokens) + 1 + j
        return table[pos]


class TokenCounts:
    """What ``adapt`` accumulates over batches: token counts and, for tf-idf, in how many
    documents (rows) each token occurs and how many documents were seen."""

    def __init__(self, documents=False):
        self.documents = documents
        self.counts = collections.Counter()
        self.document_counts = collections.Counter()
        self.num_documents = 0

    def __bool__(self):
        return bool(self.counts)

    def update(self, values, row_lengths):
        """Count ``values`` (a flat list of tokens) whose rows have ``row_lengths`` tokens."""
        self.counts.update(values)
        if self.documents:
            rows = np.repeat(np.arange(len(row_lengths)), row_lengths).tolist()
            # each (row, token) pair once: the token's documents
            self.document_counts.update(map(operator.itemgetter(1), set(zip(rows, values))))
            self.num_documents += len(row_lengths)

    def most_frequent(self, limit, exclude=()):
        """The tokens by count then token, both descending, at most ``limit`` (None: all),
        leaving out ``exclude`` (the reserved tokens)."""
        for token in exclude:
            self.counts.pop(token, None)
        ranked = sorted(self.counts.items(), key=operator.itemgetter(1, 0), reverse=True)
        ranked = ranked if limit is None else ranked[:max(limit, 0)]
        return [token for token, _ in ranked]


def inverse_document_frequency(document_counts, num_documents):
    """``log(1 + num_documents / (1 + document_counts))`` in float64."""
    return np.log1p(num_documents / (1.0 + np.asarray(document_counts, dtype=np.float64)))


def encode_rows(ids, row_ids, n_rows, depth, mode, dtype, idf_weights=None):
    """Per-row "multi_hot" / "count" / "tf_idf" vectors of ``depth`` from token indices.

    ``ids[i]`` is a token index of row ``row_ids[i]``; an index outside [0, depth) (a masked
    token is given -1) is dropped, as Keras's bincount drops it. Returns (n_rows, depth).

    >>> encode_rows(np.array([1, 2, 1]), np.array([0, 0, 1]), 2, 3, "count", "float32")
    array([[0., 1., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    keep = (ids >= 0) & (ids < depth)
    flat = row_ids[keep] * depth + ids[keep]
    counts = np.bincount(flat, minlength=n_rows * depth).reshape(n_rows, depth)
    if mode == "multi_hot":
        return (counts > 0).astype(dtype)
    out = counts.astype(dtype)
    if mode == "tf_idf":
        out *= idf_weights.astype(dtype, copy=False)
    return out


def token_values(array, encoding, owner):
    """A NumPy array of text as an array of Python str (bytes decoded with ``encoding``)."""
    if array.size == 0:  # [] is float64 to NumPy
        return array.astype(str)
    if array.dtype.kind == "S":
        return np.char.decode(array, encoding)
    if array.dtype.kind == "O":
        first = next(iter(array.flat), "")
        if isinstance(first, bytes):
            return np.char.decode(array.astype(np.bytes_), encoding)
        if not isinstance(first, str):
            raise TypeError(f"{owner}: expected strings; received an object array holding "
                            f"{type(first).__name__} values")
    elif array.dtype.kind != "U":
        raise TypeError(f"{owner}: expected strings; received an array of dtype "
                        f"{array.dtype}")
    return array


def one_input(inputs):
    """A list or tuple of tokens or strings as one array: the text layers read a list as one
    input (Keras), where other layers read a list of inputs."""
    if isinstance(inputs, (list, tuple)):
        return _as_array([x.data if isinstance(x, Tensor) else x for x in inputs])
    return inputs


def repeated_tokens(tokens):
    """The tokens that occur more than once in ``tokens``."""
    return [t for t, n in collections.Counter(tokens).items() if n > 1]


def read_vocabulary_file(path, owner):
    """One token per line of the text file at ``path`` (trailing empty lines dropped)."""
    if not os.path.isfile(path):
        raise ValueError(f"{owner}: Vocabulary file {path} does not exist.")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def adapt_batches(data, batch_size, steps, owner):
    """The batches ``adapt`` counts: a ``Dataset``'s elements, an iterable's items (``steps``
    of them at most), or an array or list cut into ``batch_size`` rows (one row per sample:
    a 1-D array is a column)."""
    if steps is not None and (isinstance(steps, bool) or not isinstance(
            steps, (int, np.integer)) or steps <= 0):
        raise ValueError(f"{owner}.adapt: `steps` must be None or a positive integer. "
                         f"Received: steps={steps!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
            batch_size, (int, np.integer)) or batch_size <= 0):
        raise ValueError(f"{owner}.adapt: `batch_size` must be None or a positive integer. "
                         f"Received: batch_size={batch_size!r}")
    if isinstance(data, Dataset):
        data = data.take(steps) if steps is not None else data
        return _only_inputs(data.as_numpy_iterator(), owner)
    if isinstance(data, (list, tuple, np.ndarray, Tensor, str, bytes)):
        array = _as_array(data)
        if array.size == 0:
            raise ValueError(f"{owner}.adapt: received empty data (shape {array.shape}); "
                             f"adapt needs samples to learn a vocabulary from")
        if array.ndim == 1:
            array = array[:, None]
        elif array.ndim == 0:
            array = array.reshape(1, 1)
        size = batch_size or _ADAPT_ROWS
        return (array[i:i + size] for i in range(0, len(array), size))
    if hasattr(data, "__iter__"):
        batches = iter(data)
        return _only_inputs(batches if steps is None else itertools.islice(batches, steps),
                            owner)
    raise TypeError(f"{owner}.adapt: expected an array, a list, a Dataset or an iterable of "
                    f"batches; received {type(data).__name__}")


def _as_array(data):
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, (list, tuple)):
        # object, not '<U': a '<U' array pads every string to the longest one
        array = np.array(data, dtype=object)
        return array if array.size and isinstance(array.flat[0], (str, bytes)) \
            else np.asarray(data)
    return np.asarray(data)


def _only_inputs(batches, owner):
    for batch in batches:
        if isinstance(batch, tuple):
            raise TypeError(f"{owner}.adapt: expected batches of inputs only; received a "
                            f"tuple of {len(batch)} (inputs and labels?). Pass "
                            f"dataset.map(lambda x, y: x)")
        yield batch.data if isinstance(batch, Tensor) else batch
