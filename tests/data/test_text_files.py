"""text_dataset_from_directory against Keras 3.15 on TensorFlow 2.21: the expected orders,
splits and labels below are what ``keras.utils.text_dataset_from_directory`` (and Keras's
``index_directory``) gave for the same folder tree."""

import os
import re

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.data.text_files import index_directory, text_dataset_from_directory
from glassnet.nn.layers.text import TextVectorization


@pytest.fixture()
def reviews(tmp_path):
    """neg/ 7 files, pos/ 5 files and pos/sub/deep.TXT, pos/skip.md (not .txt), an empty
    class folder and a hidden folder."""
    for sub in ("neg", "pos/sub", "zz_empty", ".hidden"):
        (tmp_path / sub).mkdir(parents=True)
    for i in range(7):
        (tmp_path / "neg" / f"n{i}.txt").write_text(f"bad movie number {i} awful\n")
    for i in range(5):
        (tmp_path / "pos" / f"p{i}.txt").write_text(f"good film {i} great\n")
    (tmp_path / "pos" / "sub" / "deep.TXT").write_text("nested great ünïcode\n")
    (tmp_path / "pos" / "skip.md").write_text("ignored\n")
    (tmp_path / ".hidden" / "h.txt").write_text("hidden\n")
    return tmp_path


def as_lists(ds):
    return [tuple(a.tolist() for a in b) if isinstance(b, tuple) else b.tolist()
            for b in ds.as_numpy_iterator()]


def test_unshuffled_batches(reviews, capsys):
    ds = text_dataset_from_directory(reviews, shuffle=False, batch_size=4)
    assert capsys.readouterr().out == "Found 13 files belonging to 3 classes.\n"
    assert ds.class_names == ["neg", "pos", "zz_empty"]
    got = as_lists(ds)
    assert [len(x) for x, _ in got] == [4, 4, 4, 1]
    assert got[0] == ([f"bad movie number {i} awful\n" for i in range(4)], [0, 0, 0, 0])
    assert got[1][1] == [0, 0, 0, 1] and got[2][1] == [1, 1, 1, 1]
    assert got[3] == (["nested great ünïcode\n"], [1])
    x, y = next(ds.as_numpy_iterator())
    assert x.dtype.kind == "U" and y.dtype == np.int32


def test_shuffled_order_is_keras(reviews):
    expected = {
        1: (["neg/n2.txt", "neg/n3.txt", "neg/n4.txt", "pos/p3.txt", "neg/n1.txt",
             "neg/n6.txt", "neg/n0.txt", "pos/p0.txt", "pos/sub/deep.TXT", "pos/p2.txt",
             "pos/p1.txt", "pos/p4.txt", "neg/n5.txt"],
            [0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]),
        7: (["pos/p1.txt", "pos/p3.txt", "neg/n2.txt", "neg/n5.txt", "neg/n0.txt",
             "neg/n1.txt", "pos/sub/deep.TXT", "pos/p0.txt", "pos/p4.txt", "neg/n3.txt",
             "neg/n6.txt", "pos/p2.txt", "neg/n4.txt"],
            [1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0])}
    for seed, (order, labels) in expected.items():
        paths, found, names = index_directory(reviews, "inferred", (".txt",), seed=seed,
                                              verbose=False)
        assert [os.path.relpath(p, reviews) for p in paths] == order
        assert found.tolist() == labels and names == ["neg", "pos", "zz_empty"]


def test_validation_split_takes_the_same_files_as_keras(reviews, capsys):
    train, val = text_dataset_from_directory(reviews, validation_split=0.25, subset="both",
                                             seed=7, batch_size=2)
    assert capsys.readouterr().out == ("Found 13 files belonging to 3 classes.\n"
                                       "Using 10 files for training.\n"
                                       "Using 3 files for validation.\n")
    val_texts = sorted(t for x, _ in as_lists(val) for t in x)
    assert val_texts == ["bad movie number 4 awful\n", "bad movie number 6 awful\n",
                         "good film 2 great\n"]
    train_texts = sorted(t for x, _ in as_lists(train) for t in x)
    assert len(train_texts) == 10 and not set(train_texts) & set(val_texts)
    alone = text_dataset_from_directory(reviews, validation_split=0.25, subset="validation",
                                        seed=7, verbose=False)
    assert sorted(t for x, _ in as_lists(alone) for t in x) == val_texts
    # the training set is reshuffled every pass, reproducibly
    first, second = ([t for x, _ in as_lists(train) for t in x] for _ in range(2))
    assert first != second and sorted(first) == sorted(second)


