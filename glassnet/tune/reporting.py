"""What a trial's ``fit`` tells the search, epoch by epoch: the objective's value (to Optuna,
whose pruner may stop the trial), and the weights of the best epoch (kept for
``get_best_models``, as KerasTuner keeps the model at its best epoch)."""

from __future__ import annotations

import math

import numpy as np

from glassnet.train.callbacks import Callback


class EpochReporter(Callback):
    """A fit callback: after each epoch, reads the objective from the logs, remembers the best
    epoch's weights, and reports to the Optuna trial (``step`` = epochs done); when the
    trial's pruner says so, stops training and sets ``pruned``."""

    def __init__(self, objective, optuna_trial=None, prune=False):
        super().__init__()
        self.objective, self.optuna_trial, self.prune = objective, optuna_trial, prune
        self.best_value, self.best_epoch, self.best_weights = None, None, None
        self.pruned = False

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not self.objective.has_value(logs):
            return
        value = self.objective.value(logs)
        if self.objective.better(value, self.best_value):
            self.best_value, self.best_epoch = value, epoch
            # Copies: the optimizer updates the weights in place on the next step.
            self.best_weights = [np.array(w, copy=True) for w in self.model.get_weights()]
        if self.optuna_trial is not None and not math.isnan(value):
            self.optuna_trial.report(value, epoch + 1)
            if self.prune and self.optuna_trial.should_prune():
                self.pruned = True
                self.model.stop_training = True


def metrics_of(result, objective):
    """One execution's metrics as a dict: a ``History`` gives every metric at the epoch best
    for the objective (and that epoch, as ``best_step``); a dict is taken as it is; a number is
    the objective's value."""
    history = getattr(result, "history", None)
    if isinstance(history, dict):
        epochs = len(next(iter(history.values()), []))
        best = None
        for epoch in range(epochs):
            logs = {k: v[epoch] for k, v in history.items() if len(v) > epoch}
            if objective.has_value(logs):
                value = objective.value(logs)
                if best is None or objective.better(value, objective.value(best[1])):
                    best = (epoch, logs)
        if best is None:
            raise ValueError(f"Objective value missing in metrics reported to the tuner, "
                             f"expected: {_names(objective)}, found: {sorted(history)}. Pass "
                             f"validation_data to search() for a val_ objective, or name "
                             f"another objective.")
        return {k: float(v) for k, v in best[1].items()}, best[0]
    if isinstance(result, dict):
        out = {k: float(np.asarray(v)) for k, v in result.items()}
        if not objective.has_value(out):
            raise ValueError(f"Objective value missing in metrics reported to the tuner, "
                             f"expected: {_names(objective)}, found: {sorted(out)}")
        return out, 0
    if isinstance(result, (int, float, np.number)) or (
            isinstance(result, np.ndarray) and result.size == 1):
        return {objective.name: float(np.asarray(result))}, 0
    raise TypeError(f"The trial returned {type(result).__name__}; a HyperModel.fit or "
                    f"run_trial returns a History, a dict of metrics or a number.")


def _names(objective):
    return [o.name for o in getattr(objective, "objectives", [objective])]


def average(metric_dicts):
    """The mean of each metric over the executions of a trial."""
    keys = set.intersection(*(set(m) for m in metric_dicts))
    return {k: float(np.mean([m[k] for m in metric_dicts])) for k in sorted(keys)}
