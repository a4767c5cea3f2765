"""A search from a small spec file, for ``glassnet tune SPEC``.

A YAML or JSON spec is data only (nothing in it is imported or run): the tuner and its
arguments, a dataset, a ``Sequential`` model whose layer arguments may be hyperparameters,
compile and fit settings::

    tuner: BayesianOptimization       # RandomSearch | GridSearch | BayesianOptimization | Hyperband
    objective: val_accuracy
    max_trials: 10
    directory: tuning
    project_name: fashion_mlp
    data: {dataset: fashion_mnist, train_size: 10000, scale: 255}
    model:
      - Flatten: {input_shape: [28, 28]}
      - Dense: {units: {Int: [32, 512, 32]}, activation: {Choice: [relu, tanh]}}
      - Dropout: {rate: {Float: [0.0, 0.5, 0.1]}}
      - Dense: {units: 10, activation: softmax}
    compile:
      optimizer: {Adam: {learning_rate: {Float: [1.0e-4, 1.0e-2], sampling: log}}}
      loss: sparse_categorical_crossentropy
      metrics: [accuracy]
    fit: {epochs: 3, batch_size: 128, validation_split: 0.2}

A hyperparameter is a one-key mapping ``{Int: ...}``, ``{Float: ...}``, ``{Choice: [...]}``,
``{Boolean: default}`` or ``{Fixed: value}``; ``Int``/``Float`` take ``[min, max]`` or
``[min, max, step]`` plus ``sampling``/``default``/``name`` beside it, or a mapping of
``HyperParameters.Int``'s arguments. Its name defaults to the layer's position and argument
(``dense_1_units``), or the argument alone in ``compile`` (``learning_rate``).

A Python spec is the user's own program, run as ``python`` would run it: it defines
``build_model(hp)`` (or ``hypermodel``), ``data()`` returning ``(x, y)``, ``(x, y,
(x_val, y_val))`` or a dict of ``search`` arguments, and a ``TUNER`` dict with the keys above
(``tuner``, ``objective``, ``max_trials``, ``fit``, ...).
"""

from __future__ import annotations

import json
import os

import numpy as np

from glassnet.tune.hyperparameters import KINDS
from glassnet.tune.tuners import BayesianOptimization, GridSearch, Hyperband, RandomSearch

TUNERS = {cls.__name__: cls for cls in (RandomSearch, GridSearch, BayesianOptimization,
                                        Hyperband)}
KEYS = {"tuner", "tuner_args", "objective", "max_trials", "seed", "directory", "project_name",
        "overwrite", "executions_per_trial", "data", "model", "compile", "fit",
        "save"}  # save: where `glassnet train` writes the trained model
DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100", "boston_housing",
            "california_housing", "digits")


class SpecError(ValueError):
    """A spec that cannot describe a search; the message names the key."""


