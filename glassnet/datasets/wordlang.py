"""Which language is a word in? Single words from Debian's word lists in nine languages.

A character-level text classification task that needs no download: the lists live in
``/usr/share/dict`` once their packages are installed::

    apt-get install wamerican wfrench wngerman wspanish witalian wportuguese wdutch \\
        wswedish wpolish

How the words are chosen (all of it deterministic given ``seed``):

- every entry is lowercased and put in Unicode NFC form (German nouns lose their capital, so
  case is no clue);
- entries with a character outside :func:`get_alphabet` (63 lowercase letters) are dropped:
  that removes the English possessives ("aaron's"), abbreviations with dots, hyphenated
  compounds, digits and multi-word Dutch entries; so are entries longer than ``max_length``
  (they are dropped, not truncated, so every sequence is a whole word);
- a word found in the lists of two or more of the chosen languages ("hotel", "pizza",
  "taxi") is ambiguous and is dropped from the data altogether, train and test alike
  (76,202 of the words of at most 16 letters are, among all nine);
- each language contributes the same number of distinct words, drawn uniformly at random
  from what is left, so the majority baseline is exactly ``1 / len(languages)``;
- the split is stratified: ``round(test_split * max_words_per_language)`` words of each
  language go to test, the others to train. A word belongs to one language and is drawn once,
  so no word is in both train and test.

The default, 10,000 words a language, gives 72,000 words to train on and 18,000 to test.
English is the limit: 50,972 of its words are usable at ``max_length=16`` (Spanish 64,793,
the others 97,000 and more).

Words are coded one character per step: 0 is padding (after the word, so position 0 is its
first letter; ``Embedding(mask_zero=True)`` masks it), 1 a character outside the alphabet
(only :func:`encode` of new text produces it), 2... the letters of :func:`get_alphabet`, as
``TextVectorization``/``StringLookup`` number their vocabulary.

Reading is bounded: each list must be a regular file of at most ``MAX_FILE_BYTES``; the 60 MB
Polish list is scanned in slices rather than held as Python strings. The first load of a
setting takes a few seconds; the words it chose are kept in memory for the next call.
"""

from __future__ import annotations

import functools
import numbers
import os
import re
import stat
import unicodedata
from pathlib import Path

import numpy as np

DICT_DIR = Path("/usr/share/dict")
# class name -> (file in DICT_DIR, Debian package that installs it)
LANGUAGES = {
    "english": ("american-english", "wamerican"),
    "french": ("french", "wfrench"),
    "german": ("ngerman", "wngerman"),
    "spanish": ("spanish", "wspanish"),
    "italian": ("italian", "witalian"),
    "portuguese": ("portuguese", "wportuguese"),
    "dutch": ("dutch", "wdutch"),
    "swedish": ("swedish", "wswedish"),
    "polish": ("polish", "wpolish"),
}
CLASS_NAMES = list(LANGUAGES)
class_names = CLASS_NAMES
# Every letter the nine lists use once lowercased (NFC), in code-point order.
ALPHABET = "abcdefghijklmnopqrstuvwxyzßàáâãäåçèéêëìíîïñòóôõöùúûüąćčęłńśşšźż"
PAD, OOV = 0, 1
MAX_FILE_BYTES = 128 * 2**20
SLICE_BYTES = 4 * 2**20  # how much of a list is decoded at a time when scanning it

# code point -> index, for every code point up to the largest letter (others are OOV)
_CODES = np.full(max(map(ord, ALPHABET)) + 1, OOV, np.int32)
_CODES[0] = PAD
_CODES[[ord(c) for c in ALPHABET]] = np.arange(2, len(ALPHABET) + 2)
# index -> code point, for decode (U+FFFD for OOV)
_CHARS = np.array([0, 0xFFFD] + [ord(c) for c in ALPHABET], np.uint32)


