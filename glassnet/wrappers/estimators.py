"""scikit-learn estimators around a glassnet Keras model, with SciKeras's conventions.

``KerasClassifier(model=build, epochs=20, model__hidden=16, optimizer__learning_rate=0.01)``
is a scikit-learn estimator: ``fit(X, y)`` builds the model (``build(hidden=16, meta=...)``),
compiles it unless it is compiled already, and trains it; ``predict``/``predict_proba``/``score``
follow scikit-learn's contract, so ``GridSearchCV``, ``cross_val_score`` and ``Pipeline`` work.

Default loss, when ``loss=None`` and the model comes uncompiled: the classifier encodes the
labels to ``0..n_classes_-1`` (``classes_`` keeps the originals, sorted) and uses binary
cross-entropy when the model has one output unit (a sigmoid: P(classes_[1])), else sparse
categorical cross-entropy (a softmax over ``n_classes_`` units);
``loss="categorical_crossentropy"`` gets one-hot targets. A builder that compiles the model
itself with ``compile_kwargs`` receives that default before the model exists (sparse
categorical cross-entropy), so a one-sigmoid builder should ask for
``loss="binary_crossentropy"``. The regressor uses mean squared error. ``score`` is accuracy
for the classifier and R^2 = 1 - sum((y - y_hat)^2) / sum((y - mean(y))^2) for the regressor.

A fitted estimator is not picklable (glassnet models never go through pickle); save its
``model_`` with ``model_.save("model.keras")``. Unfitted estimators pickle, which is all
``GridSearchCV(n_jobs=2)`` needs.

>>> import numpy as np
>>> from glassnet import keras
>>> from glassnet.wrappers import KerasClassifier
>>> def build(hidden=8, meta=None):
...     return keras.Sequential([keras.Input((meta["n_features_in_"],)),
...                              keras.layers.Dense(hidden, activation="relu"),
...                              keras.layers.Dense(meta["n_classes_"], activation="softmax")])
>>> X = np.array([[0.0, 1.0], [1.0, 0.0]] * 8, "float32")
>>> y = np.array(["b", "a"] * 8)
>>> clf = KerasClassifier(build, model__hidden=4, epochs=2, verbose=0, random_state=0).fit(X, y)
>>> clf.classes_.tolist(), clf.predict_proba(X).shape
(['a', 'b'], (16, 2))
"""

import random
from collections import defaultdict

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError("glassnet.wrappers needs scikit-learn >= 1.6: "
                      "pip install 'glassnet[sklearn]'") from error

# The layers below keras/ (not keras/ itself), so wrappers/ sits beside explain/ in the layers.
from glassnet import losses, optim
from glassnet.backend import seed as seed_glassnet
from glassnet.io import clone_model
from glassnet.train import Model
from glassnet.wrappers.routing import call_with_accepted, is_routed, route

FIT_ARGS = ("batch_size", "validation_batch_size", "epochs", "verbose", "callbacks",
            "validation_split", "shuffle", "class_weight")
PREDICT_ARGS = ("batch_size", "verbose")


