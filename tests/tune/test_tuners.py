"""The four tuners on Optuna: KerasTuner's results API, grids, pruning, retries, errors."""

import math

import numpy as np
import pytest

import glassnet.tune as keras_tuner
from glassnet import keras


def build_model(hp):
    model = keras.Sequential([keras.Input((4,))])
    model.add(keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"))
    model.add(keras.layers.Dense(3, activation="softmax"))
    lr = hp.Float("lr", 1e-3, 1e-1, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_random_search_keeps_the_best_epoch_of_the_best_trial(blobs, tmp_path, capsys):
    x, y, xv, yv = blobs
    tuner = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=4,
                                     directory=tmp_path, project_name="p", seed=0)
    tuner.search(x, y, epochs=3, validation_data=(xv, yv), verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert list(tuner.oracle.trials) == ["00", "01", "02", "03"]
    assert [t.status for t in trials] == ["COMPLETED"] * 4
    best = tuner.oracle.get_best_trials(4)
    assert [t.score for t in best] == sorted((t.score for t in trials), reverse=True)
    hps = tuner.get_best_hyperparameters(2)
    assert hps[0].values == best[0].hyperparameters.values
    assert set(hps[0].values) == {"units", "lr"} and hps[0].values["units"] in (4, 8, 12, 16)
    model = tuner.get_best_models(1)[0]
    # The saved model is the best epoch's: its validation accuracy is the trial's score.
    accuracy = model.evaluate(xv, yv, verbose=0, return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(best[0].score, abs=1e-6)
    assert best[0].metrics["val_accuracy"] == pytest.approx(best[0].score)
    tuner.results_summary(2)
    out = capsys.readouterr().out
    assert out.startswith(f"Results summary\nResults in {tmp_path / 'p'}\nShowing 2 best trials\n"
                          f'Objective(name="val_accuracy", direction="max")')
    assert out.count("summary\nHyperparameters:") == 2 and f"Score: {best[0].score}" in out
    assert (tmp_path / "p" / "study.db").exists()


def test_executions_per_trial_average_the_best_epochs(blobs, tmp_path):
    x, y, xv, yv = blobs
    seen = []

    class Recording(keras_tuner.HyperModel):
        def build(self, hp):
            return build_model(hp)

        def fit(self, hp, model, *args, **kwargs):
            history = model.fit(*args, **kwargs)
            seen.append(max(history.history["val_accuracy"]))
            return history

    tuner = keras_tuner.RandomSearch(Recording(), objective="val_accuracy", max_trials=1,
                                     executions_per_trial=3, directory=tmp_path, seed=1)
    tuner.search(x, y, epochs=2, validation_data=(xv, yv), verbose=0)
    assert len(seen) == 3
    assert tuner.oracle.trials["00"].score == pytest.approx(np.mean(seen))


def test_grid_search_visits_every_combination_once(blobs, tmp_path):
    x, y, xv, yv = blobs

    def build(hp):
        hp.Choice("act", ["relu", "tanh"])
        hp.Int("units", 4, 12, step=4)
        hp.Fixed("lr", 0.01)
        return build_model(keras_tuner.HyperParameters())

    tuner = keras_tuner.GridSearch(build, objective="val_loss", directory=tmp_path)
    assert tuner.max_trials == 6
    tuner.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    combos = sorted((t.hyperparameters["act"], t.hyperparameters["units"])
                    for t in tuner.oracle.trials.values())
    assert combos == sorted((a, u) for a in ("relu", "tanh") for u in (4, 8, 12))
    assert {t.hyperparameters["lr"] for t in tuner.oracle.trials.values()} == {0.01}


class Quadratic(keras_tuner.RandomSearch):
    """KerasTuner's guide: tune any function by overriding run_trial."""

    def run_trial(self, trial, *args, **kwargs):
        x = trial.hyperparameters.Float("x", -1.0, 1.0)
        return x * x + 1


def test_run_trial_override_returns_a_number_to_minimize(tmp_path):
    tuner = Quadratic(max_trials=12, directory=tmp_path, seed=0)
    tuner.search()
    best = tuner.get_best_hyperparameters()[0].get("x")
    scores = [t.score for t in tuner.oracle.trials.values()]
    assert min(scores) == pytest.approx(best * best + 1)


def test_bayesian_optimization_beats_random_on_a_smooth_function(tmp_path):
    class BayesQuadratic(keras_tuner.BayesianOptimization):
        run_trial = Quadratic.run_trial

    optuna = pytest.importorskip("optuna")
    found = {}
    for name, cls in (("random", Quadratic), ("tpe", BayesQuadratic)):
        best = []
        for seed in range(3):
            tuner = cls(max_trials=20, directory=tmp_path, project_name=f"{name}{seed}",
                        seed=seed, storage=optuna.storages.InMemoryStorage())
            tuner.search()
            best.append(tuner.oracle.get_best_trials(1)[0].score - 1)
        found[name] = np.mean(best)
    assert found["tpe"] < found["random"]
    assert isinstance(tuner.study.sampler, tuner.optuna.samplers.TPESampler)


def test_hyperband_prunes_poor_trials_through_the_fit_callback(blobs, tmp_path):
    x, y, xv, yv = blobs
    epochs_run = {}

    class Tracked(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
            lr = hp.Choice("lr", [1e-1, 3e-2, 1e-4, 1e-5])  # two learn, two barely move
            model.compile(keras.optimizers.SGD(lr), "sparse_categorical_crossentropy",
                          metrics=["accuracy"])
            return model

        def fit(self, hp, model, *args, **kwargs):
            history = model.fit(*args, **kwargs)
            epochs_run[len(epochs_run)] = (hp["lr"], len(history.history["loss"]))
            return history

    tuner = keras_tuner.Hyperband(Tracked(), objective="val_loss", max_epochs=9, factor=3,
                                  directory=tmp_path, seed=0)
    assert tuner.max_trials == keras_tuner.tuners.hyperband_trials(9, 3) == 9 + 5 + 3
    tuner.search(x, y, epochs=1, validation_data=(xv, yv), batch_size=60, verbose=0)
    states = [t.status for t in tuner.oracle.trials.values()]
    assert states.count("STOPPED") >= 3 and "COMPLETED" in states
    assert max(n for _, n in epochs_run.values()) == 9  # search's epochs=1 is replaced
    stopped = [n for _, n in epochs_run.values() if n < 9]
    assert stopped and all(n in (1, 3) for n in stopped)  # the rungs of max_epochs / 3**k
    assert tuner.get_best_hyperparameters()[0]["lr"] in (1e-1, 3e-2)


def test_failed_trials_are_retried_then_reported(tmp_path):
    calls = []

    class Flaky(keras_tuner.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            u = trial.hyperparameters.Int("u", 0, 100)
            calls.append(u)
            if len(calls) % 2:
                raise RuntimeError("flaky")
            return float(u)

    tuner = Flaky(max_trials=2, max_retries_per_trial=1, directory=tmp_path, seed=0)
    tuner.search()
    assert len(calls) == 4 and calls[0] == calls[1] and calls[2] == calls[3]
    assert [t.status for t in tuner.oracle.trials.values()] == ["COMPLETED", "COMPLETED"]

    class Broken(keras_tuner.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            trial.hyperparameters.Int("u", 0, 100)
            raise ValueError("this model cannot be built")

    with pytest.raises(RuntimeError, match="3 consecutive trials failed(.|\n)*cannot be built"):
        Broken(max_trials=10, directory=tmp_path, project_name="b").search()


def test_missing_objective_names_what_the_logs_held(blobs, tmp_path):
    x, y, _, _ = blobs
    tuner = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=1,
                                     max_consecutive_failed_trials=1, directory=tmp_path)
    with pytest.raises(RuntimeError, match=r"expected: \['val_accuracy'\], found: "
                                           r"\['accuracy', 'loss'\]"):
        tuner.search(x, y, epochs=1, verbose=0)


def test_fit_may_return_a_dict_of_metrics(blobs, tmp_path):
    x, y, xv, yv = blobs

    class Evaluated(keras_tuner.HyperModel):
        def build(self, hp):
            return build_model(hp)

        def fit(self, hp, model, x, y, validation_data, **kwargs):
            model.fit(x, y, **kwargs)
            p = model.predict(validation_data[0], verbose=0)
            return {"metric_a": float((p.argmax(1) == validation_data[1]).mean()), "b": 1.0}

    tuner = keras_tuner.RandomSearch(Evaluated(), objective=keras_tuner.Objective(
        "metric_a", "max"), max_trials=2, directory=tmp_path)
    tuner.search(x, y, validation_data=(xv, yv), epochs=1, verbose=0)
    trials = tuner.oracle.trials.values()
    assert all(0 <= t.score <= 1 and t.metrics["b"] == 1.0 for t in trials)


def test_a_finished_search_is_not_run_again_and_overwrite_starts_over(tmp_path):
    tuner = Quadratic(max_trials=3, directory=tmp_path, project_name="q", seed=0)
    tuner.search()
    again = Quadratic(max_trials=3, directory=tmp_path, project_name="q", seed=0)
    again.search()
    assert len(again.oracle.trials) == 3
    more = Quadratic(max_trials=5, directory=tmp_path, project_name="q", seed=0)
    more.search()
    assert len(more.oracle.trials) == 5
    fresh = Quadratic(max_trials=2, directory=tmp_path, project_name="q", overwrite=True)
    fresh.search()
    assert len(fresh.oracle.trials) == 2


def test_declared_hyperparameters_and_tune_new_entries(tmp_path):
    hp = keras_tuner.HyperParameters()
    hp.Fixed("x", 0.5)

    class Two(keras_tuner.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            a = trial.hyperparameters.Float("x", -1.0, 1.0)
            b = trial.hyperparameters.Float("y", -1.0, 1.0)
            return a + b

    tuner = Two(hyperparameters=hp, tune_new_entries=False, max_trials=2, directory=tmp_path)
    tuner.search()
    values = [t.hyperparameters.values for t in tuner.oracle.trials.values()]
    assert values == [{"x": 0.5, "y": -1.0}] * 2


@pytest.mark.parametrize("kwargs, words", [
    ({"max_trials": 0}, "`max_trials` must be"),
    ({"executions_per_trial": 1.5}, "`executions_per_trial`"),
    ({"objective": 3}, "expected a metric name"),
    ({"hyperparameters": {"x": 1}}, "`hyperparameters` must be a HyperParameters"),
    ({"hypermodel": 3}, "expected a HyperModel or a function"),
    ({"wobble": 1}, "unexpected arguments"),
])
def test_bad_tuner_arguments(tmp_path, kwargs, words):
    with pytest.raises((TypeError, ValueError), match=words):
        keras_tuner.RandomSearch(**{"directory": tmp_path, **kwargs})


def test_search_space_summary_lists_the_space_found_by_one_build(capsys, tmp_path):
    tuner = keras_tuner.RandomSearch(build_model, objective="val_accuracy", directory=tmp_path)
    tuner.search_space_summary()
    out = capsys.readouterr().out
    assert out.startswith("Search space summary\nDefault search space size: 2\nunits (Int)\n")
    assert "'step': 4" in out and "lr (Float)" in out and "'sampling': 'log'" in out
    assert math.isclose(tuner.hyperparameters.space[1].min_value, 1e-3)


def test_bayesian_optimization_on_optuna_gaussian_process(tmp_path):
    pytest.importorskip("torch")  # Optuna's GPSampler computes with torch
    pytest.importorskip("scipy")

    class GPQuadratic(keras_tuner.BayesianOptimization):
        run_trial = Quadratic.run_trial

    tuner = GPQuadratic(max_trials=6, num_initial_points=3, sampler="gp", seed=0,
                        directory=tmp_path)
    tuner.search()
    assert isinstance(tuner.study.sampler, tuner.optuna.samplers.GPSampler)
    assert len(tuner.oracle.trials) == 6
    with pytest.raises(ValueError, match="`sampler` must be 'tpe', 'gp' or an Optuna sampler"):
        keras_tuner.BayesianOptimization(sampler="cmaes", directory=tmp_path)
