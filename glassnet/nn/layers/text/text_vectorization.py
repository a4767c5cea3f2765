"""``TextVectorization``: strings to token indices or bag-of-words vectors, as Keras's layer,
in Python and NumPy (Keras needs TensorFlow for it).

Each string goes through

    standardize -> split -> n-grams -> StringLookup(mask_token="") -> pad / encode

so that in "int" mode index 0 is padding ("") and 1 the OOV token "[UNK]"; in the other
modes the OOV column is 0. The vocabulary ``adapt`` learns is sorted by frequency, ties by
the tokens themselves, higher first ("the", "a", then "dog" before "cat" if both occur
twice).
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.layer import Layer
from glassnet.nn.layers.text import tokenize
from glassnet.nn.layers.text.lookup import StringLookup, _encoding
from glassnet.nn.layers.text.vocabulary import (
    adapt_batches,
    encode_rows,
    listify,
    one_input,
    output_mode_argument,
    token_values,
)

__all__ = ["TextVectorization"]

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")


def _choice(value, choices, arg):
    if value is None or callable(value) or value in choices:
        return value
    raise ValueError(f"TextVectorization: `{arg}` must be None, a callable or one of "
                     f"{', '.join(repr(c) for c in choices)}. Received: {arg}={value!r}")


def _ngram_widths(ngrams):
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if ngrams is None:
        return None
    if is_int(ngrams) and ngrams > 0:
        return tuple(range(1, int(ngrams) + 1))
    if isinstance(ngrams, (tuple, list)) and ngrams and all(is_int(n) and n > 0
                                                            for n in ngrams):
        return tuple(int(n) for n in ngrams)
    raise ValueError(f"TextVectorization: `ngrams` must be None, an integer, or a tuple of "
                     f"integers (each positive). Received: ngrams={ngrams!r}")


class TextVectorization(Layer):
    """Strings to token indices ("int") or one vector per string ("multi_hot", "count",
    "tf_idf"), with a vocabulary learned by ``adapt`` or given.

    Args:
        max_tokens: the largest vocabulary, padding and OOV included (None: no limit).
        standardize: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation",
            None, or a callable taking and returning a NumPy array of str.
        split: "whitespace" (default), "character", None (each input is one token) or a
            callable taking a NumPy array of str and returning one token sequence per string.
        ngrams: None, n (the 1- to n-grams) or a tuple of widths, e.g. (2, 3).
        output_mode: "int", "multi_hot", "count", "tf_idf", or "one_hot" (with split=None).
        output_sequence_length: "int" rows padded with 0 or cut to this length (None: to
            the batch's longest).
        pad_to_max_tokens: encoded rows have ``max_tokens`` columns.
        vocabulary: a list of strings or a one-per-line file; ``idf_weights`` with "tf_idf".
        encoding: the encoding of byte-string input.

    Input: strings of shape (batch,) or (batch, 1), str or bytes. Output: int64 (batch,
    length) for "int"; the layer's float dtype (batch, vocabulary size) otherwise.

    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["The cat sat.", "The dog ate the cat!"])
    >>> layer.get_vocabulary()
    ['', '[UNK]', 'the', 'cat', 'sat', 'dog', 'ate']
    >>> layer(np.array(["the bird sat"])).numpy().tolist()
    [[2, 1, 4, 0]]
    """

    _accepts_strings = True

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        owner = "TextVectorization"
        self._standardize = _choice(standardize, STANDARDIZE, "standardize")
        self._split = _choice(split, SPLIT, "split")
        self._ngrams_arg = ngrams
        self._ngrams = _ngram_widths(ngrams)
        output_mode = output_mode_argument(output_mode, owner)
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(f"{owner}: `output_sequence_length` must not be set if "
                                 f"`output_mode` is not 'int'. Received "
                                 f"output_sequence_length={output_sequence_length!r}.")
            if isinstance(output_sequence_length, bool) or not isinstance(
                    output_sequence_length, (int, np.integer)) or output_sequence_length < 0:
                raise ValueError(f"{owner}: `output_sequence_length` must be either None or "
                                 f"a non-negative integer when `output_mode` is 'int'. "
                                 f"Received: output_sequence_length={output_sequence_length!r}")
            output_sequence_length = int(output_sequence_length)
        if ragged:
            raise ValueError(f"{owner}: `ragged=True` is not supported: glassnet has no ragged "
                             f"tensors; use output_sequence_length, or the default padding "
                             f"to the longest string of the batch. Received: ragged={ragged!r}")
        if output_mode == "one_hot" and (self._split is not None or self._ngrams):
            raise ValueError(f"{owner}: output_mode='one_hot' encodes one token per input, so "
                             f"it needs split=None and ngrams=None; use 'multi_hot' or "
                             f"'count' for a vector per string. Received: split={split!r}, "
                             f"ngrams={ngrams!r}")
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = _encoding(encoding, owner)
        self._ragged = False
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, encoding=encoding, vocabulary_size=vocabulary_size,
            has_input_vocabulary=has_input_vocabulary, dtype=self.dtype,
            name=f"{self.name}_lookup")

    # -- the vocabulary (held by the lookup layer) -------------------------------------------

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order; with ``include_special_tokens`` (default) it starts
        with "" (padding, "int" mode) and "[UNK]"."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary's size, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list or a one-per-line file) and, for "tf_idf", the idf
        weights, instead of ``adapt``."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data``: an array or list of strings, a ``Dataset`` of
        string batches, or an iterable of batches (``steps`` of them at most)."""
        self.reset_state()
        for batch in adapt_batches(data, batch_size, steps, "TextVectorization"):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        lookup = self._lookup_layer
        lookup._refuse_static_vocabulary()
        values, row_lengths, _ = self._tokens(data)
        lookup._counts.update(values, row_lengths)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    @property
    def idf_weights(self):
        return self._lookup_layer.idf_weights

    # -- the computation --------------------------------------------------------------------

    def _convert_inputs(self, inputs):
        return self._convert_one(one_input(inputs))

    def _tokens(self, inputs):
        """(tokens, row lengths, dense shape) of a batch of strings; the shape is that of
        the tokens when ``split`` is None (each string one token), else None."""
        owner = f"TextVectorization '{self.name}'"
        data = one_input(inputs.data if isinstance(inputs, Tensor) else inputs)
        array = token_values(np.asarray(data), self._encoding, owner)
        if array.ndim == 0:
            array = array.reshape(1)
        if callable(self._standardize):  # np.char / np.strings functions want '<U' arrays
            array = token_values(np.asarray(self._standardize(array.astype(str))),
                                 self._encoding, owner)
        if self._split is None:
            shape = array.shape
            texts = tokenize.standardize(array.ravel().tolist(), self._standardize
                                         if not callable(self._standardize) else None)
            rows = 1 if array.ndim == 1 else int(np.prod(shape[:-1]))
            values, row_lengths = texts, np.full(rows, len(texts) // max(rows, 1), np.int64)
        else:
            if array.ndim > 1:
                if array.shape[-1] != 1 or array.ndim > 2:
                    raise ValueError(f"{owner}: When using `TextVectorization` to tokenize "
                                     f"strings, the input rank must be 1 or the last shape "
                                     f"dimension must be 1. Received: inputs.shape="
                                     f"{array.shape} with rank={array.ndim}")
                array = array[:, 0]
            shape = None
            texts = array.tolist()
            if not callable(self._standardize):
                texts = tokenize.standardize(texts, self._standardize)
            if callable(self._split):
                pieces = self._split(np.asarray(texts, dtype=str))
                values, row_lengths = tokenize.ragged_rows(pieces, owner)
            else:
                values, row_lengths = tokenize.split(texts, self._split)
        if self._ngrams:
            values, row_lengths = tokenize.ngrams(values, row_lengths, self._ngrams)
            shape = None
        return values, row_lengths, shape

    def call(self, inputs):
        scalar = np.ndim(inputs.data if isinstance(inputs, Tensor) else inputs) == 0
        values, row_lengths, shape = self._tokens(inputs)
        lookup = self._lookup_layer
        ids = lookup.lookup_values(values)
        if self._output_mode == "int":
            out = self._padded(ids, row_lengths) if shape is None else \
                self._cut_last_axis(ids.reshape(shape))
        elif shape is not None:
            out = lookup.encode(ids.reshape(shape))
        else:
            lookup._ensure_known_vocab_size()
            row_ids = np.repeat(np.arange(len(row_lengths)), row_lengths)
            out = encode_rows(ids, row_ids, len(row_lengths), lookup._depth(),
                              self._output_mode, self.dtype, lookup.idf_weights)
        if scalar and out.ndim > 1:
            out = out[0]
        return Tensor._from_op(out, None)

    def _padded(self, ids, row_lengths):
        """Rows of indices padded with 0 (or cut) to ``output_sequence_length``, else to the
        longest row."""
        n_rows = len(row_lengths)
        length = self._output_sequence_length
        if length is None:
            length = int(row_lengths.max()) if n_rows else 0
        starts = np.cumsum(row_lengths) - row_lengths
        row = np.repeat(np.arange(n_rows), row_lengths)
        pos = np.arange(len(ids)) - starts[row]
        keep = pos < length
        out = np.zeros((n_rows, length), dtype=np.int64)
        out[row[keep], pos[keep]] = ids[keep]
        return out

    def _cut_last_axis(self, ids):
        length = self._output_sequence_length
        if length is None:
            return ids
        ids = ids[..., :length]
        pad = [(0, 0)] * (ids.ndim - 1) + [(0, length - ids.shape[-1])]
        return np.pad(ids, pad)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        batch = input_shape[0] if input_shape else None
        if self._output_mode == "int":
            if self._split is None and not self._ngrams:
                if self._output_sequence_length is None:
                    return input_shape
                return (*input_shape[:-1], self._output_sequence_length)
            return (batch, self._output_sequence_length)
        depth = self._lookup_layer._depth()
        if self._output_mode == "one_hot":
            return self._lookup_layer.compute_output_shape(input_shape)
        if self._split is None and not self._ngrams:
            return (*input_shape[:-1], depth)
        return (batch, depth)

    def get_config(self):
        lookup = self._lookup_layer
        return {**super().get_config(), "max_tokens": lookup.max_tokens,
                "standardize": self._standardize, "split": self._split,
                "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse,
                "ragged": self._ragged, "vocabulary": listify(lookup._config_vocabulary),
                "idf_weights": listify(lookup._config_idf_weights),
                "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
