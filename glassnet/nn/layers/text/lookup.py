"""``StringLookup`` and ``IntegerLookup``: vocabulary indices of string or integer tokens,
with Keras's arguments, index layout and adapt order (see ``index_lookup``)."""

from __future__ import annotations

import codecs

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.layers.text import farmhash
from glassnet.nn.layers.text.index_lookup import IndexLookup
from glassnet.nn.layers.text.vocabulary import one_input, token_values

__all__ = ["IntegerLookup", "StringLookup"]


def _encoding(encoding, owner):
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(f"{owner}: `encoding` must name a text encoding such as 'utf-8'. "
                         f"Received: encoding={encoding!r}") from None
    return encoding


def _special(value, kinds, arg, owner):
    if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
        kind = "a string" if kinds is str else "an integer"
        raise TypeError(f"{owner}: `{arg}` must be None or {kind}. Received: {arg}={value!r} "
                        f"(of type {type(value).__name__})")
    return value if value is None or kinds is str else int(value)


def _array(data):
    return np.asarray(one_input(data.data if isinstance(data, Tensor) else data))


class StringLookup(IndexLookup):
    """Strings to vocabulary indices (or back, with ``invert``).

    Index 0 is the mask token when one is set (``output_mode="int"``), then come
    ``num_oov_indices`` OOV indices (an unknown string goes to one of them: FarmHash64 modulo
    their count, as TensorFlow), then the vocabulary. ``adapt`` learns it, most frequent
    first; ``vocabulary`` or ``set_vocabulary`` give it.

    Args:
        max_tokens: the largest vocabulary, mask and OOV indices included (None: no limit).
        num_oov_indices: how many OOV indices (0: an unknown string is an error).
        mask_token: the string meaning "padding" (index 0), or None.
        oov_token: the string ``invert`` gives for an OOV index.
        vocabulary: a list or array of strings, or the path of a one-per-line text file.
        idf_weights: the tokens' idf weights ("tf_idf" with a given vocabulary).
        invert: map indices back to strings.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        pad_to_max_tokens: encoded outputs have ``max_tokens`` columns whatever the vocabulary.
        encoding: the encoding of byte-string input.

    Shapes: "int" keeps the input's shape (int64); "one_hot" adds an axis of
    ``vocabulary_size()`` (replacing a last axis of 1); the others replace the last axis.

    >>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
    >>> layer(np.array([["a", "c", "d"], ["d", "z", "b"]])).numpy().tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        owner = type(self).__name__
        if kwargs.pop("vocabulary_dtype", "string") != "string":
            raise ValueError(f"{owner}: the vocabulary of a StringLookup holds strings; use "
                             f"IntegerLookup for integers")
        self.encoding = _encoding(encoding, owner)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=_special(mask_token, str, "mask_token", owner),
                         oov_token=_special(oov_token, str, "oov_token", owner),
                         vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                         sparse=sparse, name=name, salt=salt, **kwargs)

    def _token_array(self, data):
        array = _array(data)
        return token_values(array, self.encoding, f"{type(self).__name__} '{self.name}'")

    def _vocabulary_tokens(self, vocabulary):
        return self._token_array(vocabulary).ravel().tolist()

    def _tokens_from_file(self, lines):
        return lines

    def _oov_buckets(self, tokens):
        return farmhash.hash_buckets(tokens, self.num_oov_indices, self.encoding)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Integers to vocabulary indices (or back, with ``invert``): ``StringLookup`` for
    integer tokens. An unknown integer goes to OOV index ``token % num_oov_indices``
    (``oov_method="floormod"``) or to its FarmHash bucket (``"farmhash"``).

    Args: as ``StringLookup``, with ``mask_token`` and ``oov_token`` integers (default
    ``oov_token=-1``) and ``vocabulary_dtype="int64"`` (the only one).

    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]])).numpy().tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        owner = type(self).__name__
        if vocabulary_dtype != "int64":
            raise ValueError(f"{owner}: Only `vocabulary_dtype='int64'` is supported at this "
                             f"time. Received: vocabulary_dtype={vocabulary_dtype!r}")
        self.vocabulary_dtype = vocabulary_dtype
        ints = (int, np.integer)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=_special(mask_token, ints, "mask_token", owner),
                         oov_token=_special(oov_token, ints, "oov_token", owner),
                         vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                         sparse=sparse, oov_method=oov_method, salt=salt, name=name, **kwargs)

    def _token_array(self, data):
        array = _array(data)
        if array.dtype.kind not in "iu":
            raise TypeError(f"{type(self).__name__} '{self.name}': expected integer tokens; "
                            f"received an array of dtype {array.dtype}")
        return array.astype(np.int64, copy=False)

    def _vocabulary_tokens(self, vocabulary):
        return self._token_array(vocabulary).ravel().tolist()

    def _tokens_from_file(self, lines):
        return [int(line) for line in lines]  # a file's lines are text: parse each one

    def _oov_buckets(self, tokens):
        if self.oov_method == "farmhash":
            return farmhash.hash_buckets(tokens, self.num_oov_indices)
        return np.mod(np.asarray(tokens, dtype=np.int64), self.num_oov_indices)

    def _from_indices(self, ids):
        return Tensor._from_op(super()._from_indices(ids).astype(np.int64), None)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}
