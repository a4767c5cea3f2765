"""The word-language data set: small made-up lists for the rules, Debian's lists for the rest."""

import unicodedata

import numpy as np
import pytest

from glassnet.datasets import wordlang

REAL_LISTS = all((wordlang.DICT_DIR / f).exists() for f, _ in wordlang.LANGUAGES.values())
needs_lists = pytest.mark.skipif(not REAL_LISTS, reason="Debian's word lists are not installed "
                                 "(apt-get install wamerican wfrench wngerman ...)")


@pytest.fixture(autouse=True)
def fresh_draws():
    """Draws are kept in memory per setting: clear them so each test reads the files."""
    wordlang._choose_words.cache_clear()
    yield
    wordlang._choose_words.cache_clear()


def made_up_words(letters, count, seed):
    """``count`` distinct lowercase words of 3-8 letters drawn from ``letters``."""
    rng = np.random.default_rng(seed)
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(list(letters), rng.integers(3, 9))))
    return sorted(words)


@pytest.fixture
def lists(tmp_path, monkeypatch):
    """English, French and German lists of 300 words each that share nothing by construction
    (disjoint letters), plus the shared words and entries to be dropped the tests look for."""
    monkeypatch.setattr(wordlang, "DICT_DIR", tmp_path)
    english = made_up_words("abcdefg", 300, 0) + ["Shared", "aaron's", "hyphen-ated", "a b",
                                                   "Caps", "caps"]
    french = made_up_words("hijklmn", 300, 1) + ["shared", "e\u0301te\u0301", "trèslongmotici"]
    german = made_up_words("opqrstu", 300, 2) + ["Straße", "zoo"]
    (tmp_path / "american-english").write_text("\n".join(english) + "\n")
    (tmp_path / "french").write_text("\n".join(french))  # no final newline
    (tmp_path / "ngerman").write_text("\r\n".join(german) + "\r\n")
    return {"english": english, "french": french, "german": german}


def load(**kwargs):
    kwargs.setdefault("languages", ["english", "french", "german"])
    kwargs.setdefault("max_words_per_language", 200)
    kwargs.setdefault("max_length", 12)
    return wordlang.load_data(**kwargs)


def test_shapes_codes_and_a_balanced_stratified_split(lists):
    (x, y), (x_test, y_test) = load(test_split=0.25)
    assert x.shape == (450, 12) and x.dtype == np.int32 and y.dtype == np.uint8
    assert x_test.shape == (150, 12) and y_test.shape == (150,)
    assert np.bincount(y).tolist() == [150, 150, 150]  # majority baseline exactly 1/3
    assert np.bincount(y_test).tolist() == [50, 50, 50]
    assert x.min() == 0 and x.max() < len(wordlang.get_vocabulary())
    assert not (x == wordlang.OOV).any()
    # 0 pads after the word: once a row has a 0, the rest of it is 0
    padding = x == 0
    assert (padding[:, 1:] >= padding[:, :-1]).all() and not padding[:, 0].any()
    assert len(set(y[:50].tolist())) == 3  # shuffled, not in blocks


def test_labels_follow_the_given_order(lists):
    (words, y), _ = load(languages=["german", "english"], words=True, max_words_per_language=50)
    german = {w.lower() for w in lists["german"]}
    assert all((w in german) == (label == 0) for w, label in zip(words.tolist(), y))


def test_words_option_gives_the_strings_the_codes_spell(lists):
    (x, y), (x_test, y_test) = load(seed=3)
    (w, wy), (w_test, wy_test) = load(seed=3, words=True)
    assert w.dtype.kind == "U" and w.shape == (480,)
    np.testing.assert_array_equal(wordlang.decode(x), w)
    np.testing.assert_array_equal(wordlang.encode(w_test, max_length=12), x_test)
    np.testing.assert_array_equal(y, wy)
    np.testing.assert_array_equal(y_test, wy_test)


def test_no_word_is_in_both_train_and_test_nor_twice(lists):
    (train, _), (test, _) = load(words=True, max_words_per_language=306 - 6)
    assert not set(train.tolist()) & set(test.tolist())
    both = np.concatenate([train, test])
    assert len(set(both.tolist())) == len(both)


def test_normalised_lowercase_nfc_and_dropped_entries(lists):
    (train, y), (test, y_test) = load(words=True, max_words_per_language=300, test_split=0.1)
    words = set(train.tolist()) | set(test.tolist())
    assert all(w == unicodedata.normalize("NFC", w.lower()) for w in words)
    assert "straße" in words  # lowercased, CRLF line ends stripped
    assert "été" in words  # decomposed e + U+0301 became the single letter é
    # the word two lists share is ambiguous: it is in neither train nor test
    assert "shared" not in words
    # possessives, hyphens, spaces and words over max_length are dropped; case variants
    # ("Caps", "caps") are one word
    for dropped in ("aaron's", "aaron", "hyphen-ated", "a b", "trèslongmotici"):
        assert dropped not in words
    assert sum(w == "caps" for w in words) <= 1


def test_a_longer_max_length_keeps_longer_words(lists):
    (train, _), (test, _) = load(languages=["french", "german"], words=True, max_length=16,
                                 max_words_per_language=302, test_split=0.5)
    assert "trèslongmotici" in set(train.tolist()) | set(test.tolist())


