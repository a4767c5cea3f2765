"""KerasClassifier / KerasRegressor on real data, inside scikit-learn's tools."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassnet import keras
from glassnet.wrappers import KerasClassifier, KerasRegressor


def mlp(hidden=16, meta=None):
    """A ReLU layer, then a softmax over n_classes_."""
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_classes_"], activation="softmax")])


def sigmoid_mlp(hidden=16, meta=None):
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(1, activation="sigmoid")])


def regressor_mlp(hidden=32, meta=None):
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(1)])


def classifier(**kwargs):
    settings = dict(model=mlp, optimizer="adam", optimizer__learning_rate=0.02, epochs=30,
                    batch_size=16, verbose=0, random_state=0)
    return KerasClassifier(**{**settings, **kwargs})


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X).astype("float32"), y


def test_iris_accuracy_in_a_pipeline_with_a_scaler():
    X, y = load_iris(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    pipe = make_pipeline(StandardScaler(), classifier()).fit(Xtr, ytr)
    assert pipe.score(Xte, yte) > 0.9
    proba = pipe.predict_proba(Xte)
    assert proba.shape == (len(Xte), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert pipe[-1].n_features_in_ == 4 and pipe[-1].n_classes_ == 3
    assert len(pipe[-1].history_["loss"]) == 30
    assert pipe[-1].history_["loss"][-1] < pipe[-1].history_["loss"][0]


def test_breast_cancer_with_one_sigmoid_output_and_binary_crossentropy():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    pipe = make_pipeline(StandardScaler(), classifier(model=sigmoid_mlp, epochs=15))
    pipe.fit(Xtr, ytr)
    assert pipe.score(Xte, yte) > 0.9
    proba = pipe.predict_proba(Xte)
    assert proba.shape == (len(Xte), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pipe.predict(Xte), (proba[:, 1] > 0.5).astype(int))


def test_string_labels_are_encoded_and_decoded(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = classifier(epochs=20).fit(X, names)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    pred = clf.predict(X)
    assert pred.dtype == names.dtype and set(pred) <= set(names)
    assert np.mean(pred == names) > 0.9


def test_diabetes_regressor_r2_matches_linear_regression():
    X, y = load_diabetes(return_X_y=True)
    net = KerasRegressor(regressor_mlp, model__hidden=4, optimizer="adam",
                         optimizer__learning_rate=0.01, epochs=30, batch_size=32, verbose=0,
                         random_state=0)
    # Standardised inputs and target, refitted inside each fold.
    model = TransformedTargetRegressor(make_pipeline(StandardScaler(), net),
                                       transformer=StandardScaler())
    r2 = cross_val_score(model, X, y, cv=5)
    baseline = cross_val_score(LinearRegression(), X, y, cv=5)
    assert r2.mean() > 0.4
    assert r2.mean() > baseline.mean() - 0.05
    reg = clone(net).fit(StandardScaler().fit_transform(X), (y - y.mean()) / y.std())
    assert reg.predict(X[:7]).shape == (7,)


def test_grid_search_over_model_and_optimizer_parameters(iris):
    X, y = iris
    grid = {"model__hidden": [2, 16], "optimizer__learning_rate": [1e-4, 0.03]}
    search = GridSearchCV(classifier(epochs=15), grid, cv=2).fit(X, y)
    results = search.cv_results_
    assert len(results["params"]) == 4
    # A learning rate of 1e-4 for 15 epochs barely moves; 0.03 learns iris.
    assert search.best_params_["optimizer__learning_rate"] == 0.03
    assert search.best_score_ > 0.85
    assert search.best_estimator_.model_.layers[0].units == search.best_params_["model__hidden"]


def test_randomized_search_and_cross_val_score(iris):
    X, y = iris
    search = RandomizedSearchCV(classifier(epochs=10), {"model__hidden": [4, 8, 16],
                                                        "batch_size": [8, 16]},
                                n_iter=2, cv=2, random_state=0).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    scores = cross_val_score(classifier(epochs=20), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8


def test_partial_fit_improves_and_keeps_the_model(iris):
    X, y = iris
    clf = classifier(optimizer__learning_rate=0.005)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    model, first = clf.model_, clf.score(X, y)
    for _ in range(15):
        clf.partial_fit(X, y)
    assert clf.model_ is model
    assert len(clf.history_["loss"]) == 16
    assert clf.score(X, y) > first + 0.1


def test_warm_start_continues_and_cold_start_rebuilds(iris):
    X, y = iris
    warm = classifier(epochs=2, warm_start=True, optimizer__learning_rate=0.005).fit(X, y)
    model, loss = warm.model_, warm.history_["loss"][-1]
    warm.fit(X, y)
    assert warm.model_ is model and len(warm.history_["loss"]) == 4
    assert warm.history_["loss"][-1] < loss
    cold = classifier(epochs=2).fit(X, y)
    model = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not model and len(cold.history_["loss"]) == 2


def test_random_state_makes_fits_identical(iris):
    X, y = iris
    a = classifier(epochs=3).fit(X, y).predict_proba(X)
    b = classifier(epochs=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_params_round_trip_through_clone_and_set_params():
    clf = classifier(model__hidden=7, fit__validation_split=0.2)
    params = clf.get_params()
    assert params["model__hidden"] == 7 and params["optimizer__learning_rate"] == 0.02
    copy = clone(clf)
    assert copy.get_params() == params
    copy.set_params(model__hidden=3, epochs=2, loss__from_logits=False)
    assert copy.get_params()["model__hidden"] == 3 and copy.epochs == 2
    assert clf.get_params()["model__hidden"] == 7
    with pytest.raises(ValueError, match="Invalid parameter 'hiden'"):
        copy.set_params(hiden=3)


def test_routed_parameters_reach_model_optimizer_and_fit(iris):
    X, y = iris
    clf = classifier(model__hidden=5, optimizer="sgd", optimizer__learning_rate=0.123,
                     epochs=4, fit__epochs=2).fit(X, y)
    assert clf.model_.layers[0].units == 5
    assert type(clf.model_.optimizer).__name__ == "SGD"
    assert clf.model_.optimizer.learning_rate == pytest.approx(0.123)
    assert len(clf.history_["loss"]) == 2   # fit__epochs wins over epochs


def test_loss_parameters_are_routed(iris):
    X, y = iris

    def logits(meta):
        return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                                 keras.layers.Dense(meta["n_classes_"])])

    clf = KerasClassifier(logits, loss="sparse_categorical_crossentropy",
                          loss__from_logits=True, optimizer="adam",
                          optimizer__learning_rate=0.05, epochs=20, verbose=0, random_state=0)
    clf.fit(X, y)
    assert clf.score(X, y) > 0.85   # argmax of logits is argmax of probabilities


def test_builder_gets_meta_and_compile_kwargs_only_when_it_asks(iris):
    X, y = iris
    seen = {}

    def build(units, meta, compile_kwargs):
        seen.update(meta=meta, compile_kwargs=compile_kwargs)
        model = mlp(units, meta)
        model.compile(**compile_kwargs)
        return model

    KerasClassifier(build, model__units=4, epochs=1, verbose=0, optimizer="adam").fit(X, y)
    assert seen["meta"]["n_features_in_"] == 4 and seen["meta"]["n_classes_"] == 3
    assert seen["meta"]["classes_"].tolist() == [0, 1, 2]
    assert seen["meta"]["target_type_"] == "multiclass"
    assert type(seen["compile_kwargs"]["optimizer"]).__name__ == "Adam"


def test_an_uncompiled_model_instance_is_copied_and_compiled(iris):
    X, y = iris
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    clf = KerasClassifier(net, epochs=2, verbose=0).fit(X, y)
    assert clf.model_ is not net and clf.model_.compiled and not net.compiled


def test_errors_name_the_problem(iris):
    X, y = iris
    with pytest.raises(NotFittedError):
        classifier().predict(X)
    clf = classifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])
    fixed = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match=r"expected shape \(n, 5\), received X.shape=\(150, 4\)"):
        KerasClassifier(fixed, verbose=0).fit(X, y)
    with pytest.raises(ValueError, match="needs model="):
        KerasClassifier().fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        classifier().fit(X, y, sample_weight=np.zeros(len(X)))


def test_unfitted_estimators_pickle_and_fitted_ones_say_how_to_save(iris):
    X, y = iris
    clf = classifier(epochs=1)
    assert pickle.loads(pickle.dumps(clf)).get_params()["epochs"] == 1
    clf.fit(X, y)
    with pytest.raises(TypeError, match=r"model_\.save"):
        pickle.dumps(clf)


PROGRAM = textwrap.dedent("""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from glassnet import keras
    from glassnet.wrappers import KerasClassifier


    def build_model(hidden=8, meta=None):
        model = keras.Sequential([
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ])
        return model


    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", KerasClassifier(build_model, optimizer="adam", epochs=20,
                                             batch_size=16, verbose=0, random_state=0))])
    search = GridSearchCV(pipe, {"net__model__hidden": [4, 16],
                                 "net__optimizer__learning_rate": [1e-4, 0.03]},
                          cv=2, n_jobs=2)
    search.fit(X, y)
    print(search.best_params_["net__optimizer__learning_rate"], round(search.best_score_, 3))
    print(search.score(X, y))
""")


@pytest.mark.slow
def test_a_users_grid_search_runs_in_a_fresh_interpreter_with_two_processes():
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = result.stdout.split("\n")[:2]
    learning_rate, best_score = first.split()
    assert float(learning_rate) == 0.03
    assert float(best_score) > 0.85 and float(second) > 0.9
