"""A glassnet Keras model inside scikit-learn: a Pipeline with a scaler, GridSearchCV over
the model's and the optimizer's parameters on two processes, then cross_val_score.

    python examples/sklearn_grid_search.py            # breast-cancer data (scikit-learn's)

Needs ``pip install 'glassnet[sklearn]'``.
"""

import argparse

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassnet import keras
from glassnet.wrappers import KerasClassifier


def build(hidden=16, dropout=0.0, meta=None):
    """SciKeras's builder: ``meta`` holds what the data told the wrapper."""
    return keras.Sequential([
        keras.Input((meta["n_features_in_"],)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(1, activation="sigmoid")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    clf = KerasClassifier(build, loss="binary_crossentropy", optimizer="adam",
                          epochs=args.epochs, batch_size=32, verbose=0, random_state=0)
    pipeline = make_pipeline(StandardScaler(), clf)
    grid = {"kerasclassifier__model__hidden": [8, 32],
            "kerasclassifier__model__dropout": [0.0, 0.3],
            "kerasclassifier__optimizer__learning_rate": [1e-3, 1e-2]}
    search = GridSearchCV(pipeline, grid, cv=3, n_jobs=args.jobs).fit(X_train, y_train)
    test = search.score(X_test, y_test)
    scores = cross_val_score(search.best_estimator_, X, y, cv=5)
    print(f"best parameters: {search.best_params_}")
    print(f"grid-search CV accuracy {search.best_score_:.4f}, held-out test {test:.4f}")
    print(f"5-fold cross_val_score of the best: {scores.mean():.4f} ± {scores.std():.4f}")
    return {"best_params": search.best_params_, "cv": search.best_score_, "test": test,
            "cross_val": scores.tolist()}


if __name__ == "__main__":
    main()
