"""``cross_validate``: k-fold cross-validation of a Keras-style model, with stratified folds
for class labels (scikit-learn's ``StratifiedKFold`` / ``KFold`` split the data).

Each fold trains a fresh model (from a build function, or a clone of a compiled model with the
same compile settings and new weights) on the other folds and evaluates it on its own; the
result holds each metric per fold, and its mean and standard deviation over the folds
(``np.std``: ddof = 0, as scikit-learn's examples report it).

>>> import numpy as np
>>> from glassnet import keras
>>> def build():
...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
...     model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
...     return model
>>> x, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 3
>>> result = cross_validate(build, x, y, n_splits=3, epochs=1, seed=0)
>>> sorted(result.mean), len(result.scores["accuracy"])
(['accuracy', 'loss'], 3)
"""

from __future__ import annotations

import gc

import numpy as np

from glassnet.backend import seed as seed_glassnet


class CrossValidationResult:
    """``scores[name]``: the metric on each fold; ``mean[name]``, ``std[name]``; the fold
    ``histories``; the trained ``models`` when asked for."""

    def __init__(self, scores, histories, models, stratified):
        self.scores = {k: np.asarray(v, dtype=np.float64) for k, v in scores.items()}
        self.mean = {k: float(v.mean()) for k, v in self.scores.items()}
        self.std = {k: float(v.std()) for k, v in self.scores.items()}
        self.histories, self.models, self.stratified = histories, models, stratified

    def summary(self):
        folds = len(next(iter(self.scores.values())))
        kind = "stratified " if self.stratified else ""
        return "\n".join(f"{name}: {self.mean[name]:.4f} ± {self.std[name]:.4f} "
                         f"({folds} {kind}folds)" for name in self.scores)

    def __repr__(self):
        return f"CrossValidationResult(mean={self.mean}, std={self.std})"


def _labels(y):
    """Class labels to stratify by, or None when ``y`` is not classes (a regression)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot
        return y.argmax(axis=1)
    y = y.reshape(len(y), -1)[:, 0] if y.ndim > 1 else y
    if y.dtype.kind in "iub" or y.dtype.kind in "US":
        return y
    if y.dtype.kind == "f" and np.all(y == np.round(y)) and len(np.unique(y)) <= max(
            2, len(y) // 2):
        return y.astype(np.int64)
    return None


def _splitter(n_splits, stratify, shuffle, seed):
    try:
        from sklearn.model_selection import KFold, StratifiedKFold
    except ImportError as error:
        raise ImportError("glassnet.tune.cross_validate splits with scikit-learn: pip install "
                          "'glassnet[tune]'") from error
    kind = StratifiedKFold if stratify else KFold
    return kind(n_splits=n_splits, shuffle=shuffle, random_state=seed if shuffle else None)


def _fresh_model(model, fold):
    if callable(model) and not hasattr(model, "fit"):
        built = model()
        if not hasattr(built, "fit") or not getattr(built, "compiled", True):
            raise ValueError(f"cross_validate: the build function must return a compiled "
                             f"model; fold {fold} received {type(built).__name__}")
        return built
    from glassnet.io import clone_model
    from glassnet.io.compile_config import compile_config, compile_from_config

    if not getattr(model, "compiled", False):
        raise ValueError("cross_validate: `model` must be compiled (each fold trains a clone "
                         "with the same compile settings), or a function returning one")
    clone = clone_model(model)
    compile_from_config(clone, compile_config(model), None, "cross_validate")
    return clone


def cross_validate(model, x, y, n_splits=5, stratify=None, shuffle=True, seed=0, epochs=1,
                   batch_size=32, verbose=0, return_models=False, **fit_kwargs):
    """Train and evaluate ``model`` on ``n_splits`` folds of ``(x, y)``.

    Args:
        model: a function returning a compiled model, or a compiled model (cloned per fold).
        x, y: arrays with the samples on the first axis.
        n_splits: the number of folds (>= 2).
        stratify: keep each fold's class proportions; None decides from ``y`` (class labels
            or one-hot rows: yes; real-valued targets: no).
        shuffle, seed: shuffle before splitting; ``seed`` also seeds each fold's weights.
        epochs, batch_size, verbose, **fit_kwargs: passed to each fold's ``fit``.
        return_models: keep the trained models in the result.

    Returns:
        A ``CrossValidationResult``: ``scores``, ``mean``, ``std`` per metric of
        ``evaluate`` (the loss and the compiled metrics).
    """
    from glassnet import checks

    n_splits = checks.integer(n_splits, "n_splits", "cross_validate", 2)
    if "validation_data" in fit_kwargs or "validation_split" in fit_kwargs:
        raise ValueError("cross_validate: each fold is validated on its own held-out part; "
                         "do not pass validation_data or validation_split")
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"cross_validate: x and y must hold the same number of samples. "
                         f"Received: x.shape={x.shape}, y.shape={y.shape}")
    if len(x) < n_splits:
        raise ValueError(f"cross_validate: n_splits={n_splits} needs at least {n_splits} "
                         f"samples. Received: {len(x)}")
    labels = _labels(y)
    if stratify is None:
        stratify = labels is not None
    elif stratify and labels is None:
        raise ValueError("cross_validate: stratify=True needs class labels (integers, strings "
                         "or one-hot rows) in y")
    splitter = _splitter(n_splits, stratify, shuffle, seed)
    scores, histories, models = {}, [], []
    for fold, (train, test) in enumerate(splitter.split(x, labels if stratify else None)):
        if seed is not None:
            seed_glassnet(seed + fold)
        fold_model = _fresh_model(model, fold)
        histories.append(fold_model.fit(x[train], y[train], epochs=epochs,
                                        batch_size=batch_size, verbose=verbose, **fit_kwargs))
        result = fold_model.evaluate(x[test], y[test], batch_size=batch_size, verbose=0,
                                     return_dict=True)
        for name, value in result.items():
            scores.setdefault(name, []).append(float(value))
        if return_models:
            models.append(fold_model)
        del fold_model
        gc.collect()
    return CrossValidationResult(scores, histories, models if return_models else None,
                                 bool(stratify))
