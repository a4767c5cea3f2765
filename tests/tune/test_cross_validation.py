"""cross_validate: folds as scikit-learn's (Stratified)KFold make them, one fresh model per
fold, and the mean and std of evaluate's metrics."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from glassnet import keras  # noqa: E402
from glassnet.tune import cross_validate  # noqa: E402


def build():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data(n=150):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [n // 2, n // 3, n - n // 2 - n // 3])
    x = rng.normal(size=(n, 4)).astype("float32") + np.eye(3, 4, dtype="float32")[y] * 2
    return x, y


def test_folds_are_stratified_and_each_is_evaluated_on_its_own_part():
    x, y = _data()
    sizes, seen = [], []

    def build_recording():
        model = build()
        original = model.evaluate

        def evaluate(xs, ys, **kwargs):
            sizes.append(np.bincount(ys, minlength=3))
            seen.append(xs.copy())
            return original(xs, ys, **kwargs)

        model.evaluate = evaluate
        return model

    result = cross_validate(build_recording, x, y, n_splits=5, epochs=5, seed=0)
    expected = [np.bincount(y[test], minlength=3) for _, test in
                StratifiedKFold(5, shuffle=True, random_state=0).split(x, y)]
    assert [s.tolist() for s in sizes] == [e.tolist() for e in expected]
    assert np.concatenate(seen).shape == x.shape  # every sample held out exactly once
    assert result.stratified and set(result.scores) == {"loss", "accuracy"}
    assert result.mean["accuracy"] == pytest.approx(np.mean(result.scores["accuracy"]))
    assert result.std["accuracy"] == pytest.approx(np.std(result.scores["accuracy"]))
    assert result.mean["accuracy"] > 0.8
    assert "accuracy: " in result.summary() and "(5 stratified folds)" in result.summary()


def test_a_compiled_model_is_cloned_per_fold_with_fresh_weights():
    x, y = _data()
    model = build()
    before = [w.copy() for w in model.get_weights()]
    result = cross_validate(model, x, y, n_splits=3, epochs=1, seed=1, return_models=True)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert len(result.models) == 3 and all(m is not model for m in result.models)
    kernels = [m.get_weights()[0] for m in result.models]
    assert not np.array_equal(kernels[0], kernels[1])


def test_seeded_runs_repeat_exactly():
    x, y = _data()
    a = cross_validate(build, x, y, n_splits=3, epochs=1, seed=3)
    b = cross_validate(build, x, y, n_splits=3, epochs=1, seed=3)
    assert np.array_equal(a.scores["loss"], b.scores["loss"])


def test_regression_targets_use_plain_folds_and_one_hot_is_stratified():
    x, y = _data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("adam", "mse", metrics=["mae"])
    result = cross_validate(model, x, y.astype("float32") + 0.5, n_splits=3, epochs=1)
    assert not result.stratified and set(result.scores) == {"loss", "mae"}
    onehot = keras.utils.to_categorical(y, 3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    assert cross_validate(model, x, onehot, n_splits=3, epochs=1).stratified


@pytest.mark.parametrize("kwargs, error, words", [
    ({"n_splits": 1}, ValueError, "`n_splits` must be an integer >= 2"),
    ({"validation_split": 0.2}, ValueError, "do not pass validation_data"),
    ({"stratify": True, "y": np.linspace(0, 1, 150)}, ValueError, "needs class labels"),
    ({"y": np.zeros(10)}, ValueError, r"same number of samples. Received: x.shape=\(150, 4\)"),
    ({"model": keras.Sequential([keras.layers.Dense(1)])}, ValueError, "must be compiled"),
    ({"model": lambda: "not a model"}, ValueError, "must return a compiled model"),
])
def test_bad_arguments_say_what_was_expected(kwargs, error, words):
    x, y = _data()
    args = {"model": build, "x": x, "y": y, "n_splits": 3, **kwargs}
    with pytest.raises(error, match=words):
        cross_validate(**args)
