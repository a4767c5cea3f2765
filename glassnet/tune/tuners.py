"""KerasTuner's four tuners, each an Optuna sampler (and pruner) under the same search loop.

=====================  ============================================================
``RandomSearch``       ``RandomSampler``
``GridSearch``         ``GridSampler`` over the space found by building once
``BayesianOptimization`` ``TPESampler`` (multivariate), or ``GPSampler`` with
                       ``sampler="gp"`` (Optuna's Gaussian process; needs torch)
``Hyperband``          ``TPESampler`` + ``HyperbandPruner``: every trial may run
                       ``max_epochs``; the pruner stops the poor ones at the rungs
                       ``max_epochs / factor**k``
=====================  ============================================================

For example (``build_model(hp)`` returns a compiled model)::

    import glassnet.tune as keras_tuner
    tuner = keras_tuner.BayesianOptimization(build_model, objective="val_accuracy",
                                             max_trials=20, directory="runs")
    tuner.search(x, y, epochs=5, validation_split=0.2)
"""

from __future__ import annotations

import math

from glassnet.tune import optuna_space
from glassnet.tune.tuner import Tuner


class RandomSearch(Tuner):
    """Each trial's values drawn at random (uniformly, or log-uniformly)."""


class GridSearch(Tuner):
    """Every combination of the space's values, in order; ``max_trials=None`` runs them all.

    The grid is the space ``build`` registers with its default values (as KerasTuner finds
    it); a ``Float`` needs a ``step``. An entry that appears only for other values (say
    ``units_2`` when ``num_layers`` is 3) keeps its default.
    """

    def __init__(self, hypermodel=None, objective=None, max_trials=None, **kwargs):
        super().__init__(hypermodel, objective, max_trials=max_trials, **kwargs)
        size = math.prod(len(v) for v in self._grid.values())
        self.max_trials = size if max_trials is None else min(max_trials, size)

    def _default_sampler(self):
        self._grid = optuna_space.grid(self.hyperparameters.space)
        if not self._grid:
            raise ValueError("GridSearch: the search space is empty; the hypermodel's build "
                             "registered no hyperparameter to search")
        return self.optuna.samplers.GridSampler(self._grid, seed=self.seed)


class BayesianOptimization(Tuner):
    """Values proposed from a model of the trials so far: Optuna's TPE by default
    (``sampler="gp"`` for its Gaussian process). ``num_initial_points`` random trials come
    first (default: 3 per hyperparameter, at least 2, as KerasTuner); ``alpha`` and
    ``beta`` are accepted for KerasTuner's signature and used by neither Optuna sampler."""

    def __init__(self, hypermodel=None, objective=None, max_trials=10, num_initial_points=None,
                 alpha=1e-4, beta=2.6, seed=None, sampler="tpe", **kwargs):
        self.num_initial_points, self.alpha, self.beta = num_initial_points, alpha, beta
        self._sampler_name = sampler if isinstance(sampler, str) else None
        if isinstance(sampler, str) and sampler not in ("tpe", "gp"):
            raise ValueError(f"BayesianOptimization: `sampler` must be 'tpe', 'gp' or an Optuna "
                             f"sampler. Received: sampler={sampler!r}")
        super().__init__(hypermodel, objective, max_trials=max_trials, seed=seed,
                         sampler=None if isinstance(sampler, str) else sampler, **kwargs)

    def _default_sampler(self):
        startup = self.num_initial_points
        if startup is None:
            startup = max(2, 3 * len([e for e in self.hyperparameters.space
                                      if e.kind != "Fixed"]))
        samplers = self.optuna.samplers
        if self._sampler_name == "gp":
            return samplers.GPSampler(seed=self.seed, n_startup_trials=startup)
        return samplers.TPESampler(seed=self.seed, n_startup_trials=startup, multivariate=True)


class Hyperband(Tuner):
    """Hyperband (Li et al., 2018) as an Optuna pruner: trials are fit for up to
    ``max_epochs`` epochs (the ``epochs`` given to ``search`` is replaced) and reported after
    each; ``HyperbandPruner`` stops those behind at each rung. ``max_trials`` defaults to the
    number of new configurations one Hyperband iteration draws, times
    ``hyperband_iterations``: sum over brackets s of ceil((s_max + 1) / (s + 1) * factor**s),
    s_max = floor(log_factor(max_epochs))."""

    def __init__(self, hypermodel=None, objective=None, max_epochs=100, factor=3,
                 hyperband_iterations=1, seed=None, max_trials=None, **kwargs):
        from glassnet import checks

        self.max_epochs = checks.integer(max_epochs, "max_epochs", "Hyperband")
        self.factor = checks.integer(factor, "factor", "Hyperband", 2)
        self.hyperband_iterations = checks.integer(hyperband_iterations,
                                                   "hyperband_iterations", "Hyperband")
        if max_trials is None:
            max_trials = self.hyperband_iterations * hyperband_trials(self.max_epochs,
                                                                      self.factor)
        super().__init__(hypermodel, objective, max_trials=max_trials, seed=seed, **kwargs)

    def _default_sampler(self):
        return self.optuna.samplers.TPESampler(seed=self.seed)

    def _default_pruner(self):
        return self.optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=self.max_epochs, reduction_factor=self.factor)

    def _fit_kwargs(self, kwargs):
        kwargs["epochs"] = self.max_epochs
        return kwargs


def hyperband_trials(max_epochs, factor):
    """New configurations in one Hyperband iteration.

    >>> hyperband_trials(10, 3)
    17
    """
    s_max = int(math.floor(math.log(max_epochs) / math.log(factor) + 1e-9))
    return sum(math.ceil((s_max + 1) / (s + 1) * factor ** s) for s in range(s_max + 1))