def get_alphabet():
    """The letters, in index order: ``get_alphabet()[i]`` is coded ``i + 2``.

    >>> from glassnet.datasets import wordlang
    >>> alphabet = wordlang.get_alphabet()
    >>> len(alphabet), alphabet[:5], alphabet[-3:]
    (63, 'abcde', 'šźż')
    """
    return ALPHABET


def get_vocabulary():
    """Index -> token, Keras's ``get_vocabulary()`` layout: ``["", "[UNK]", "a", ...]``.

    ``len(get_vocabulary())`` is the ``input_dim`` an ``Embedding`` of these codes needs (65).
    """
    return ["", "[UNK]", *ALPHABET]


def _normalize(text):
    """Lowercase then NFC: lowering can leave a decomposed form (``"İ".lower()``)."""
    return unicodedata.normalize("NFC", text.replace("\r", "").lower())


def encode(words, max_length=16):
    """Words -> int32 array (len(words), max_length) of character codes, 0-padded after.

    Words are normalised as the data set's are (lowercase, NFC); a character outside the
    alphabet is coded 1 and a word longer than ``max_length`` is cut to its first
    ``max_length`` characters.

    >>> from glassnet.datasets import wordlang
    >>> wordlang.encode(["Straße", "día"], max_length=7)
    array([[20, 21, 19,  2, 28,  6,  0],
           [ 5, 41,  2,  0,  0,  0,  0]], dtype=int32)
    """
    max_length = _positive_int(max_length, "max_length")
    if isinstance(words, str):
        raise TypeError(f"encode expects a list of words, not one string. Received: "
                        f"words={words!r}")
    words = words.tolist() if isinstance(words, np.ndarray) else list(words)
    # one pass over all the words joined, rather than one normalisation per word
    text = "\n".join(map(str, words))
    if text.count("\n") != max(len(words) - 1, 0):
        raise ValueError("encode expects single words. Received: a word with a line break")
    return _codes(np.asarray(_normalize(text).split("\n") if words else [],
                             dtype=f"<U{max_length}"))


def _codes(words):
    """A str array of normalised words (n,) of width L -> their codes (n, L)."""
    length = words.dtype.itemsize // 4
    points = words.reshape(-1).view(np.uint32).reshape(len(words), length)
    inside = points < len(_CODES)
    return np.where(inside, _CODES[np.where(inside, points, 0)], OOV).astype(np.int32)


def decode(x):
    """Character codes (..., length) -> the words they spell (padding dropped, 1 -> U+FFFD).

    >>> from glassnet.datasets import wordlang
    >>> wordlang.decode(wordlang.encode(["Øl", "word"], max_length=5)).tolist()
    ['�l', 'word']
    """
    x = np.asarray(x)
    if x.ndim < 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"decode expects an integer array of shape (..., length). Received: "
                         f"shape={x.shape}, dtype={x.dtype}")
    if x.size and (x.min() < 0 or x.max() >= len(_CHARS)):
        raise ValueError(f"decode expects codes in [0, {len(_CHARS)}). Received: codes in "
                         f"[{x.min()}, {x.max()}]")
    if x.shape[-1] == 0:
        return np.full(x.shape[:-1], "")
    points = np.ascontiguousarray(_CHARS[x])
    return points.view(f"<U{x.shape[-1]}").reshape(x.shape[:-1])


