"""Reuters newswires: 11,228 newswires from Reuters, labelled over 46 topics, each a list of
word indices (by frequency).

``reuters.npz`` from the address Keras uses, checked against the SHA-256 Keras pins; its
object arrays are read by glassnet's reader of plain data, never by pickle. Shuffling,
filtering and the train/test cut are Keras's (the same newswires for the same ``seed``).
"""

from __future__ import annotations

import numpy as np

from glassnet.datasets import _safe_pickle
from glassnet.datasets._fetch import keras_get_file
from glassnet.datasets.boston_housing import check_test_split
from glassnet.datasets.imdb import (
    BASE,
    check_loaded,
    flatten,
    keep,
    read_word_index,
    shift,
    to_lists,
    vocabulary,
)

SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"  # Keras pins an MD5 for this one
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """``((x_train, y_train), (x_test, y_test))`` as Keras returns them: object arrays of
    word-index lists and int64 topic labels (0-45); arguments as ``imdb.load_data``, plus
    ``test_split`` (the last fraction after shuffling is the test part).

    >>> (x_train, y_train), (x_test, y_test) = load_data(num_words=10000)  # doctest: +SKIP
    """
    check_test_split(test_split)
    file = keras_get_file(fname=path, origin=BASE + "reuters.npz", file_hash=SHA256,
                          trust_cache=True)
    f = _safe_pickle.load_npz(file)
    check_loaded(f, ["x", "y"], file)
    order = np.arange(len(f["x"]))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = f["x"][order], f["y"][order]
    flat, lengths = shift(*flatten(xs), start_char, index_from)
    if maxlen:
        short = lengths < maxlen
        (flat, lengths), labels = keep(flat, lengths, short), labels[short]
    flat, lengths = vocabulary(flat, lengths, num_words, skip_top, oov_char)
    idx = int(len(lengths) * (1 - test_split))
    cut = int(lengths[:idx].sum())
    return ((to_lists(flat[:cut], lengths[:idx]), np.array(labels[:idx])),
            (to_lists(flat[cut:], lengths[idx:]), np.array(labels[idx:])))


def get_word_index(path="reuters_word_index.json"):
    """``{word: index}`` of the Reuters vocabulary (before ``index_from`` is added)."""
    return read_word_index(path, BASE + "reuters_word_index.json", WORD_INDEX_MD5)


def get_label_names():
    """The 46 topic names, in label order."""
    return LABEL_NAMES