class BaseWrapper(BaseEstimator):
    """What the classifier and the regressor share: parameters, building, fitting."""

    _default_loss = "mse"

    def __init__(self, model=None, *, build_fn=None, warm_start=False, random_state=None,
                 optimizer="rmsprop", loss=None, metrics=None, batch_size=None,
                 validation_batch_size=None, verbose=1, callbacks=None, validation_split=0.0,
                 shuffle=True, run_eagerly=False, epochs=1, class_weight=None, **kwargs):
        # scikit-learn's clone needs every argument stored unchanged.
        self.model, self.build_fn, self.warm_start = model, build_fn, warm_start
        self.random_state, self.optimizer, self.loss, self.metrics = (
            random_state, optimizer, loss, metrics)
        self.batch_size, self.validation_batch_size = batch_size, validation_batch_size
        self.verbose, self.callbacks, self.validation_split = verbose, callbacks, validation_split
        self.shuffle, self.run_eagerly, self.epochs = shuffle, run_eagerly, epochs
        self.class_weight = class_weight
        self._extra_params = sorted(kwargs)
        for name, value in kwargs.items():
            setattr(self, name, value)

    # -- parameters -----------------------------------------------------------------------

    def get_params(self, deep=True):
        params = super().get_params(deep=False)
        params.update({name: getattr(self, name) for name in self._extra_params})
        return params

    def set_params(self, **params):
        """Set plain parameters as scikit-learn does; routed ones (``model__units``) and new
        keyword parameters are stored as attributes, as ``__init__`` stores them."""
        known = set(super().get_params(deep=False))
        for name, value in params.items():
            if name in known:
                setattr(self, name, value)
            elif is_routed(name) or name in self._extra_params:
                if name not in self._extra_params:
                    self._extra_params = sorted([*self._extra_params, name])
                setattr(self, name, value)
            else:
                raise ValueError(f"Invalid parameter {name!r} for estimator "
                                 f"{type(self).__name__}; valid parameters are {sorted(known)} "
                                 f"and routed ones such as 'model__units'")
        return self

    # -- pickling: parameters yes, a fitted model no ---------------------------------------

    def __getstate__(self):
        if "model_" in self.__dict__:
            raise TypeError(f"a fitted {type(self).__name__} cannot be pickled: glassnet "
                            f"models never go through pickle. Save the model with "
                            f"est.model_.save('model.keras') and load it with "
                            f"keras.models.load_model, or pickle the unfitted estimator "
                            f"(sklearn.base.clone(est)).")
        return dict(self.__dict__)

    def __sklearn_is_fitted__(self):
        return "model_" in self.__dict__

    # -- building --------------------------------------------------------------------------

    def _seed(self):
        if self.random_state is None:
            return
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            seed = int(seed.randint(2**31 - 1))
        # As keras.utils.set_random_seed: glassnet's generators, Python's and NumPy's global.
        seed_glassnet(int(seed))
        random.seed(int(seed))
        np.random.seed(int(seed))

    def _build_optimizer(self, params):
        spec, kwargs = self.optimizer, route(params, "optimizer__")
        if isinstance(spec, str):
            spec = type(optim.get(spec))
        if isinstance(spec, type):
            return spec(**kwargs)
        # An instance is copied (with any overrides) so that no fit shares its state.
        return type(spec).from_config({**spec.get_config(), **kwargs})

    def _build_loss(self, params):
        spec = self.loss if self.loss is not None else self._default_loss_for_model()
        kwargs = route(params, "loss__")
        if kwargs:
            spec = type(losses.get(spec))(**kwargs) if isinstance(spec, str) else (
                spec(**kwargs) if isinstance(spec, type) else spec)
        return spec

    def _default_loss_for_model(self):
        return self._default_loss

    def _callbacks(self, params):
        callbacks = self.callbacks
        if callbacks is None:
            return None
        kwargs = route(params, "callbacks__")
        return [c(**kwargs) if isinstance(c, type) else c for c in
                (callbacks if isinstance(callbacks, (list, tuple)) else [callbacks])]

    def _meta(self):
        return {name: getattr(self, name) for name in (
            "n_features_in_", "X_shape_", "X_dtype_", "n_outputs_expected_", "target_type_",
            "classes_", "n_classes_", "feature_names_in_") if hasattr(self, name)}

    def _build_model(self, params):
        spec = self.model if self.model is not None else self.build_fn
        if spec is None:
            raise ValueError(f"{type(self).__name__} needs model= (a glassnet Keras model or a "
                             f"function returning one). Received: model=None, build_fn=None")
        compile_kwargs = {"optimizer": self._build_optimizer(params),
                          "loss": self._build_loss(params), "metrics": self.metrics,
                          "run_eagerly": self.run_eagerly}
        if callable(spec) and not isinstance(spec, Model):
            model = call_with_accepted(spec, route(params, "model__"), {
                "meta": self._meta(), "compile_kwargs": compile_kwargs, "params": params})
        else:
            # A model instance is copied so that refits (and clones) start afresh.
            model = clone_model(spec)
        if not isinstance(model, Model):
            raise TypeError(f"model= must be or return a glassnet Keras model. Received: "
                            f"{type(model).__name__}")
        if not model.compiled:
            self.model_ = model  # the default loss may look at the output width
            compile_kwargs["loss"] = self._build_loss(params)
            model.compile(**compile_kwargs)
        return model

    def _check_input_shape(self, X):
        expected = tuple(self.model_.input_shape[1:])
        received = tuple(X.shape[1:])
        if len(expected) != len(received) or any(
                e is not None and e != r for e, r in zip(expected, received)):
            raise ValueError(f"{type(self).__name__}: X does not fit the model's input: "
                             f"expected shape (n, {', '.join(map(str, expected))}), received "
                             f"X.shape={X.shape}")

    # -- data ------------------------------------------------------------------------------

    def _validate(self, X, y=None, reset=True):
        if y is None:
            return validate_data(self, X, reset=reset, allow_nd=True, dtype="numeric"), None
        X, y = validate_data(self, X, y, reset=reset, allow_nd=True, dtype="numeric",
                             y_numeric=self._y_numeric)
        if reset:
            self.X_shape_, self.X_dtype_ = X.shape, X.dtype
        return X, y

    # -- scikit-learn's API ----------------------------------------------------------------

    def initialize(self, X, y=None):
        """Build (and compile) ``model_`` for data shaped like ``X``/``y``, without training."""
        X, y = self._validate(X, y)
        self._fit_targets(y)
        self._seed()
        self.model_ = self._build_model(self.get_params())
        self._check_input_shape(X)
        self.history_ = defaultdict(list)
        return self

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Train on ``X``/``y`` for ``epochs`` (a fresh model unless ``warm_start``).
        ``kwargs`` go to ``model.fit`` and win over ``fit__`` parameters."""
        self._partial_classes = None  # classes= of an earlier partial_fit no longer applies
        return self._fit(X, y, sample_weight, kwargs, fresh=not (self.warm_start and
                                                                  self.__sklearn_is_fitted__()))

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """One epoch on ``X``/``y``, continuing the current model (built on the first call;
        ``classes`` there fixes ``classes_`` for labels that may come later)."""
        self._partial_classes = classes
        kwargs = {**kwargs, "epochs": 1}
        return self._fit(X, y, sample_weight, kwargs, fresh=not self.__sklearn_is_fitted__())

    def _fit(self, X, y, sample_weight, kwargs, fresh):
        if fresh:
            self.initialize(X, y)
        X, y = self._validate(X, y, reset=False)
        self._check_input_shape(X)
        self._seed()
        params = self.get_params()
        fit_kwargs = {"verbose": 0 if self.verbose is None else self.verbose,
                      **route(params, "fit__", FIT_ARGS), **kwargs}
        fit_kwargs["callbacks"] = self._callbacks(params)
        for name in ("callbacks", "batch_size", "validation_batch_size", "class_weight"):
            if fit_kwargs.get(name) is None:
                fit_kwargs.pop(name, None)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, "float32")
            if sample_weight.shape != (X.shape[0],) or not (sample_weight > 0).any():
                raise ValueError(f"sample_weight must hold one non-negative weight per sample, "
                                 f"not all zero: expected shape ({X.shape[0]},), received "
                                 f"shape {sample_weight.shape}"
                                 + (" with all zero" if sample_weight.size else ""))
            fit_kwargs["sample_weight"] = sample_weight
        history = self.model_.fit(X.astype("float32"), self._encode_targets(y), **fit_kwargs)
        for name, values in history.history.items():
            self.history_[name].extend(values)
        return self

    def _raw_predict(self, X):
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        self._check_input_shape(X)
        kwargs = {"verbose": 0, **route(self.get_params(), "predict__", PREDICT_ARGS)}
        if kwargs.get("batch_size") is None:
            kwargs.pop("batch_size", None)
        return np.asarray(self.model_.predict(X.astype("float32"), **kwargs))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """A scikit-learn classifier around a glassnet Keras model (SciKeras's conventions).

    Fitted attributes: ``model_``, ``history_`` (dict of per-epoch lists), ``classes_``,
    ``n_classes_``, ``n_features_in_``, ``target_type_``. ``predict_proba`` has one column per
    class, rows summing to 1.
    """

    _y_numeric = False

    def _fit_targets(self, y):
        self.target_type_ = type_of_target(y, input_name="y", raise_unknown=True)
        if self.target_type_ not in ("binary", "multiclass"):
            raise ValueError(f"KerasClassifier: y must hold one label per sample (binary or "
                             f"multiclass). Received target type {self.target_type_!r}, "
                             f"y.shape={np.shape(y)}")
        classes = getattr(self, "_partial_classes", None)
        self.classes_ = np.unique(y if classes is None else np.asarray(classes))
        self.n_classes_ = len(self.classes_)
        self.n_outputs_expected_ = 1

    def _default_loss_for_model(self):
        model = self.__dict__.get("model_")
        if model is not None and model.output_shape[-1] == 1:
            return "binary_crossentropy"
        return "sparse_categorical_crossentropy"

    def _encode_targets(self, y):
        unseen = ~np.isin(y, self.classes_)
        if unseen.any():
            raise ValueError(f"KerasClassifier: y has labels not in classes_={self.classes_}: "
                             f"{np.unique(y[unseen])}")
        codes = np.searchsorted(self.classes_, y).astype("int64")
        if self.model_.output_shape[-1] == 1:
            return codes.astype("float32")[:, None]
        loss = self.loss if isinstance(self.loss, str) else type(self.loss).__name__
        if loss in ("categorical_crossentropy", "CategoricalCrossentropy"):
            return np.eye(self.n_classes_, dtype="float32")[codes]
        return codes

    def predict_proba(self, X):
        """Class probabilities, shape ``(n_samples, n_classes_)``, in the order of ``classes_``."""
        out = self._raw_predict(X)
        out = out.reshape(out.shape[0], -1)
        if self.n_classes_ == 1:  # fitted on one label: it is certain
            return np.ones((out.shape[0], 1), out.dtype)
        if out.shape[1] == 1:  # one sigmoid unit: P(classes_[1])
            out = np.concatenate([1.0 - out, out], axis=1)
        return out

    def predict(self, X):
        """The most probable label of each sample, from ``classes_``."""
        best = np.argmax(self.predict_proba(X), axis=1)  # checks fitted before classes_
        return self.classes_[best]


class KerasRegressor(RegressorMixin, BaseWrapper):
    """A scikit-learn regressor around a glassnet Keras model (SciKeras's conventions);
    ``score`` is R^2. A 1-D ``y`` gives 1-D predictions."""

    _y_numeric = True

    def _fit_targets(self, y):
        self.target_type_ = type_of_target(y)
        self.n_outputs_expected_ = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        self._y_ndim = np.ndim(y)

    def _encode_targets(self, y):
        y = np.asarray(y, "float32")
        return y[:, None] if y.ndim == 1 else y

    def predict(self, X):
        """The model's outputs, shaped like the ``y`` it was fitted on."""
        out = self._raw_predict(X)
        out = out.reshape(out.shape[0], -1)
        return out[:, 0] if self._y_ndim == 1 and out.shape[1] == 1 else out


__all__ = ["KerasClassifier", "KerasRegressor", "NotFittedError"]