def load_data(languages=None, max_words_per_language=10_000, max_length=16, test_split=0.2,
              seed=0, words=False):
    """``((x_train, y_train), (x_test, y_test))``: words as character codes, labels as
    language indices.

    Args:
        languages: names from ``CLASS_NAMES`` (default: all nine); label ``i`` is
            ``languages[i]``.
        max_words_per_language: how many distinct words each language contributes.
        max_length: the longest word kept, and the width of ``x``.
        test_split: the fraction of each language's words held out for test.
        seed: fixes which words are drawn, the split and the order.
        words: return the words themselves (a str array) instead of their codes.

    Returns:
        ``x`` int32 of shape (n, max_length) (or str of shape (n,) with ``words=True``),
        ``y`` uint8 of shape (n,). Train has ``(1 - test_split)`` of the words, shuffled.

    Raises:
        FileNotFoundError: a list is not installed (the message names the apt packages).
        ValueError: a bad argument, an unreadable list, or a language with fewer usable
            words than ``max_words_per_language``.

    >>> from glassnet.datasets import wordlang
    >>> (x, y), (x_test, y_test) = wordlang.load_data()  # doctest: +SKIP
    >>> x.shape, y.shape, x_test.shape, float((y_test == 0).mean())  # doctest: +SKIP
    ((72000, 16), (72000,), (18000, 16), 0.111...)
    """
    languages = _languages(languages)
    n = _positive_int(max_words_per_language, "max_words_per_language")
    max_length = _positive_int(max_length, "max_length")
    if (not isinstance(test_split, numbers.Real) or isinstance(test_split, bool)
            or not 0 <= test_split < 1):
        raise ValueError(f"test_split must be a number in [0, 1). Received: "
                         f"test_split={test_split!r}")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    if not isinstance(words, bool):
        raise TypeError(f"words must be True or False. Received: words={words!r}")
    files = _check_files(languages)
    chosen = _choose_words(files, n, max_length, int(seed))
    n_test = int(round(n * test_split))
    rng = np.random.default_rng([int(seed), len(LANGUAGES)])  # a stream apart from the draws
    parts = []
    for held_out in (slice(n_test, None), slice(None, n_test)):
        text = np.concatenate([np.asarray(c[held_out], dtype=f"<U{max_length}")
                               for c in chosen])
        labels = np.repeat(np.arange(len(languages), dtype=np.uint8), len(text) // len(chosen))
        order = rng.permutation(len(text))
        text, labels = text[order], labels[order]
        parts.append((text if words else _codes(text), labels))
    return tuple(parts)


# -- arguments and files ------------------------------------------------------------------

def _positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _languages(languages):
    if languages is None:
        return tuple(CLASS_NAMES)
    if isinstance(languages, str) or not all(isinstance(x, str) for x in languages):
        raise TypeError(f"languages must be a list of names from {CLASS_NAMES}. Received: "
                        f"languages={languages!r}")
    languages = tuple(languages)
    unknown = [x for x in languages if x not in LANGUAGES]
    if unknown or len(set(languages)) != len(languages) or len(languages) < 2:
        raise ValueError(f"languages must be two or more distinct names from {CLASS_NAMES}. "
                         f"Received: languages={list(languages)!r}")
    return languages


def _check_files(languages):
    """(language, path, size, mtime) per language; every missing list named at once."""
    missing = [lang for lang in languages if not (DICT_DIR / LANGUAGES[lang][0]).exists()]
    if missing:
        names = ", ".join(str(DICT_DIR / LANGUAGES[lang][0]) for lang in missing)
        packages = " ".join(LANGUAGES[lang][1] for lang in missing)
        raise FileNotFoundError(f"wordlang: the word list(s) {names} are not installed; "
                                f"install them with: apt-get install {packages}")
    files = []
    for lang in languages:
        path = DICT_DIR / LANGUAGES[lang][0]
        info = os.stat(path)  # follows links (Debian's nederlands -> dutch)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise ValueError(f"wordlang: {path} must be a regular file of at most "
                             f"{MAX_FILE_BYTES} bytes. Received: a "
                             f"{'regular' if stat.S_ISREG(info.st_mode) else 'special'} file "
                             f"of {info.st_size} bytes")
        files.append((lang, str(path), info.st_size, info.st_mtime_ns))
    return tuple(files)


def _read(path):
    """The list's bytes, ending in a newline, read to at most MAX_FILE_BYTES."""
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"wordlang: {path} grew past {MAX_FILE_BYTES} bytes while read")
    if b"\x00" in data:
        raise ValueError(f"wordlang: {path} is not a text word list (it holds NUL bytes)")
    return data if data.endswith(b"\n") else data + b"\n"


