"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled positive (1) or
negative (0), each a list of word indices (by frequency: 1 is the most common word).

``imdb.npz`` from the address Keras uses, checked against the SHA-256 Keras pins. Its
reviews are object arrays of lists, which ``np.load`` reads only with ``allow_pickle``;
glassnet reads them with its own reader of plain data instead (``_safe_pickle``), never
with pickle. Shuffling, index shifting, ``maxlen`` filtering and the ``num_words`` /
``skip_top`` vocabulary cut are Keras's (the same reviews in the same order for the same
``seed``), done on one flat array of all word indices rather than word by word.
"""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np

from glassnet.datasets import _safe_pickle
from glassnet.datasets._fetch import keras_get_file

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"  # Keras pins an MD5 for this one


def flatten(sequences):
    """``(flat int64 array of every index, int64 lengths)`` of a list of index lists."""
    lengths = np.fromiter(map(len, sequences), np.int64, len(sequences))
    flat = np.fromiter(itertools.chain.from_iterable(sequences), np.int64, int(lengths.sum()))
    return flat, lengths


def shift(flat, lengths, start_char, index_from):
    """Add ``index_from`` to every index and put ``start_char`` first in each sequence."""
    flat = flat + index_from
    if start_char is None:
        return flat, lengths
    starts = np.cumsum(lengths) - lengths
    return np.insert(flat, starts, start_char), lengths + 1


def keep(flat, lengths, rows):
    """The sequences where ``rows`` (a boolean mask over sequences) is True."""
    return flat[np.repeat(rows, lengths)], lengths[rows]


def vocabulary(flat, lengths, num_words, skip_top, oov_char):
    """Indices outside ``[skip_top, num_words)`` become ``oov_char``, or are dropped when it
    is None; ``num_words`` None or 0 means the largest index present plus nothing (Keras:
    the maximum itself is out of range)."""
    if not num_words:
        num_words = int(flat.max()) if len(flat) else 0
    inside = (flat >= skip_top) & (flat < num_words)
    if oov_char is not None:
        return np.where(inside, flat, oov_char), lengths
    segment = np.repeat(np.arange(len(lengths)), lengths)
    kept = np.bincount(segment[inside], minlength=len(lengths)).astype(np.int64)
    return flat[inside], kept


def to_lists(flat, lengths):
    """An object array of Python int lists, built as Keras builds it (``np.array(list,
    dtype="object")``, which makes a 2-D array when every list has the same length)."""
    pieces = np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []
    return np.array([p.tolist() for p in pieces], dtype="object")


def check_loaded(arrays, names, file):
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ValueError(f"{file}: expected arrays {names}. Missing: {missing}")


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """``((x_train, y_train), (x_test, y_test))`` as Keras returns them: object arrays of
    word-index lists and int64 labels.

    Args:
        num_words: keep the ``num_words`` most frequent words (others become ``oov_char``).
        skip_top: also replace the ``skip_top`` most frequent words.
        maxlen: drop sequences of ``maxlen`` indices or more (counting ``start_char``).
        seed: the shuffle's seed (``np.random.RandomState``).
        start_char: index that starts every sequence (None: none).
        oov_char: index for cut words (None: drop them).
        index_from: added to every word index (0-2 are padding, start and out-of-vocab).

    >>> (x_train, y_train), _ = load_data(num_words=10000)  # doctest: +SKIP
    """
    if kwargs:
        warnings.warn(f"imdb.load_data: ignoring the arguments {sorted(kwargs)}, as Keras "
                      f"does", UserWarning, stacklevel=2)
    file = keras_get_file(fname=path, origin=BASE + "imdb.npz", file_hash=SHA256,
                          trust_cache=True)
    f = _safe_pickle.load_npz(file)
    check_loaded(f, ["x_train", "y_train", "x_test", "y_test"], file)
    rng = np.random.RandomState(seed)
    order = np.arange(len(f["x_train"]))
    rng.shuffle(order)
    x_train, labels_train = f["x_train"][order], f["y_train"][order]
    order = np.arange(len(f["x_test"]))
    rng.shuffle(order)
    x_test, labels_test = f["x_test"][order], f["y_test"][order]
    train = shift(*flatten(x_train), start_char, index_from)
    test = shift(*flatten(x_test), start_char, index_from)
    if maxlen:
        short_train, short_test = train[1] < maxlen, test[1] < maxlen
        train, test = keep(*train, short_train), keep(*test, short_test)
        labels_train, labels_test = labels_train[short_train], labels_test[short_test]
        if not len(train[1]) or not len(test[1]):
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, "
                             f"no sequence was kept. Increase maxlen.")
    n_train = len(train[1])
    flat, lengths = vocabulary(np.concatenate([train[0], test[0]]),
                               np.concatenate([train[1], test[1]]), num_words, skip_top,
                               oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = int(lengths[:n_train].sum())
    x_train = to_lists(flat[:cut], lengths[:n_train])
    x_test = to_lists(flat[cut:], lengths[n_train:])
    return (x_train, labels[:n_train]), (x_test, labels[n_train:])


def read_word_index(fname, origin, file_hash):
    file = keras_get_file(fname=fname, origin=origin, file_hash=file_hash, trust_cache=True)
    with open(file, encoding="utf-8") as f:
        index = json.load(f)
    if not isinstance(index, dict):
        raise ValueError(f"{file}: expected a JSON object of word: index. Received: "
                         f"{type(index).__name__}")
    return index


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` of the IMDB vocabulary (index as in ``load_data`` before
    ``index_from`` is added).

    >>> index = get_word_index()  # doctest: +SKIP
    >>> words = {i + 3: w for w, i in index.items()}  # doctest: +SKIP
    """
    return read_word_index(path, BASE + "imdb_word_index.json", WORD_INDEX_MD5)