def load(path):
    """The spec at ``path`` as a dict (YAML, JSON, or a Python file's names)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise SpecError(f"no spec file at {path}")
    if path.endswith(".py"):
        import runpy

        names = runpy.run_path(path, run_name="__glassnet_tune__")
        spec = dict(names.get("TUNER", {}))
        build = names.get("build_model", names.get("hypermodel"))
        if build is None:
            raise SpecError(f"{path}: a Python spec defines build_model(hp) (or hypermodel)")
        spec["hypermodel"] = build
        spec["data_fn"] = names.get("data")
        return spec
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as err:
            raise SpecError(f"{path}: not valid JSON: {err}") from None
    else:
        try:
            import yaml
        except ImportError as error:
            raise ImportError("a YAML spec needs PyYAML: pip install 'glassnet[tune]'") from error
        try:
            spec = yaml.safe_load(text)  # plain data: no tags, nothing constructed or run
        except yaml.YAMLError as err:
            raise SpecError(f"{path}: not a valid YAML spec: {err}") from None
    if not isinstance(spec, dict):
        raise SpecError(f"{path}: a spec is a mapping of keys {sorted(KEYS)}")
    return spec


def _hyperparameter(value, name):
    """``value`` as a function of ``hp`` when it is a one-key hyperparameter mapping."""
    if not (isinstance(value, dict) and any(k in KINDS for k in value)):
        return None
    kinds = [k for k in value if k in KINDS]
    if len(kinds) != 1:
        raise SpecError(f"{name}: one hyperparameter kind per value; received {kinds}")
    kind = kinds[0]
    args, extra = value[kind], {k: v for k, v in value.items() if k != kind}
    name = extra.pop("name", name)
    if kind in ("Int", "Float"):
        if isinstance(args, list):
            if len(args) not in (2, 3):
                raise SpecError(f"{name}: {kind} takes [min, max] or [min, max, step]; "
                                f"received {args}")
            args = dict(zip(("min_value", "max_value", "step"), args))
        return lambda hp: getattr(hp, kind)(name, **{**args, **extra})
    if kind == "Choice":
        values = args["values"] if isinstance(args, dict) else args
        return lambda hp: hp.Choice(name, values, **extra)
    if kind == "Boolean":
        return lambda hp: hp.Boolean(name, default=bool(args))
    return lambda hp: hp.Fixed(name, args)


def _resolve(value, hp, name):
    """A spec value with its hyperparameters drawn from ``hp`` (recursively); one nested in
    a mapping is named by its own key (``learning_rate`` in ``{Adam: {learning_rate:
    ...}}``)."""
    draw = _hyperparameter(value, name)
    if draw is not None:
        return draw(hp)
    if isinstance(value, dict):
        return {k: _resolve(v, hp, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, hp, name) for v in value]
    return value


def _layer(entry, index, hp):
    from glassnet.io.registry import builtin_classes

    if isinstance(entry, str):
        entry = {entry: {}}
    if not (isinstance(entry, dict) and len(entry) == 1):
        raise SpecError(f"model[{index}]: a layer is a class name or {{ClassName: {{args}}}}; "
                        f"received {entry!r}")
    (class_name, args), = entry.items()
    table = builtin_classes()
    if class_name not in table or class_name in ("Model", "Functional", "Sequential"):
        raise SpecError(f"model[{index}]: {class_name!r} is not a glassnet layer")
    args = {k: _resolve(v, hp, f"{class_name.lower()}_{index}_{k}") for k, v in
            (args or {}).items()}
    return table[class_name](**args)


def build_function(spec):
    """``build(hp)`` for a data-only spec: the ``Sequential`` of ``model``, compiled."""
    from glassnet import optim
    from glassnet.train import Sequential

    layers, compile_spec = spec.get("model"), dict(spec.get("compile") or {})
    if not isinstance(layers, list) or not layers:
        raise SpecError("model: a list of layers, e.g. [Flatten, {Dense: {units: 10}}]")

    def build(hp):
        model = Sequential([_layer(entry, i, hp) for i, entry in enumerate(layers)])
        settings = _resolve(compile_spec, hp, "")
        optimizer = settings.pop("optimizer", "adam")
        if isinstance(optimizer, dict):
            (class_name, config), = optimizer.items()
            optimizer = optim.get({"class_name": class_name, "config": config or {}})
        model.compile(optimizer=optimizer, **settings)
        return model

    return build


def dataset(data):
    """A spec's ``data`` entry as ``((x, y), (x_test, y_test))``: a dataset's training split
    (``train_size`` first samples) and its test split, both as float32 divided by
    ``scale``."""
    from glassnet import datasets

    if isinstance(data, str):
        data = {"dataset": data}
    if not isinstance(data, dict):
        raise SpecError(f"data: a dataset name or {{dataset: name, train_size: n, scale: s}}; "
                        f"received {data!r}")
    name = data.get("dataset")
    if name not in DATASETS:
        raise SpecError(f"data.dataset: one of {DATASETS}; received {name!r}")
    (x, y), (x_test, y_test) = getattr(datasets, name).load_data()
    n = data.get("train_size")
    if n is not None:
        x, y = x[:int(n)], y[:int(n)]

    def scaled(a):
        a = np.asarray(a, dtype="float32")
        return a / float(data["scale"]) if data.get("scale") else a

    return (scaled(x), y), (scaled(x_test), y_test)


def tuner_and_search_args(spec, directory=None, max_trials=None, overwrite=None):
    """The tuner a spec describes, and the positional and keyword arguments of its
    ``search``."""
    unknown = set(spec) - KEYS - {"hypermodel", "data_fn"}
    if unknown:
        raise SpecError(f"unknown spec keys {sorted(unknown)}; expected some of {sorted(KEYS)}")
    name = spec.get("tuner", "RandomSearch")
    if name not in TUNERS:
        raise SpecError(f"tuner: one of {sorted(TUNERS)}; received {name!r}")
    hypermodel = spec.get("hypermodel") or build_function(spec)
    args = dict(spec.get("tuner_args") or {})
    for key in ("objective", "max_trials", "seed", "directory", "project_name", "overwrite",
                "executions_per_trial"):
        if key in spec:
            args[key] = spec[key]
    for key, value in (("directory", directory), ("max_trials", max_trials),
                       ("overwrite", overwrite)):
        if value is not None:
            args[key] = value
    args.setdefault("objective", "val_loss")
    tuner = TUNERS[name](hypermodel, **args)
    data_fn = spec.get("data_fn")
    if data_fn is not None:
        data = data_fn()
    elif "data" in spec:
        data = (dataset(spec["data"])[0], {})
    else:
        raise SpecError("data: name a dataset ({dataset: fashion_mnist}) or, in a Python "
                        "spec, define data()")
    fit = dict(spec.get("fit") or {})
    if isinstance(data, dict):
        return tuner, (), {**fit, **data}
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], dict):
        (x, y), extra = data
        return tuner, (x, y), {**fit, **extra}
    if isinstance(data, tuple) and len(data) == 3:
        x, y, validation = data
        return tuner, (x, y), {**fit, "validation_data": validation}
    if isinstance(data, tuple) and len(data) == 2:
        return tuner, data, fit
    raise SpecError("data() returns (x, y), (x, y, (x_val, y_val)) or a dict of search "
                    "arguments")


def run(path, directory=None, max_trials=None, overwrite=None, summary=5):
    """Run the search a spec file describes; print the results; return the tuner."""
    tuner, args, kwargs = tuner_and_search_args(load(path), directory, max_trials, overwrite)
    tuner.search(*args, **kwargs)
    tuner.results_summary(summary)
    best = tuner.get_best_hyperparameters(1)
    if best:
        out = os.path.join(tuner.project_dir, "best_hyperparameters.json")
        with open(out, "w") as f:
            json.dump(best[0].values, f, indent=2)
        print(f"\nBest hyperparameters (also in {out}):\n{json.dumps(best[0].values)}")
    return tuner
