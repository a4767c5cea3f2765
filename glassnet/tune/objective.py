"""What a search optimizes: ``Objective(name, direction)``, or a metric's name with its
direction inferred (``"val_accuracy"`` is maximized, ``"val_loss"`` minimized), or a list of
them (their sum, each maximized one negated), as KerasTuner.

>>> get("val_accuracy")
Objective(name="val_accuracy", direction="max")
>>> get(["val_loss", Objective("val_auc", "max")]).value({"val_loss": 0.5, "val_auc": 0.75})
-0.25
"""

from __future__ import annotations

import math

# Metric names (without "val_") and the way they improve. Anything measuring an error or a
# loss falls; agreement, area and rate measures rise.
_MIN_WORDS = ("loss", "error", "crossentropy", "hinge", "divergence", "poisson", "cosh")
_MIN_NAMES = {"mse", "mae", "mape", "msle", "rmse", "logcosh", "kld", "kl_divergence",
              "default_objective"}
_MAX_WORDS = ("accuracy", "acc", "auc", "precision", "recall", "f1", "fbeta", "r2",
              "iou", "similarity", "true_positives", "true_negatives", "at_recall",
              "at_precision", "at_specificity", "at_sensitivity", "score")


def infer_direction(name):
    """``"min"`` or ``"max"`` for a Keras metric name, or None when it is not one."""
    base = name[4:] if name.startswith("val_") else name
    if base in _MIN_NAMES or any(word in base for word in _MIN_WORDS):
        return "min"
    if base.endswith(("false_positives", "false_negatives")):
        return "min"
    if any(word in base for word in _MAX_WORDS):
        return "max"
    return None


class Objective:
    """A metric to optimize: ``name`` as it appears in the fit logs (``"val_accuracy"``) and
    ``direction``, ``"min"`` or ``"max"``."""

    def __init__(self, name, direction):
        if not isinstance(name, str) or not name:
            raise TypeError(f"Objective: `name` must be a metric name. Received: name={name!r}")
        if direction not in ("min", "max"):
            raise ValueError(f"Objective: `direction` must be 'min' or 'max'. Received: "
                             f"direction={direction!r}")
        self.name, self.direction = name, direction

    @property
    def optuna_direction(self):
        return "minimize" if self.direction == "min" else "maximize"

    def has_value(self, logs):
        return self.name in logs

    def value(self, logs):
        return float(logs[self.name])

    def better(self, a, b):
        """Whether value ``a`` is better than ``b`` (any value beats a NaN or None)."""
        if b is None or (isinstance(b, float) and math.isnan(b)):
            return not (a is None or math.isnan(a))
        return a < b if self.direction == "min" else a > b

    def __eq__(self, other):
        return (isinstance(other, Objective) and
                (self.name, self.direction) == (other.name, other.direction))

    def __hash__(self):
        return hash((self.name, self.direction))

    def __repr__(self):
        return f'Objective(name="{self.name}", direction="{self.direction}")'


class MultiObjective(Objective):
    """Several objectives as one number to minimize: the sum of the minimized ones minus the
    maximized ones."""

    def __init__(self, objectives):
        super().__init__("multi_objective", "min")
        self.objectives = list(objectives)

    def has_value(self, logs):
        return all(o.has_value(logs) for o in self.objectives)

    def value(self, logs):
        return sum(o.value(logs) * (1 if o.direction == "min" else -1)
                   for o in self.objectives)

    def __repr__(self):
        return f"MultiObjective({self.objectives})"


def get(objective):
    """An ``Objective`` from a name, an ``Objective``, a list of them, or None (the value a
    ``HyperModel.fit`` returns, minimized)."""
    if objective is None:
        return Objective("default_objective", "min")
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        direction = infer_direction(objective)
        if direction is None:
            raise ValueError(
                f'Could not infer optimization direction ("min" or "max") for unknown metric '
                f'"{objective}". Please specify the objective as an Objective, for example '
                f'Objective("{objective}", direction="min").')
        return Objective(objective, direction)
    if isinstance(objective, (list, tuple)):
        objectives = [get(o) for o in objective]
        return objectives[0] if len(objectives) == 1 else MultiObjective(objectives)
    raise TypeError(f"objective: expected a metric name, an Objective or a list of them. "
                    f"Received: {objective!r}")
