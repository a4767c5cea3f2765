"""``IndexLookup``: the layer under ``StringLookup``, ``IntegerLookup`` and
``TextVectorization``, mapping tokens to indices of a vocabulary (Keras semantics).

Index layout ("int" output), for ``num_oov_indices=n`` and a ``mask_token``::

    0            the mask token (only with a mask_token and output_mode="int")
    1 .. n       the OOV buckets (a token outside the vocabulary; n > 1: hashed among them)
    n + 1 ...    the vocabulary, most frequent first

Without a mask token, or in the other output modes, the OOV buckets start at 0 and a mask
token in the input is dropped. ``output_mode`` "one_hot" encodes each token, "multi_hot",
"count" and "tf_idf" encode each row of the last axis as one vector of ``vocabulary_size()``
(``max_tokens`` with ``pad_to_max_tokens``): 1 for the tokens present, their counts, or the
counts times the tokens' idf weights.
"""

from __future__ import annotations

import itertools

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.layer import Layer
from glassnet.nn.layers.text import farmhash
from glassnet.nn.layers.text.vocabulary import (
    LookupTable,
    TokenCounts,
    adapt_batches,
    encode_rows,
    inverse_document_frequency,
    listify,
    one_input,
    output_mode_argument,
    read_vocabulary_file,
    repeated_tokens,
)

_DROPPED = np.iinfo(np.int64).max  # a masked token in the encoded modes: beyond every depth
_MISSING = -1  # not in the vocabulary, before the OOV bucket is chosen