def _pieces(data):
    """Byte ranges of a few MB each, cut after a newline."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + SLICE_BYTES) + 1 or len(data)
        yield start, end
        start = end


def _encoding(data):
    """UTF-8 where the bytes are valid UTF-8, else ISO-8859-1 (Debian's wswedish is)."""
    try:
        for start, end in _pieces(data):
            data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return "iso-8859-1"
    return "utf-8"


class _WordList:
    """One list's bytes and where each line starts and ends, for drawing lines at random."""

    def __init__(self, path):
        self.data = _read(path)
        self.encoding = _encoding(self.data)
        self.bytes = np.frombuffer(self.data, np.uint8)
        self.ends = np.flatnonzero(self.bytes == ord("\n"))  # each line's newline
        self.starts = np.concatenate([[0], self.ends[:-1] + 1])

    def __len__(self):
        return len(self.ends)

    def lines(self, rows):
        """The normalised text of lines ``rows``, one per line, in that order."""
        lengths = self.ends[rows] - self.starts[rows] + 1  # with its newline
        offsets = np.cumsum(lengths) - lengths
        index = np.repeat(self.starts[rows] - offsets, lengths) + np.arange(lengths.sum())
        return _normalize(self.bytes[index].tobytes().decode(self.encoding))

    def contained(self, words):
        """Those of ``words`` (a set) that are lines of this list once normalised."""
        found = set()
        for start, end in _pieces(self.data):
            text = _normalize(self.data[start:end].decode(self.encoding))
            found.update(words.intersection(text.split("\n")))
        return found


@functools.lru_cache(maxsize=8)
def _choose_words(files, n, max_length, seed):
    """Per language, the first ``n`` usable words in a seeded random order of its lines.

    Usable: within the alphabet and ``max_length``, not seen before in that order (case
    variants collapse), and in no other chosen language's list. Lines are taken in rounds
    sized from the rate seen so far, so that (usually) one scan of the other lists settles
    every candidate; the result does not depend on the round sizes.
    """
    lists = [_WordList(path) for _, path, _, _ in files]
    valid = re.compile(f"^[{ALPHABET}]{{1,{max_length}}}$", re.MULTILINE)
    orders = [np.random.default_rng([seed, CLASS_NAMES.index(lang)]).permutation(len(wl))
              for (lang, *_), wl in zip(files, lists)]
    taken = [0] * len(files)
    seen = [[] for _ in files]  # distinct valid words drawn so far, in draw order
    kept = [[] for _ in files]
    while True:
        short = [i for i in range(len(files)) if len(kept[i]) < n]
        for i in short:
            if taken[i] == len(lists[i]):
                raise ValueError(
                    f"wordlang: the {files[i][0]} list has only {len(kept[i])} usable words "
                    f"of at most {max_length} letters (unambiguous among "
                    f"{[f[0] for f in files]}). Received: max_words_per_language={n}")
        if not short:
            return tuple(tuple(k[:n]) for k in kept)
        new = [[] for _ in files]
        for i in short:
            rate = len(kept[i]) / taken[i] if kept[i] else 0.5
            count = int((n - len(kept[i])) / max(rate, 0.02) * 1.2) + 256
            rows = orders[i][taken[i]:taken[i] + count]
            taken[i] += len(rows)
            merged = list(dict.fromkeys(seen[i] + valid.findall(lists[i].lines(rows))))
            new[i], seen[i] = merged[len(seen[i]):], merged
        candidates = set().union(*new)
        once, ambiguous = set(), set()  # a drawn word is always in its own list
        for found in (wl.contained(candidates) for wl in lists):
            ambiguous |= once & found
            once |= found
        for i in short:
            drawn = np.array(new[i], dtype=f"<U{max_length}")
            clash = np.isin(drawn, np.array(sorted(ambiguous), dtype=drawn.dtype))
            kept[i] += drawn[~clash].tolist()
