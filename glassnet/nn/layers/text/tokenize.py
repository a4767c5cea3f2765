"""The string steps of ``TextVectorization``, as TensorFlow's ops do them:

- "lower": ASCII letters lower-cased, others kept (``tf.strings.lower``: "ÉCOLE" -> "École");
- "strip_punctuation": the ASCII punctuation ``!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'`` removed;
- "whitespace": split on runs of ASCII whitespace (space, \\t, \\n, \\r, \\v, \\f), ends
  stripped; other Unicode spaces (U+00A0, U+3000, ...) stay inside tokens;
- "character": one token per code point, whitespace included;
- n-grams: per row, all the n-grams of each width in turn, words joined by a space.

A batch is standardized as one string (the texts joined by a separator character none of
them holds), so lower-casing and the punctuation regex each run once, in C, over the whole
batch; splitting maps ``str.split`` (or the token regex, when the text holds Unicode spaces
that ``str.split`` would split at) over the strings, with no Python-level loop either. A
tokenized batch is "ragged": a flat list of tokens and each row's length.

>>> split(standardize(["The cat sat.", "A dog!"], "lower_and_strip_punctuation"),
...       "whitespace")
(['the', 'cat', 'sat', 'a', 'dog'], array([3, 2]))
"""

from __future__ import annotations

import itertools
import re

import numpy as np

__all__ = ["ngrams", "split", "standardize"]

PUNCTUATION = re.compile(r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']+')
_TOKEN = re.compile(r"[^ \t\n\r\x0b\x0c]+")  # a run of anything but ASCII whitespace
# what str.isspace() calls whitespace beyond ASCII's
_UNICODE_SPACE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                            "\u205f\u3000]")
# Separators: control and private-use characters, none of them whitespace or punctuation
# (not NUL: NumPy strips trailing NULs from its strings).
_SEPARATORS = ("\x01", "\x02", "\x03", "\x04", "\ue000", "\ue001", "\U0010fffd")


def _join(texts):
    """(separator, the texts joined by it), the separator being absent from every text."""
    for sep in _SEPARATORS:
        joined = sep.join(texts)
        if joined.count(sep) == len(texts) - 1:
            return sep, joined
    raise ValueError("TextVectorization: the texts hold every separator character tried "
                     f"({[hex(ord(s)) for s in _SEPARATORS]}); cannot tokenize them")


def _standardized(joined, mode):
    if mode in ("lower", "lower_and_strip_punctuation"):
        # bytes.lower() touches ASCII letters only, as tf.strings.lower
        joined = joined.encode("utf-8", "surrogatepass").lower().decode("utf-8",
                                                                         "surrogatepass")
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        joined = PUNCTUATION.sub("", joined)
    return joined


def standardize(texts, mode):
    """``texts`` (a list of str) standardized by ``mode`` ("lower", "strip_punctuation",
    "lower_and_strip_punctuation" or None)."""
    if mode is None or not texts:
        return list(texts)
    sep, joined = _join(texts)
    return _standardized(joined, mode).split(sep)


def split(texts, mode):
    """``texts`` split by ``mode`` ("whitespace" or "character"): (tokens, row lengths)."""
    if mode == "whitespace":
        # str.split is the fast path, but it also splits at Unicode spaces TensorFlow keeps
        exotic = any(map(_UNICODE_SPACE.search, texts))
        rows = map(_TOKEN.findall if exotic else str.split, texts)
    else:
        rows = map(list, texts)
    return ragged_rows(list(rows), "TextVectorization")


def ragged_rows(pieces, owner):
    """The (tokens, row lengths) of a callable ``split``'s result: one sequence of tokens
    per row."""
    try:
        lengths = np.fromiter(map(len, pieces), dtype=np.int64)
    except TypeError:
        raise TypeError(f"{owner}: a callable `split` must return one sequence of tokens per "
                        f"input string; received {type(pieces).__name__}") from None
    values = list(itertools.chain.from_iterable(pieces))
    return [v.decode("utf-8") if isinstance(v, bytes) else v for v in values] \
        if values and isinstance(values[0], bytes) else values, lengths


def ngrams(values, row_lengths, widths):
    """Each row's n-grams for each width of ``widths`` in turn (Keras's order: the row's
    1-grams, then its 2-grams, ...), words joined by a space: (tokens, row lengths)."""
    tokens = np.array(values, dtype=object)
    n_rows = len(row_lengths)
    starts = np.cumsum(row_lengths) - row_lengths
    row = np.repeat(np.arange(n_rows), row_lengths)
    pos = np.arange(len(tokens)) - starts[row]
    pieces, rows, ranks, positions = [], [], [], []
    for rank, width in enumerate(widths):  # one vectorized pass per n-gram width
        first = np.flatnonzero(pos + width <= row_lengths[row])
        gram = tokens[first]
        for k in range(1, width):
            gram = gram + " " + tokens[first + k]
        pieces.append(gram)
        rows.append(row[first])
        ranks.append(np.full(len(first), rank))
        positions.append(pos[first])
    rows, ranks, positions = (np.concatenate(a) for a in (rows, ranks, positions))
    order = np.lexsort((positions, ranks, rows))
    return np.concatenate(pieces)[order].tolist(), np.bincount(rows, minlength=n_rows)
