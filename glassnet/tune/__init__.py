"""Hyperparameter search with KerasTuner's API on Optuna, and cross-validation.

``import glassnet.tune as keras_tuner`` runs KerasTuner's tutorials: ``HyperParameters``
(``hp.Int``, ``hp.Float``, ``hp.Choice``, ``hp.Boolean``, ``hp.Fixed``,
``conditional_scope``), ``HyperModel``, ``Objective``, and the tuners ``RandomSearch``,
``GridSearch``, ``BayesianOptimization`` and ``Hyperband``. The tuners run on Optuna's samplers
and pruners and keep the search in an Optuna study (a SQLite file by default), so a search
resumes after a crash and several processes can share one (the ``[tune]`` extra:
``pip install 'glassnet[tune]'``).

``cross_validate`` trains and evaluates a Keras-style model on k (stratified) folds.

>>> from glassnet.tune import HyperParameters
>>> HyperParameters().Int("units", 32, 512, step=32)
32
"""

from glassnet.tune.cross_validation import CrossValidationResult, cross_validate
from glassnet.tune.hypermodel import HyperModel
from glassnet.tune.hyperparameters import HyperParameters
from glassnet.tune.objective import Objective
from glassnet.tune.trial import Oracle, Trial
from glassnet.tune.tuner import Tuner
from glassnet.tune.tuners import BayesianOptimization, GridSearch, Hyperband, RandomSearch

__all__ = ["BayesianOptimization", "CrossValidationResult", "GridSearch", "HyperModel",
           "HyperParameters", "Hyperband", "Objective", "Oracle", "RandomSearch", "Trial",
           "Tuner", "cross_validate"]
