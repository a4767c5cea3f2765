"""``Tuner``: KerasTuner's search loop, run by an Optuna study.

Each trial is one Optuna trial. The model-building function draws its hyperparameters from it
as it runs (``hp.Int(...)`` is ``trial.suggest_int(...)``), the fit reports the objective after
every epoch (so a pruner can stop a poor trial early), and the trial's value is the
objective at its best epoch, averaged over ``executions_per_trial`` fits.

The study lives in Optuna's storage: by default a SQLite file in ``directory/project_name``,
so a search killed at any point (even by ``kill -9``) continues where it stopped when the same
script runs again, and several processes (or machines, given a shared ``storage=`` database
URL) can run one search together. A trial whose process died is found by its missing
heartbeat and run again with the same hyperparameters.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
import traceback

from glassnet.backend import seed as seed_glassnet
from glassnet.tune import objective as objective_module
from glassnet.tune import optuna_space
from glassnet.tune.hypermodel import HyperModel, as_hypermodel
from glassnet.tune.hyperparameters import Fixed, HyperParameters
from glassnet.tune.reporting import EpochReporter, average, metrics_of
from glassnet.tune.storage import import_optuna, quiet_optuna, rdb_storage
from glassnet.tune.trial import Oracle, Trial

# Trial attributes in the study (Optuna user attributes): what a trial means to the tuner.
VALUES, METRICS, STEP, FAILED = "hyperparameters", "metrics", "best_step", "failed"


class _TrialFailed(Exception):
    """A trial that failed every retry; the study records it as FAIL."""


class Tuner:
    """The search loop shared by ``RandomSearch``, ``GridSearch``, ``BayesianOptimization``
    and ``Hyperband``; subclasses choose the Optuna sampler and pruner.

    Args (KerasTuner's): ``hypermodel`` (a ``HyperModel`` or a function ``build(hp)``),
    ``objective`` (a metric name, an ``Objective`` or a list), ``max_trials``,
    ``executions_per_trial``, ``hyperparameters`` (entries declared in advance),
    ``tune_new_entries``, ``allow_new_entries``, ``max_retries_per_trial``,
    ``max_consecutive_failed_trials``, ``directory``, ``project_name``, ``overwrite``, ``seed``.
    Optuna's: ``storage`` (a database URL or an Optuna storage; default a SQLite file in the
    project directory), ``study_name`` (default ``project_name``), ``sampler``, ``pruner``,
    ``heartbeat_interval`` and ``grace_period`` (seconds before a silent trial counts as
    dead and is run again).
    """

    def __init__(self, hypermodel=None, objective=None, max_trials=10, executions_per_trial=1,
                 hyperparameters=None, tune_new_entries=True, allow_new_entries=True,
                 max_retries_per_trial=0, max_consecutive_failed_trials=3, directory=None,
                 project_name=None, overwrite=False, seed=None, storage=None,
                 study_name=None, sampler=None, pruner=None, heartbeat_interval=60,
                 grace_period=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        self.optuna = import_optuna()
        self.hypermodel = as_hypermodel(hypermodel) if hypermodel is not None else None
        self.objective = objective_module.get(objective)
        self.max_trials = _count(max_trials, "max_trials", allow_none=True)
        self.executions_per_trial = _count(executions_per_trial, "executions_per_trial")
        self.max_retries_per_trial = _count(max_retries_per_trial, "max_retries_per_trial", 0)
        self.max_consecutive_failed_trials = _count(max_consecutive_failed_trials,
                                                    "max_consecutive_failed_trials")
        if hyperparameters is not None and not isinstance(hyperparameters, HyperParameters):
            raise TypeError(f"{type(self).__name__}: `hyperparameters` must be a "
                            f"HyperParameters. Received: {type(hyperparameters).__name__}")
        self.hyperparameters = hyperparameters.copy() if hyperparameters else HyperParameters()
        self.tune_new_entries, self.allow_new_entries = tune_new_entries, allow_new_entries
        self.seed = seed
        self.directory = os.fspath(directory) if directory is not None else "."
        self.project_name = project_name or "untitled_project"
        self.project_dir = os.path.join(self.directory, self.project_name)
        if overwrite and os.path.isdir(self.project_dir):
            shutil.rmtree(self.project_dir)
        os.makedirs(self.project_dir, exist_ok=True)
        self.study_name = study_name or self.project_name
        self.storage = rdb_storage(self.optuna, storage, self.project_dir, heartbeat_interval,
                                   grace_period)
        if overwrite and storage is not None:
            self._delete_study()
        if self.hypermodel is not None:
            self._populate_space()
        with quiet_optuna(self.optuna):
            self.study = self.optuna.create_study(
                storage=self.storage, study_name=self.study_name, load_if_exists=True,
                direction=self.objective.optuna_direction,
                sampler=sampler if sampler is not None else self._default_sampler(),
                pruner=pruner if pruner is not None else self._default_pruner())
        self._prune = not isinstance(self.study.pruner, self.optuna.pruners.NopPruner)
        self.oracle = Oracle(self)

    # -- what subclasses choose -----------------------------------------------------------
    def _default_sampler(self):
        return self.optuna.samplers.RandomSampler(seed=self.seed)

    def _default_pruner(self):
        return self.optuna.pruners.NopPruner()

    def _fit_kwargs(self, kwargs):
        return kwargs

    def _delete_study(self):
        try:
            self.optuna.delete_study(study_name=self.study_name, storage=self.storage)
        except KeyError:
            pass

    def _populate_space(self):
        """Run ``build`` once on the declared entries, so the space is known before the
        search (``search_space_summary``, a grid), as KerasTuner does."""
        hp = self.hyperparameters.copy()
        self.hypermodel.build(hp)
        self.hyperparameters = HyperParameters.from_config(
            {"space": hp.get_config()["space"], "values": self.hyperparameters.values})
        gc.collect()

    # -- the search -----------------------------------------------------------------------
    def search(self, *fit_args, **fit_kwargs):
        """Run trials until ``max_trials`` have been run (by this process or any other on
        the same study); each trial builds and fits models with ``fit_args``/``fit_kwargs``
        (what ``model.fit`` takes)."""
        verbose = fit_kwargs.get("verbose", 1)
        started, failures = time.time(), 0
        while True:
            if not self._work_left():
                break
            self._last = None
            with quiet_optuna(self.optuna):
                self.study.optimize(lambda t: self._objective(t, fit_args, fit_kwargs),
                                    n_trials=1, catch=(_TrialFailed,))
            trial = self._last
            if trial is None:  # the grid is exhausted (GridSampler stopped the study)
                break
            if trial.status == "FAILED":
                failures += 1
                if failures >= self.max_consecutive_failed_trials:
                    raise RuntimeError(
                        f"{failures} consecutive trials failed; the last one's error:\n"
                        f"{trial.message}")
            else:
                failures = 0
            if verbose:
                self._print_trial(trial, started)
            if self._grid_exhausted():
                break

    def _objective(self, optuna_trial, fit_args, fit_kwargs):
        hp = self._trial_hyperparameters(optuna_trial)
        trial = Trial(optuna_trial.number, hp, optuna_trial=optuna_trial)
        self._last = trial
        if self.max_trials is not None and self._counted_before(optuna_trial.number) \
                >= self.max_trials:  # another process took the last trial meanwhile
            trial.status = "SURPLUS"
            optuna_trial.set_user_attr(FAILED, "surplus")
            raise _TrialFailed("surplus")
        trial_started = time.time()
        for _ in range(self.max_retries_per_trial + 1):
            try:
                results = self.run_trial(trial, *fit_args, **self._fit_kwargs(dict(fit_kwargs)))
                results = results if isinstance(results, list) else [results]
                runs = [metrics_of(r, self.objective) for r in results]
                break
            except self.optuna.TrialPruned:
                trial.status = "STOPPED"
                self._record(optuna_trial, hp, trial, None)
                raise
            except Exception:  # noqa: BLE001 - a trial's error is data for the search
                trial.message = traceback.format_exc()  # a retry reuses hp's values
        else:
            trial.status = "FAILED"
            optuna_trial.set_user_attr(FAILED, trial.message[-2000:])
            optuna_trial.set_user_attr(VALUES, dict(hp.values))
            raise _TrialFailed(trial.message)
        metrics = average([m for m, _ in runs])
        trial.metrics, trial.best_step = metrics, runs[0][1]
        trial.score = self.objective.value(metrics)
        trial.status, trial.seconds = "COMPLETED", time.time() - trial_started
        self._record(optuna_trial, hp, trial, metrics)
        return trial.score

    def _trial_hyperparameters(self, optuna_trial):
        hp = self.hyperparameters.copy()
        hp.values = {k: v for k, v in hp.values.items()
                     if isinstance(hp._by_name.get(k), Fixed)}
        declared = {e.name for e in self.hyperparameters.space}
        grid_names = set(getattr(self, "_grid", None) or ())  # GridSearch: the grid's

        def propose(entry):
            new = entry.name not in declared
            if new and not self.allow_new_entries:
                raise RuntimeError(f"{type(self).__name__}: hyperparameter {entry.name!r} "
                                   f"is new and allow_new_entries=False")
            if (new and not self.tune_new_entries) or (
                    grid_names and entry.name not in grid_names):
                return entry.default
            return optuna_space.suggest(optuna_trial, entry)

        hp._propose = propose
        return hp

    def run_trial(self, trial, *args, **kwargs):
        """Build and fit ``executions_per_trial`` models for ``trial``; return their
        histories. Override to tune anything: return a number (minimized by default), a dict
        of metrics, or a History."""
        if self.hypermodel is None:
            raise ValueError(f"{type(self).__name__}: no hypermodel was given, so run_trial "
                             f"must be overridden")
        histories, best = [], None
        for execution in range(self.executions_per_trial):
            if self.seed is not None:
                seed_glassnet(self.seed + 1000 * trial.number + execution)
            callbacks = list(kwargs.get("callbacks") or [])
            reporter = EpochReporter(self.objective, trial.optuna_trial if execution == 0
                                     else None, prune=self._prune)
            model = self.hypermodel.build(trial.hyperparameters)
            history = self.hypermodel.fit(trial.hyperparameters, model, *args,
                                          **{**kwargs, "callbacks": [*callbacks, reporter]})
            if reporter.best_weights is not None and self.objective.better(
                    reporter.best_value, best):
                best = reporter.best_value
                self._save_checkpoint(trial, model, reporter.best_weights)
            histories.append(history)
            pruned = reporter.pruned
            del model, reporter
            if pruned:
                trial.status = "STOPPING"
                break
        gc.collect()  # the trial's models and their graphs go now, not trials later
        if trial.status == "STOPPING":
            raise self.optuna.TrialPruned(f"pruned by {type(self.study.pruner).__name__}")
        return histories

    # -- trials in the study --------------------------------------------------------------
    def _record(self, optuna_trial, hp, trial, metrics):
        optuna_trial.set_user_attr(VALUES, dict(hp.values))
        if metrics is not None:
            optuna_trial.set_user_attr(METRICS, metrics)
            optuna_trial.set_user_attr(STEP, int(trial.best_step))
        with open(os.path.join(self._trial_dir(trial.number), "trial.json"), "w") as f:
            json.dump({"trial_id": trial.trial_id, "status": trial.status,
                       "hyperparameters": hp.get_config(), "metrics": metrics,
                       "score": trial.score, "best_step": trial.best_step}, f, indent=2)

    def _trial_dir(self, number):
        path = os.path.join(self.project_dir, f"trial_{number:04d}")
        os.makedirs(path, exist_ok=True)
        return path

    def _save_checkpoint(self, trial, model, weights):
        """The best epoch's weights (and the input shape the model was built for, so that
        a ``Sequential`` without an ``Input`` can be rebuilt to load them)."""
        from glassnet.io import save_weights

        model.set_weights(weights)
        trial_dir = self._trial_dir(trial.number)
        save_weights(model, os.path.join(trial_dir, "checkpoint.weights.npz"))
        with open(os.path.join(trial_dir, "build.json"), "w") as f:
            json.dump({"input_shape": _input_shape(model)}, f)

    def _frozen_trials(self):
        return self.study.get_trials(deepcopy=False)

    def _counts(self, trial):
        state = self.optuna.trial.TrialState
        if trial.state == state.FAIL:  # a final failure counts; a dead, retried one does not
            reason = trial.user_attrs.get(FAILED)
            return reason is not None and reason != "surplus"
        return trial.state in (state.COMPLETE, state.PRUNED, state.RUNNING, state.WAITING)

    def _counted_before(self, number):
        return sum(self._counts(t) for t in self._frozen_trials() if t.number < number)

    def _work_left(self):
        """Whether to run another trial: below ``max_trials``, or a trial is queued (one
        whose process died, queued again). At ``max_trials`` with trials still running
        elsewhere, wait for them: each either finishes or, once its heartbeat is stale, is
        queued again here."""
        state = self.optuna.trial.TrialState
        while True:
            trials = self._frozen_trials()
            if any(t.state == state.WAITING for t in trials):
                return True
            if self.max_trials is None or sum(map(self._counts, trials)) < self.max_trials:
                return True
            if not any(t.state == state.RUNNING for t in trials) or not self._heartbeat():
                return False
            self.optuna.storages.fail_stale_trials(self.study)
            if not any(t.state == state.WAITING for t in self._frozen_trials()):
                time.sleep(1.0)

    def _heartbeat(self):
        """Whether the study's storage records heartbeats (so a dead trial goes stale)."""
        storage = self.study._storage
        storage = getattr(storage, "_backend", storage)  # Optuna caches an RDB storage
        return (isinstance(storage, self.optuna.storages._heartbeat.BaseHeartbeat)
                and storage.get_heartbeat_interval() is not None)

    def _grid_exhausted(self):
        sampler = self.study.sampler
        return (isinstance(sampler, self.optuna.samplers.GridSampler)
                and sampler.is_exhausted(self.study))

    # -- results --------------------------------------------------------------------------
    def get_best_hyperparameters(self, num_trials=1):
        """The ``HyperParameters`` of the ``num_trials`` best completed trials, best first."""
        return [t.hyperparameters for t in self.oracle.get_best_trials(num_trials)]

    def get_best_models(self, num_models=1):
        """The models of the best trials, built by the hypermodel and holding the weights of
        their best epoch."""
        if self.hypermodel is None:
            raise ValueError("get_best_models: this tuner has no hypermodel to build with")
        return [self.load_model(t) for t in self.oracle.get_best_trials(num_models)]

    def load_model(self, trial):
        """``trial``'s model at its best epoch."""
        from glassnet.io import load_weights

        model = self.hypermodel.build(trial.hyperparameters)
        trial_dir = os.path.join(self.project_dir, f"trial_{trial.number:04d}")
        build = os.path.join(trial_dir, "build.json")
        if os.path.exists(build) and not model.weights:
            with open(build) as f:
                shape = json.load(f)["input_shape"]
            if shape is not None:
                model.build(tuple(shape))
        load_weights(model, os.path.join(trial_dir, "checkpoint.weights.npz"))
        return model

    def results_summary(self, num_trials=10):
        """Print the best ``num_trials`` trials, as KerasTuner does."""
        print("Results summary")
        print(f"Results in {self.project_dir}")
        print(f"Showing {num_trials} best trials")
        print(self.objective)
        for trial in self.oracle.get_best_trials(num_trials):
            print()
            print(trial.summary())

    def search_space_summary(self, extended=False):
        """Print the search space known so far."""
        space = self.hyperparameters.space
        print("Search space summary")
        print(f"Default search space size: {len(space)}")
        for entry in space:
            print(f"{entry.name} ({entry.kind})")
            config = entry.get_config()
            config.pop("name")
            print(config)

    def _print_trial(self, trial, started):
        if trial.status == "SURPLUS":
            return
        print(f"\nTrial {trial.number + 1} {trial.status.capitalize()} "
              f"[{_clock(trial.seconds)}]")
        for name, value in trial.hyperparameters.values.items():
            print(f"{name}: {value}")
        if trial.score is not None:
            print(f"{self.objective.name}: {trial.score:.6g}")
        best = self.oracle.get_best_trials(1)
        if best:
            print(f"\nBest {self.objective.name} So Far: {best[0].score:.6g}")
        print(f"Total elapsed time: {_clock(time.time() - started)}")


def _input_shape(model):
    shape = getattr(model, "_build_input_shape", None)
    if shape is None or isinstance(shape, dict):
        return None
    try:
        return [None if d is None else int(d) for d in shape]
    except TypeError:
        return None


def _clock(seconds):
    seconds = int(seconds or 0)
    return f"{seconds // 3600:02d}h {seconds // 60 % 60:02d}m {seconds % 60:02d}s"


def _count(value, arg, minimum=1, allow_none=False):
    from glassnet import checks

    return checks.integer(value, arg, "Tuner", minimum, allow_none=allow_none)


__all__ = ["HyperModel", "Tuner"]
