"""Dataset shuffle, cache and prefetch (semantics, seeds, threads, files), the fast batch
path, and Datasets fed to fit / evaluate / predict."""

import gc
import threading
import time

import numpy as np
import pytest

import glassnet as tf
from glassnet import keras
from glassnet.data import Dataset

D = Dataset


def flat(ds):
    return np.concatenate([np.atleast_1d(b) for b in ds.as_numpy_iterator()]).tolist()


# -- shuffle ------------------------------------------------------------------------------

def test_shuffle_is_a_permutation_reshuffled_each_pass_and_seeded():
    ds = D.range(100).shuffle(100, seed=3)
    first, second = flat(ds), flat(ds)
    assert sorted(first) == list(range(100)) and first != second
    assert flat(D.range(100).shuffle(100, seed=3)) == first  # same seed, same orders
    fixed = D.range(100).shuffle(100, seed=3, reshuffle_each_iteration=False)
    assert flat(fixed) == flat(fixed)
    tf.seed(1)
    a = flat(D.range(50).shuffle(50))
    tf.seed(1)
    assert flat(D.range(50).shuffle(50)) == a


def test_small_buffer_keeps_tf_semantics():
    # With a buffer of 2 the first element out is one of the first two in.
    firsts = {flat(D.range(10).shuffle(2, seed=s))[0] for s in range(40)}
    assert firsts == {0, 1}
    # An element cannot come out more than (buffer_size - 1) places early...
    out = flat(D.range(1000).shuffle(10, seed=0))
    assert sorted(out) == list(range(1000))
    assert (np.argsort(out) - np.arange(1000)).min() == -9
    # ... and the array fast path (index shuffling) equals the element path for one seed.
    mapped = D.range(1000).map(lambda x: x).shuffle(10, seed=0)
    assert flat(mapped) == out
    assert flat(D.range(20).shuffle(5, seed=2).batch(3)) == flat(D.range(20).shuffle(5, seed=2))


def test_full_buffer_shuffle_is_uniform():
    counts = np.zeros((4, 4))
    for s in range(800):
        counts[np.arange(4), flat(D.range(4).shuffle(4, seed=s))] += 1
    assert np.all(np.abs(counts / 800 - 0.25) < 0.06)  # each value in each place 1/4


def test_fast_batch_path_keeps_features_with_labels():
    x = np.arange(60, dtype=np.float32).reshape(20, 3)
    y = np.arange(20)
    ds = D.from_tensor_slices((x, y)).shuffle(20, seed=0).repeat(2).batch(7)
    batches = list(ds.as_numpy_iterator())
    assert [len(b[1]) for b in batches] == [7, 7, 7, 7, 7, 5]
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, x[yb])
    labels = np.concatenate([b[1] for b in batches])
    assert sorted(labels[:20]) == list(range(20)) != labels[:20].tolist()
    unshuffled = next(D.from_tensor_slices(x).batch(4).as_numpy_iterator())
    assert np.shares_memory(unshuffled, x)  # consecutive rows: a view, no copy


def test_shuffle_arguments():
    with pytest.raises(ValueError, match="buffer_size` must be a positive integer"):
        D.range(3).shuffle(0)
    with pytest.raises(TypeError, match="buffer_size"):
        D.range(3).shuffle(2.5)


# -- cache ---------------------------------------------------------------------------------

def test_memory_cache_runs_the_input_once():
    calls = []

    def record(x):
        calls.append(int(x))
        return x * 2
    ds = D.range(5).map(record).cache()
    assert flat(ds.take(2)) == [0, 2]  # an abandoned pass caches nothing
    assert flat(ds) == [0, 2, 4, 6, 8] and flat(ds) == [0, 2, 4, 6, 8]
    assert calls == [0, 1, 0, 1, 2, 3, 4]
    shuffled = flat(ds.shuffle(5, seed=0).batch(2))  # the cached arrays take the fast path
    assert sorted(shuffled) == [0, 2, 4, 6, 8] and calls == [0, 1, 0, 1, 2, 3, 4]


