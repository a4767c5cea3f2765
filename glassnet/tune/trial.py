"""A trial as KerasTuner shows it (``trial_id``, ``hyperparameters``, ``score``, ``status``,
``metrics``, ``best_step``), read from the Optuna study, and the ``Oracle`` that ranks them."""

from __future__ import annotations

from glassnet.tune.hyperparameters import HyperParameters


class Trial:
    """One trial: its number in the study, its hyperparameters, and how it ended."""

    def __init__(self, number, hyperparameters, status="RUNNING", score=None, metrics=None,
                 best_step=None, optuna_trial=None):
        self.number = number
        self.hyperparameters = hyperparameters
        self.status, self.score = status, score
        self.metrics, self.best_step = metrics or {}, best_step
        self.optuna_trial = optuna_trial  # the live Optuna trial while it runs
        self.message, self.seconds = None, None

    @property
    def trial_id(self):
        return f"{self.number:02d}"

    def summary(self):
        lines = [f"Trial {self.trial_id} summary", "Hyperparameters:"]
        lines += [f"{name}: {value}" for name, value in self.hyperparameters.values.items()]
        if self.score is not None:
            lines.append(f"Score: {self.score}")
        return "\n".join(lines)

    def __repr__(self):
        return (f"Trial(trial_id={self.trial_id!r}, status={self.status!r}, "
                f"score={self.score!r}, hyperparameters={self.hyperparameters.values})")


class Oracle:
    """KerasTuner's ``tuner.oracle``: the trials of the search, read from the study."""

    def __init__(self, tuner):
        self._tuner = tuner

    @property
    def objective(self):
        return self._tuner.objective

    def get_trial(self, trial_id):
        for trial in self.trials.values():
            if trial.trial_id == trial_id or trial.number == trial_id:
                return trial
        raise KeyError(f"get_trial: no trial {trial_id!r} in the study")

    @property
    def trials(self):
        """Every recorded trial by ``trial_id``, in order (read from the study now)."""
        from glassnet.tune.tuner import FAILED, METRICS, STEP, VALUES

        states = self._tuner.optuna.trial.TrialState
        names = {states.COMPLETE: "COMPLETED", states.PRUNED: "STOPPED",
                 states.FAIL: "FAILED", states.RUNNING: "RUNNING", states.WAITING: "IDLE"}
        space = self._tuner.hyperparameters.get_config()["space"]
        out = {}
        for t in self._tuner.study.get_trials(deepcopy=False):
            if t.user_attrs.get(FAILED) == "surplus":
                continue
            hp = HyperParameters.from_config({"space": space,
                                              "values": t.user_attrs.get(VALUES, {})})
            trial = Trial(t.number, hp, names.get(t.state, str(t.state)),
                          t.value if t.state == states.COMPLETE else None,
                          t.user_attrs.get(METRICS), t.user_attrs.get(STEP))
            out[trial.trial_id] = trial
        return out

    def get_best_trials(self, num_trials=1):
        """The ``num_trials`` best completed trials, best first (ties: the earlier first)."""
        done = [t for t in self.trials.values() if t.status == "COMPLETED" and t.score is not None]
        sign = 1 if self.objective.direction == "min" else -1
        done.sort(key=lambda t: (sign * t.score, t.number))
        return done[:num_trials]
