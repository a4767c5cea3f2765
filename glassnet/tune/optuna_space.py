"""The bridge from a ``HyperParameters`` entry to Optuna: which ``trial.suggest_*`` draws it,
and which values a grid search visits.

A range stepped by a factor under ``sampling="log"`` (KerasTuner's ``Int("units", 32, 512,
step=2, sampling="log")``: 32, 64, ..., 512) has no Optuna distribution of its own, so it is
drawn as the index of its value: an integer that walks the values in order, which keeps the
samplers' sense of "near".
"""

from __future__ import annotations

from glassnet.tune.hyperparameters import Choice, Fixed, Int


def _log_stepped(entry):
    return getattr(entry, "sampling", None) == "log" and entry.step is not None


def suggest(trial, entry):
    """Draw ``entry``'s value from the Optuna ``trial``."""
    if isinstance(entry, Fixed):
        return entry.default
    if isinstance(entry, Choice):  # Boolean included
        return trial.suggest_categorical(entry.name, entry.values)
    if _log_stepped(entry):
        values = entry.steps()
        return values[trial.suggest_int(entry.name, 0, len(values) - 1)]
    log = entry.sampling == "log"
    if isinstance(entry, Int):
        return trial.suggest_int(entry.name, entry.min_value, entry.max_value,
                                 step=entry.step or 1, log=log)
    value = trial.suggest_float(entry.name, entry.min_value, entry.max_value, step=entry.step,
                                log=log)
    if entry.step is not None:  # on the grid exactly: 0.3, not 0.30000000000000004
        value = float(f"{value:.12g}")
    return value


def grid(space):
    """Optuna ``GridSampler``'s search space for the entries of ``space`` (Fixed ones are
    never drawn, so they are left out)."""
    out = {}
    for entry in space:
        if isinstance(entry, Fixed):
            continue
        values = entry.grid_values()
        out[entry.name] = list(range(len(values))) if _log_stepped(entry) else values
    return out