class IndexLookup(Layer):
    """Tokens to vocabulary indices; see the module docstring. Subclasses say what a token
    is (``_token_array``: an input as an array of tokens; ``_vocabulary_tokens`` and
    ``_tokens_from_file``: a vocabulary as a list of them) and how OOV tokens hash
    (``_oov_buckets``)."""

    _accepts_strings = True  # text arrives as NumPy arrays of str
    _casts_integers = False  # integer tokens stay integers

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", salt=None,
                 vocabulary_size=None, has_input_vocabulary=None, **kwargs):
        owner = type(self).__name__
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(
                max_tokens, (int, np.integer)) or max_tokens <= 1):
            raise ValueError(f"{owner}: If set, `max_tokens` must be greater than 1. "
                             f"Received: max_tokens={max_tokens!r}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{owner}: If pad_to_max_tokens is True, must set `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        if isinstance(num_oov_indices, bool) or not isinstance(
                num_oov_indices, (int, np.integer)) or num_oov_indices < 0:
            raise ValueError(f"{owner}: `num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices!r}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{owner}: `oov_method` must be one of 'floormod', 'farmhash'. "
                             f"Received: oov_method={oov_method!r}")
        if salt is not None:
            raise ValueError(f"{owner}: a `salt` (SipHash OOV buckets) is not supported; "
                             f"leave salt=None for FarmHash buckets. Received: salt={salt!r}")
        output_mode = output_mode_argument(output_mode, owner)
        if invert and output_mode != "int":
            raise ValueError(f"{owner}: `output_mode` must be `'int'` when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if sparse:
            raise ValueError(f"{owner}: `sparse=True` is not supported: glassnet has no "
                             f"sparse tensors; the dense output holds the same values. "
                             f"Received: sparse={sparse!r}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{owner}: `idf_weights` should only be set if `output_mode` is "
                             f"`'tf_idf'`. Received: idf_weights={listify(idf_weights)} and "
                             f"output_mode={output_mode}")
        super().__init__(**kwargs)
        self.invert = bool(invert)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = None
        self._has_input_vocabulary = (vocabulary is not None if has_input_vocabulary is None
                                      else bool(has_input_vocabulary))
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError(f"{owner}: When specifying the `vocabulary` argument, in TF-IDF "
                             f"output mode, the `idf_weights` argument must also be provided.")
        self._frozen_vocab_size = vocabulary_size  # known before a vocabulary is (a config)
        self._table = self._make_table([])
        self.idf_weights = None
        self._config_vocabulary = self._config_idf_weights = None
        self._counts = TokenCounts(documents=output_mode == "tf_idf")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- the index layout -------------------------------------------------------------------

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _make_table(self, tokens):
        reserved = {}
        if self.mask_token is not None and not self.invert:
            reserved[self.mask_token] = 0 if self.output_mode == "int" else _DROPPED
        return LookupTable(tokens, self._token_start_index(), reserved)

    def vocabulary_size(self):
        """The size of the vocabulary, the mask and OOV indices included."""
        return len(self._table) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index order; with ``include_special_tokens`` (default) the mask
        and OOV tokens come first, so that a token's position is its index."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._table.tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def _depth(self):
        """The width of encoded outputs; once it has been used (by a call or an output
        shape), the vocabulary may no longer change size (Keras's rule)."""
        if self._frozen_vocab_size is not None:
            self._depth_used = True
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    _depth_used = False

    # -- setting the vocabulary -------------------------------------------------------------

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and, for "tf_idf", the idf weights) directly: a list, tuple,
        1-D array or the path of a text file with one token per line. The mask and OOV
        tokens may lead it, in index order, or be left out."""
        owner = f"{type(self).__name__} '{self.name}'"
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{owner}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{owner}: `idf_weights` should only be set if output_mode is "
                             f"`'tf_idf'`. Received: output_mode={self.output_mode} and "
                             f"idf_weights={listify(idf_weights)}")
        if isinstance(vocabulary, str):
            vocabulary = self._tokens_from_file(read_vocabulary_file(vocabulary, owner))
        tokens = self._vocabulary_tokens(vocabulary)
        if not tokens:
            raise ValueError(f"{owner}: Cannot set an empty vocabulary. Received: "
                             f"vocabulary={tokens}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        found_special = tokens[:token_start] == special
        learned = tokens[token_start:] if found_special else tokens
        repeated = repeated_tokens(learned)
        if repeated:
            raise ValueError(f"{owner}: The passed vocabulary has at least one repeated term. "
                             f"Please uniquify your dataset. The repeated terms are: "
                             f"{repeated}")
        for kind, token in (("mask", self.mask_token),
                            ("OOV", self.oov_token if self.invert else None)):
            if token is not None and token in learned:
                raise ValueError(
                    f"{owner}: Found reserved {kind} token at unexpected location in "
                    f"`vocabulary`. Note that passed `vocabulary` does not need to include the "
                    f"OOV and mask tokens. Either remove all mask and OOV tokens, or include "
                    f"them only at the start of the vocabulary in precisely this order: "
                    f"{special}. Received: {kind.lower()}_token={token!r} at vocabulary "
                    f"index {tokens.index(token) if found_special else learned.index(token)}")
        size = token_start + len(learned)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{owner}: Attempted to set a vocabulary larger than the maximum "
                             f"vocab size. Received vocabulary size is {size}; `max_tokens` "
                             f"is {self.max_tokens}.")
        weights = None
        if self.output_mode == "tf_idf":
            weights = self._idf_argument(idf_weights, len(tokens), owner)
            if not found_special:  # the OOV buckets get the mean weight, as Keras
                weights = np.concatenate([np.full(token_start, weights.mean(), self.dtype),
                                          weights])
        self._set_table(learned, weights)
        self._config_vocabulary = tokens
        self._config_idf_weights = None if weights is None else listify(idf_weights)

    def _idf_argument(self, idf_weights, n_tokens, owner):
        weights = np.asarray(listify(idf_weights), dtype=self.dtype)
        if weights.ndim != 1:
            raise ValueError(f"{owner}: TF-IDF data must be a 1-index array. Received: "
                             f"idf_weights of shape {weights.shape}")
        if len(weights) != n_tokens:
            raise ValueError(f"{owner}: `idf_weights` must be the same length as vocabulary. "
                             f"len(idf_weights) is {len(weights)}; len(vocabulary) is "
                             f"{n_tokens}")
        return weights

    def _set_table(self, tokens, idf_weights):
        self._table = self._make_table(tokens)
        if idf_weights is not None:
            weights = np.asarray(idf_weights, dtype=self.dtype)
            if self.pad_to_max_tokens:  # the unused columns weigh nothing
                weights = np.pad(weights, (0, self.max_tokens - len(weights)))
            self.idf_weights = weights
        self._record_vocabulary_size()

    def _record_vocabulary_size(self):
        size = self.vocabulary_size()
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._depth_used and \
                self._frozen_vocab_size is not None and size != self._frozen_vocab_size:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                f"the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is {size}")
        self._frozen_vocab_size = size

    # -- adapt ------------------------------------------------------------------------------

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data`` (an array or list, a ``Dataset`` of batches, or
        any iterable of batches; ``steps`` batches at most): the most frequent tokens, ties
        broken by the tokens (higher first), at most ``max_tokens`` with the reserved
        indices. Replaces the vocabulary learned before."""
        self.reset_state()
        for batch in adapt_batches(data, batch_size, steps, type(self).__name__):
            self.update_state(batch)
        self.finalize_state()

    def reset_state(self):
        """Forget what ``update_state`` counted."""
        self._counts = TokenCounts(documents=self.output_mode == "tf_idf")

    def update_state(self, data):
        """Count the tokens of one batch (its rows are the documents)."""
        self._refuse_static_vocabulary()
        values, row_lengths = self._adapt_rows(data)
        self._counts.update(values, row_lengths)

    def _refuse_static_vocabulary(self):
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             f"vocabulary via `vocabulary` argument or `set_vocabulary()` "
                             f"method.")

    def _adapt_rows(self, data):
        tokens = self._token_array(data)
        if tokens.ndim == 0:
            tokens = tokens.reshape(1, 1)
        elif tokens.ndim == 1:  # one document
            tokens = tokens[None]
        rows = tokens.reshape(len(tokens), -1)
        return rows.ravel().tolist(), np.full(len(rows), rows.shape[1], dtype=np.int64)

    def finalize_state(self):
        """Build the vocabulary (and idf weights) from the counts."""
        counts = self._counts
        if self._has_input_vocabulary or not counts:
            return
        token_start = self._token_start_index()
        limit = None if self.max_tokens is None else self.max_tokens - token_start
        exclude = [t for t in (self.mask_token, self.oov_token) if t is not None]
        tokens = counts.most_frequent(limit, exclude)
        weights = None
        if self.output_mode == "tf_idf":
            document_counts = [counts.document_counts[t] for t in tokens]
            idf = inverse_document_frequency(document_counts, counts.num_documents)
            idf = idf.astype(self.dtype)
            weights = np.concatenate([np.full(token_start, idf.mean(), self.dtype), idf])
        self._set_table(tokens, weights)
        self._config_vocabulary = tokens
        self._config_idf_weights = None if weights is None else \
            weights[token_start:token_start + len(tokens)].tolist()
        self.reset_state()

    # -- the lookup -------------------------------------------------------------------------

    def _convert_inputs(self, inputs):
        return self._convert_one(one_input(inputs))

    def call(self, inputs):
        if self.invert:
            ids = self._index_array(inputs)
            return self._from_indices(ids)
        tokens = self._token_array(inputs)
        ids = self.lookup_values(tokens.ravel().tolist()).reshape(tokens.shape)
        if self.output_mode == "int":
            return Tensor._from_op(ids, None)
        return Tensor._from_op(self.encode(ids), None)

    def lookup_values(self, values):
        """The indices of ``values`` (a flat list of tokens), OOV and mask rules applied."""
        default = self._oov_start_index() if self.num_oov_indices == 1 else _MISSING
        ids = self._table.lookup(values, default)
        if self.num_oov_indices == 1:
            return ids
        missing = ids == _MISSING
        if not missing.any():
            return ids
        unknown = list(itertools.compress(values, missing))
        if self.num_oov_indices == 0:
            shown = list(dict.fromkeys(unknown))[:10]
            raise ValueError(f"{type(self).__name__} '{self.name}': When `num_oov_indices=0` "
                             f"all inputs should be in vocabulary, found OOV values {shown}, "
                             f"consider setting `num_oov_indices=1`.")
        ids[missing] = self._oov_start_index() + self._oov_buckets(unknown)
        return ids

    def _oov_buckets(self, tokens):
        """The OOV bucket (0 .. num_oov_indices - 1) of each token: FarmHash64 of strings
        (as TensorFlow's ``to_hash_bucket_fast``)."""
        return farmhash.hash_buckets(tokens, self.num_oov_indices)

    def encode(self, ids):
        """Indices (any shape) in the layer's non-"int" ``output_mode``."""
        self._ensure_known_vocab_size()
        depth = self._depth()
        if ids.ndim == 0:
            ids = ids.reshape(1)
        if self.output_mode == "one_hot":
            if ids.ndim > 1 and ids.shape[-1] == 1:
                ids = ids[..., 0]
            flat = ids.ravel()
            out = np.zeros((flat.size, depth), dtype=self.dtype)
            keep = (flat >= 0) & (flat < depth)
            out[np.flatnonzero(keep), flat[keep]] = 1
            return out.reshape(*ids.shape, depth)
        rows = ids.reshape(-1, ids.shape[-1])
        row_ids = np.repeat(np.arange(len(rows)), rows.shape[1])
        out = encode_rows(rows.ravel(), row_ids, len(rows), depth, self.output_mode,
                          self.dtype, self.idf_weights)
        return out.reshape(*ids.shape[:-1], depth)

    def _ensure_known_vocab_size(self):
        if self.output_mode == "tf_idf" and self.idf_weights is None:
            raise RuntimeError(f"{type(self).__name__} '{self.name}': When `output_mode` is "
                               f"`'tf_idf'`, `idf_weights` must be provided: call `adapt`, "
                               f"or pass a `vocabulary` with its `idf_weights`.")
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                f"you must set the layer's vocabulary before calling it. Either pass a "
                f"`vocabulary` argument to the layer, or call `adapt` with some sample data.")

    def _from_indices(self, ids):
        reserved = {0: self.mask_token} if self.mask_token is not None else None
        return self._table.inverse(ids, self.oov_token, reserved)

    def _index_array(self, inputs):
        data = np.asarray(inputs.data if isinstance(inputs, Tensor) else inputs)
        if data.dtype.kind not in "iu":
            raise TypeError(f"{type(self).__name__} '{self.name}' with invert=True expected "
                            f"integer indices; received an array of dtype {data.dtype}")
        return data.astype(np.int64, copy=False)

    # -- shapes and config ------------------------------------------------------------------

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def get_config(self):
        # The vocabulary rides in the config whether it was given or learned (Keras keeps a
        # learned one in an assets file): a config alone rebuilds the layer.
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": listify(self._config_vocabulary),
                "idf_weights": listify(self._config_idf_weights),
                "vocabulary_size": self.vocabulary_size() if len(self._table) else
                self._frozen_vocab_size,
                "oov_method": self.oov_method, "salt": self.salt}