def test_the_same_seed_draws_the_same_data_and_another_seed_other_words(lists):
    first = load(seed=5, words=True)
    wordlang._choose_words.cache_clear()
    again = load(seed=5, words=True)
    other = load(seed=6, words=True)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    assert set(first[1][0].tolist()) != set(other[1][0].tolist())


def test_a_latin1_list_is_read(lists, tmp_path):
    words = made_up_words("vwxyz", 40, 4) + ["fåglarnas", "öga"]
    (tmp_path / "swedish").write_bytes("\n".join(words).encode("iso-8859-1"))
    (train, y), (test, y_test) = load(languages=["swedish", "english"], words=True,
                                      max_words_per_language=42, test_split=0.5)
    swedish = set(train[y == 0].tolist()) | set(test[y_test == 0].tolist())
    assert {"fåglarnas", "öga"} <= swedish


def test_a_missing_list_names_its_package(lists):
    with pytest.raises(FileNotFoundError, match=r"apt-get install wspanish wpolish$"):
        load(languages=["english", "spanish", "polish"])


def test_too_few_usable_words_is_an_error_naming_the_language(lists):
    with pytest.raises(ValueError, match=r"english list has only 301 usable words.*"
                                         r"max_words_per_language=400"):
        load(max_words_per_language=400)


def test_lists_must_be_small_regular_files(lists, tmp_path, monkeypatch):
    monkeypatch.setattr(wordlang, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ValueError, match=r"at most 1000 bytes. Received: a regular file"):
        load()
    monkeypatch.undo()
    monkeypatch.setattr(wordlang, "DICT_DIR", tmp_path)
    (tmp_path / "french").unlink()
    (tmp_path / "french").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match=r"Received: a special file"):
        load()


@pytest.mark.parametrize("kwargs, message", [
    ({"languages": ["english"]}, "two or more distinct names"),
    ({"languages": ["english", "english"]}, "two or more distinct names"),
    ({"languages": ["english", "klingon"]}, r"Received: languages=\['english', 'klingon'\]"),
    ({"max_words_per_language": 0}, "max_words_per_language must be a positive integer"),
    ({"max_words_per_language": 2.5}, "Received: max_words_per_language=2.5"),
    ({"max_length": True}, "max_length must be a positive integer"),
    ({"test_split": 1.0}, r"test_split must be a number in \[0, 1\)"),
    ({"seed": -1}, "seed must be a non-negative integer"),
])
def test_bad_arguments_are_named(lists, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load(**kwargs)


def test_bad_argument_types_are_named(lists):
    with pytest.raises(TypeError, match="languages must be a list of names"):
        load(languages="english")
    with pytest.raises(TypeError, match="words must be True or False"):
        load(words="yes")
    with pytest.raises(TypeError, match="encode expects a list of words"):
        wordlang.encode("word")
    with pytest.raises(ValueError, match="encode expects single words"):
        wordlang.encode(["two\nwords"])
    with pytest.raises(ValueError, match=r"decode expects codes in \[0, 65\)"):
        wordlang.decode(np.array([[70]]))


def test_encode_and_decode():
    vocabulary = wordlang.get_vocabulary()
    assert vocabulary[:3] == ["", "[UNK]", "a"] and len(vocabulary) == 65
    codes = wordlang.encode(["Żółw", "naïve", "x1", "abcdefgh"], max_length=5)
    assert [vocabulary[i] for i in codes[0, :4]] == list("żółw")
    assert codes[2].tolist() == [vocabulary.index("x"), wordlang.OOV, 0, 0, 0]
    assert wordlang.decode(codes).tolist() == ["żółw", "naïve", "x\ufffd", "abcde"]


def test_test_split_zero_leaves_an_empty_test_set(lists):
    (x, y), (x_test, y_test) = load(test_split=0)
    assert x.shape == (600, 12) and x_test.shape == (0, 12) and y_test.shape == (0,)


@needs_lists
def test_debian_lists_nine_balanced_languages():
    (x, y), (x_test, y_test) = wordlang.load_data()
    assert x.shape == (72000, 16) and x_test.shape == (18000, 16)
    assert np.bincount(y).tolist() == [8000] * 9
    assert np.bincount(y_test).tolist() == [2000] * 9  # majority baseline: 1/9
    (words, _), (test_words, _) = wordlang.load_data(words=True)
    np.testing.assert_array_equal(wordlang.decode(x), words)
    assert not set(words.tolist()) & set(test_words.tolist())
    # words in two languages' lists are out, the ones that are only one language's stay
    everything = set(words.tolist()) | set(test_words.tolist())
    assert len(everything) == 90000
    assert not everything & {"hotel", "pizza", "radio", "taxi", "film"}


@needs_lists
def test_debian_lists_draws_repeat_with_the_seed():
    kwargs = dict(languages=["english", "spanish"], max_words_per_language=3000, seed=7,
                  words=True)
    (a, ya), _ = wordlang.load_data(**kwargs)
    wordlang._choose_words.cache_clear()
    (b, yb), _ = wordlang.load_data(**kwargs)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not any(w.endswith("'s") or "'" in w for w in a.tolist())
