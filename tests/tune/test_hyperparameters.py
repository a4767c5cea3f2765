"""HyperParameters and Objective: KerasTuner's semantics for defaults, steps, conditions and
errors, and the bridge to Optuna's distributions."""

import pytest

from glassnet.tune import HyperParameters, Objective
from glassnet.tune import objective as objective_module
from glassnet.tune.hyperparameters import Float, Int
from glassnet.tune.optuna_space import grid


def test_defaults_are_the_smallest_value_the_first_choice_and_false():
    hp = HyperParameters()
    assert hp.Int("units", 32, 512, step=32) == 32
    assert hp.Float("lr", 1e-4, 1e-2, sampling="log") == 1e-4
    assert hp.Choice("act", ["relu", "tanh"]) == "relu"
    assert hp.Boolean("dropout") is False
    assert hp.Fixed("batch", 64) == 64
    assert hp.Int("n", 1, 3, default=2) == 2
    assert hp.values == {"units": 32, "lr": 1e-4, "act": "relu", "dropout": False,
                         "batch": 64, "n": 2}
    assert [e.kind for e in hp.space] == ["Int", "Float", "Choice", "Boolean", "Fixed", "Int"]


def test_asking_again_returns_the_same_value_and_get_reads_it():
    hp = HyperParameters()
    hp.values["units"] = 96
    assert hp.Int("units", 32, 512, step=32) == 96
    assert hp.Int("units", 32, 512, step=32) == 96
    assert hp.get("units") == 96 and hp["units"] == 96 and "units" in hp
    with pytest.raises(KeyError, match="'nope' is not a registered"):
        hp.get("nope")


def test_conditional_scope_makes_children_inactive_and_valueless():
    hp = HyperParameters()
    model = hp.Choice("model", ["mlp", "cnn"])
    with hp.conditional_scope("model", ["cnn"]):
        assert hp.Int("filters", 8, 64) is None
    with hp.conditional_scope("model", "mlp"):
        assert hp.Int("units", 8, 64) == 8
        with hp.conditional_scope("units", [16]):  # nested: inactive while units != 16
            assert hp.Boolean("deep") is None
    assert model == "mlp"
    assert hp.values == {"model": "mlp", "units": 8}
    assert hp.get("filters") is None and not hp.is_active("filters") and hp.is_active("units")
    assert hp.Int("kernel", 1, 5, parent_name="model", parent_values=["cnn"]) is None


def test_conditional_scope_needs_a_known_parent():
    with pytest.raises(ValueError, match="'missing' is not a registered hyperparameter"):
        with HyperParameters().conditional_scope("missing", [1]):
            pass


def test_steps_add_and_under_log_multiply():
    assert Int("u", 32, 128, step=32).steps() == [32, 64, 96, 128]
    assert Int("u", 32, 512, step=2, sampling="log").steps() == [32, 64, 128, 256, 512]
    assert Float("f", 0.1, 0.5, step=0.1).steps() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert Float("f", 1e-4, 1e-1, step=10, sampling="log").steps() == pytest.approx(
        [1e-4, 1e-3, 1e-2, 1e-1])


def test_grid_of_a_space_puts_defaults_first_and_skips_fixed():
    hp = HyperParameters()
    hp.Int("u", 1, 3)
    hp.Choice("act", ["a", "b", "c"], default="b")
    hp.Fixed("f", 1)
    hp.Int("w", 2, 8, step=2, sampling="log")
    assert grid(hp.space) == {"u": [1, 2, 3], "act": ["b", "a", "c"], "w": [0, 1, 2]}
    hp.Float("lr", 0.1, 1.0)
    with pytest.raises(ValueError, match="GridSearch: Float 'lr' has no finite set"):
        grid(hp.space)


@pytest.mark.parametrize("call, error, words", [
    (lambda hp: hp.Int("u", 10, 1), ValueError, "min_value <= max_value"),
    (lambda hp: hp.Int("u", 1.5, 3), TypeError, "`min_value` of 'u' must be an int"),
    (lambda hp: hp.Float("lr", 0.0, 1.0, sampling="log"), ValueError, "min_value > 0"),
    (lambda hp: hp.Float("lr", 0.1, 1.0, sampling="reverse"), ValueError, "`sampling`"),
    (lambda hp: hp.Int("u", 1, 8, step=1, sampling="log"), ValueError, "must be > 1"),
    (lambda hp: hp.Int("u", 1, 8, step=0), ValueError, "`step` of 'u' must be > 0"),
    (lambda hp: hp.Int("u", 1, 8, default=9), ValueError, "default of 'u' must be in"),
    (lambda hp: hp.Choice("c", []), ValueError, "at least one value"),
    (lambda hp: hp.Choice("c", "abc"), TypeError, "must be a list"),
    (lambda hp: hp.Choice("c", [1, "a"]), TypeError, "one type"),
    (lambda hp: hp.Choice("c", [1, 2], default=3), ValueError, "must be one of its values"),
    (lambda hp: hp.Boolean("b", default=1), TypeError, "True or False"),
    (lambda hp: hp.Int("", 1, 2), TypeError, "non-empty string"),
])
def test_bad_definitions_name_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call(HyperParameters())


def test_config_round_trip_keeps_space_values_and_conditions():
    hp = HyperParameters()
    hp.Choice("model", ["mlp", "cnn"])
    with hp.conditional_scope("model", ["mlp"]):
        hp.Int("units", 8, 64, step=8)
    hp.Float("lr", 1e-4, 1e-2, sampling="log")
    copy = HyperParameters.from_config(hp.get_config())
    assert copy.values == hp.values
    assert [e.get_config() for e in copy.space] == [e.get_config() for e in hp.space]
    copy.values["model"] = "cnn"
    assert not copy.is_active("units") and hp.is_active("units")


def test_objective_direction_is_inferred_from_keras_metric_names():
    get = objective_module.get
    assert get("val_accuracy") == Objective("val_accuracy", "max")
    assert get("val_loss").direction == "min"
    assert get("mean_absolute_error").direction == "min"
    assert get("val_auc").direction == "max"
    assert get("val_false_positives").direction == "min"
    assert get(None) == Objective("default_objective", "min")
    assert repr(get("val_accuracy")) == 'Objective(name="val_accuracy", direction="max")'
    with pytest.raises(ValueError, match='Could not infer optimization direction .* "wobble"'):
        get("wobble")
    with pytest.raises(ValueError, match="'min' or 'max'"):
        Objective("x", "down")
    multi = get(["val_loss", Objective("val_accuracy", "max")])
    assert multi.value({"val_loss": 0.4, "val_accuracy": 0.9}) == pytest.approx(-0.5)


def test_without_optuna_the_space_works_and_a_tuner_names_the_extra():
    import subprocess
    import sys

    code = ("import sys; sys.modules['optuna'] = None\n"
            "import glassnet.tune as kt\n"
            "print(kt.HyperParameters().Int('u', 1, 4))\n"
            "try:\n"
            "    kt.RandomSearch(lambda hp: None)\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines() == [
        "1", "glassnet.tune's tuners run on Optuna: pip install 'glassnet[tune]'"], done.stderr