def test_file_cache_is_reused_and_never_pickled(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from ([1], [2, 3])
    path = tmp_path / "cache"
    ds = D.from_generator(gen, output_types="int32").cache(str(path))
    assert [a.tolist() for a in ds.as_numpy_iterator()] == [[1], [2, 3]]
    assert (tmp_path / "cache.npz").exists()
    with np.load(tmp_path / "cache.npz", allow_pickle=False) as f:
        assert "structure" in f.files
    again = D.from_generator(gen, output_types="int32").cache(str(path))
    assert [a.tolist() for a in again.as_numpy_iterator()] == [[1], [2, 3]] and calls == [1]
    pairs = D.from_tensor_slices(({"a": np.arange(3)}, np.ones(3))).cache(tmp_path / "p")
    list(pairs)
    reread = D.from_tensor_slices(({"a": np.zeros(3)}, np.zeros(3))).cache(tmp_path / "p")
    assert [e[0]["a"] for e in reread.as_numpy_iterator()] == [0, 1, 2]


# -- prefetch ------------------------------------------------------------------------------

def test_prefetch_yields_everything_and_reraises_producer_errors():
    assert flat(D.range(100).batch(7).prefetch(tf.data.AUTOTUNE)) == list(range(100))

    def boom(x):
        if int(x) == 5:
            raise KeyError("bad element")
        return x
    with pytest.raises(KeyError, match="bad element"):
        list(D.range(10).map(boom).prefetch(2))
    with pytest.raises(ValueError, match="buffer_size"):
        D.range(3).prefetch(-5)


def producers():
    """The prefetch threads alive now."""
    return [t for t in threading.enumerate() if t.name == "glassnet-prefetch"]


def _assert_producers_stop(before, seconds=3):
    gc.collect()
    deadline = time.time() + seconds
    while len(producers()) > before and time.time() < deadline:
        time.sleep(0.02)
    assert len(producers()) == before


def test_prefetch_thread_stops_when_the_iterator_is_dropped():
    before = len(producers())
    iterator = iter(D.range(10 ** 9).prefetch(3))
    next(iterator)
    assert len(producers()) == before + 1
    del iterator
    _assert_producers_stop(before)


def test_prefetch_reads_in_memory_batches_inline_and_runs_user_code_ahead():
    before = len(producers())
    x = np.arange(40.0).reshape(20, 2)
    inline = iter(D.from_tensor_slices((x, np.arange(20))).shuffle(20, seed=1).batch(4)
                  .prefetch(2))
    first = next(inline)
    assert len(producers()) == before  # one gather per batch: no thread
    assert first[0].shape == (4, 2)
    ahead = iter(D.from_tensor_slices(x).map(lambda v: v * 2).batch(4).prefetch(2))
    np.testing.assert_array_equal(next(ahead).numpy(), x[:4] * 2)
    assert len(producers()) == before + 1  # a user's function: run by the producer thread
    del ahead
    gc.collect()


# -- fit / evaluate / predict ----------------------------------------------------------------

def _model(inputs=4):
    tf.seed(0)
    model = keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def test_fit_evaluate_predict_on_datasets():
    model = _model()
    ds = D.from_tensor_slices((X, Y)).shuffle(96).batch(16).prefetch(tf.data.AUTOTUNE)
    history = model.fit(ds, epochs=3, verbose=0,
                        validation_data=D.from_tensor_slices((X, Y)).batch(32))
    assert len(history.history["loss"]) == 3 and "val_accuracy" in history.history
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(D.from_tensor_slices((X, Y)).batch(32), verbose=0)
    expected = model.evaluate(X, Y, verbose=0)
    np.testing.assert_allclose([loss, accuracy], expected, rtol=1e-5)
    predicted = model.predict(D.from_tensor_slices(X).batch(40), verbose=0)
    np.testing.assert_allclose(predicted, model.predict(X, verbose=0), rtol=1e-5)
    weighted = D.from_tensor_slices((X, Y, np.ones(96, np.float32))).batch(32)
    np.testing.assert_allclose(model.evaluate(weighted, verbose=0), expected, rtol=1e-5)


def test_fit_on_infinite_datasets_and_errors():
    model = _model()
    ds = D.from_tensor_slices((X, Y)).batch(16)
    history = model.fit(ds.repeat(), epochs=2, steps_per_epoch=4, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="infinite.*steps_per_epoch"):
        model.fit(ds.repeat(), verbose=0)
    with pytest.warns(UserWarning, match="batch_size=16 is ignored: a Dataset yields"):
        model.fit(ds, batch_size=16, verbose=0)  # as Keras 3: trains on the Dataset's batches
    n = ds.cardinality()  # a 0-d tensor, usable as a count (the transfer-learning split)
    assert len(list(ds.skip(n // 5))) == len(list(ds)) - int(n) // 5
    assert len(list(D.range(3).flat_map(lambda x: D.from_tensors(x).repeat(x + 1)))) == 6
    with pytest.raises(ValueError, match="call .batch"):
        model.fit(D.from_tensor_slices((X[:, 0], Y)), verbose=0)  # scalars: not batches
    with pytest.raises(ValueError, match="DataLoader"):
        model.fit(tf.data.ArrayDataset(X, Y), verbose=0)
    # an unknown length (filter) is read to its end every epoch
    filtered = D.from_tensor_slices((X, Y)).filter(lambda x, y: y >= 0).batch(32)
    assert len(model.fit(filtered, epochs=2, verbose=0).history["loss"]) == 2
    # a DataLoader still works
    loader = tf.data.DataLoader(tf.data.ArrayDataset(X, Y), batch_size=32, shuffle=True)
    assert len(model.fit(loader, epochs=2, verbose=0).history["loss"]) == 2


def test_dict_inputs_and_train_on_batch_with_tensors():
    a = keras.Input((4,), name="a")
    b = keras.Input((2,), name="b")
    merged = keras.layers.Concatenate()([a, b])
    model = keras.Model([a, b], keras.layers.Dense(2, activation="softmax")(merged))
    model.compile("adam", "sparse_categorical_crossentropy")
    data = D.from_tensor_slices(({"a": X, "b": X[:, :2] * 2}, Y)).batch(32)
    assert len(model.fit(data, epochs=2, verbose=0).history["loss"]) == 2
    model = _model()
    for xb, yb in D.from_tensor_slices((X, Y)).batch(32).take(2):
        loss = model.train_on_batch(xb, yb)
        assert np.isfinite(loss[0] if isinstance(loss, list) else loss)


def test_interleave_stopped_early_closes_its_inner_prefetch_threads():
    before = len(producers())
    ds = D.range(4).interleave(lambda x: D.range(10 ** 6).map(lambda v: v + x).prefetch(2),
                               cycle_length=2)
    iterator = iter(ds)
    next(iterator), next(iterator)
    assert len(producers()) == before + 2
    del iterator
    _assert_producers_stop(before)