def test_label_modes_class_names_and_max_length(reviews):
    ds = text_dataset_from_directory(reviews, shuffle=False, batch_size=None,
                                     label_mode="categorical", max_length=9, verbose=False)
    assert as_lists(ds)[:3] == [("bad movie", [1.0, 0.0, 0.0])] * 3
    binary = text_dataset_from_directory(reviews, shuffle=False, label_mode="binary",
                                         class_names=["neg", "pos"], verbose=False)
    (_, y), = binary.as_numpy_iterator()
    assert y.dtype == np.float32 and y.tolist() == [[0.0]] * 7 + [[1.0]] * 6
    ordered = text_dataset_from_directory(reviews, shuffle=False, class_names=["pos", "neg"],
                                          verbose=False)
    assert as_lists(ordered)[0][1] == [0] * 6 + [1] * 7
    texts = text_dataset_from_directory(reviews, shuffle=False, labels=None, batch_size=None,
                                        verbose=False)
    assert len(as_lists(texts)) == 14  # no classes: every .txt below, hidden folders too
    # a cut inside a character keeps the whole characters before it
    cut = text_dataset_from_directory(reviews, shuffle=False, batch_size=None,
                                      max_length=14, verbose=False)
    assert as_lists(cut)[-1] == ("nested great ", 1)


def test_explicit_labels(reviews, capsys):
    ds = text_dataset_from_directory(reviews / "neg", labels=[0, 1, 0, 1, 0, 1, 1],
                                     shuffle=False)
    assert capsys.readouterr().out == "Found 7 files belonging to 2 classes.\n"
    assert ds.class_names == ["0", "1"]
    assert as_lists(ds)[0][1] == [0, 1, 0, 1, 0, 1, 1]


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(label_mode="sparse"), ValueError, "`label_mode` argument must be one of"),
    (dict(labels="folders"), ValueError, "`labels` argument should be a list/tuple"),
    (dict(validation_split=0.2), ValueError, "If `subset` is set, `validation_split` must be "
                                             "set, and inversely"),
    (dict(subset="training"), ValueError, "If `subset` is set, `validation_split` must be set"),
    (dict(validation_split=0.2, subset="training"), ValueError, "you must provide a `seed`"),
    (dict(validation_split=1.5, subset="training", seed=1), ValueError,
     "`validation_split` must be between 0 and 1"),
    (dict(validation_split=0.2, subset="test", seed=1), ValueError,
     "`subset` must be either \"training\", \"validation\" or \"both\""),
    (dict(class_names=["pos", "cats"]), ValueError, "The `class_names` passed did not match"),
    (dict(label_mode="binary"), ValueError, "there must be exactly 2 class_names. Received: "
                                            "class_names=['neg', 'pos', 'zz_empty']"),
    (dict(labels=[0, 1]), ValueError, "Expected the lengths of `labels` to match the number "
                                      "of files in the target directory. len(labels) is 2 "
                                      "while we found 14 files"),
    (dict(labels=[0] * 14, class_names=["a"]), ValueError, "You can only pass `class_names` "
                                                           "if `labels=\"inferred\"`"),
    (dict(batch_size=0), ValueError, "`batch_size` must be None or a positive integer"),
    (dict(max_length=2.5), TypeError, "`max_length` must be None or a positive integer"),
    (dict(class_names=["zz_empty"]), ValueError, "No text files found in directory"),
])
def test_bad_arguments(reviews, kwargs, error, words):
    with pytest.raises(error, match=re.escape(words)):
        text_dataset_from_directory(reviews, verbose=False, **kwargs)


def test_not_a_directory(tmp_path):
    with pytest.raises(ValueError, match="`directory` must be a folder"):
        text_dataset_from_directory(tmp_path / "missing")


def test_text_classifier_trains_on_a_folder(tmp_path):
    glassnet.seed(0)
    words = {"neg": ["awful", "boring", "dull", "worst", "bad"],
             "pos": ["great", "lovely", "best", "fun", "good"]}
    rng = np.random.default_rng(0)
    for label, vocab in words.items():
        (tmp_path / label).mkdir()
        for i in range(24):
            text = " ".join(rng.choice(vocab + ["the", "film", "was"], size=6))
            (tmp_path / label / f"{i}.txt").write_text(text.capitalize() + ".")
    train, val = text_dataset_from_directory(tmp_path, batch_size=8, validation_split=0.25,
                                             subset="both", seed=3, verbose=False)
    vectorizer = TextVectorization(max_tokens=50, output_sequence_length=8)
    vectorizer.adapt(train.map(lambda x, y: x))
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorizer,
                              keras.layers.Embedding(50, 8),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(train, epochs=15, verbose=0)
    _, accuracy = model.evaluate(val, verbose=0)
    assert accuracy >= 0.9
