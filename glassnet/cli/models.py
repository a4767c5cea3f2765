"""The commands on a saved model: ``summary``, ``plot``, ``export`` (to ONNX, and a drift
reference for serving), ``predict``, ``evaluate``, and ``train`` (a model from a spec,
trained and saved).

Inputs are read without running anything they hold: models through ``load_model`` (no
pickle, no code), arrays from ``.npy`` / ``.npz`` with ``allow_pickle=False``, ``.json``
(nested lists) or ``.csv`` (numbers, an optional header line).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np


class CommandError(Exception):
    """A user error: printed as one line, exit status 1."""


def _load_model(path, compile=True):  # noqa: A002 - load_model's name
    from glassnet.io import load_model

    if not os.path.isfile(path):
        raise CommandError(f"no model file at {path}")
    try:
        return load_model(path, compile=compile)
    except (ValueError, TypeError, OSError) as err:
        raise CommandError(f"cannot load {path}: {err}") from None


def read_array(path, key=None):
    """The array in ``path`` (``.npy``; ``.npz``: ``key``, or ``x`` / the only array;
    ``.json``; ``.csv``)."""
    if not os.path.isfile(path):
        raise CommandError(f"no input file at {path}")
    suffix = os.path.splitext(path)[1].lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as f:
                names = list(f.files)
                name = key or ("x" if "x" in names else "x_test" if "x_test" in names
                               else names[0] if len(names) == 1 else None)
                if name not in names:
                    raise CommandError(f"{path} holds {names}; name the array with --key")
                return f[name]
        if suffix == ".json":
            with open(path, encoding="utf-8") as f:
                return np.asarray(json.load(f), dtype=np.float32)
        if suffix == ".csv":
            with open(path, encoding="utf-8") as f:
                first = f.readline()
            skip = 1 if any(c.isalpha() for c in first.replace("e", "").replace("E", "")) \
                else 0
            return np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.float32, ndmin=2)
    except (ValueError, TypeError, OSError) as err:  # TypeError: JSON that is not numbers
        raise CommandError(f"cannot read {path}: {err}") from None
    raise CommandError(f"{path}: the input must be .npy, .npz, .json or .csv")


def _fit_to_model(model, x, what):
    """``x`` reshaped to the model's input when only a trailing axis of 1 differs (images
    saved as (N, 28, 28) for a (28, 28, 1) input), else a clear error."""
    expected = tuple(model.input_shape[1:])
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        x = x.astype(np.float32)
    if tuple(x.shape[1:]) == expected:
        return x
    if None not in expected and int(np.prod(x.shape[1:])) == int(np.prod(expected)):
        return x.reshape((len(x), *expected))
    raise CommandError(f"{what}: the model expects samples of shape {expected}, the input "
                       f"holds samples of shape {tuple(x.shape[1:])}")


def summary(args):
    _load_model(args.model, compile=False).summary()


def plot(args):
    from glassnet.train.plot import plot_model

    model = _load_model(args.model, compile=False)
    out = args.to_file or os.path.splitext(os.path.basename(args.model))[0] + ".png"
    try:
        plot_model(model, to_file=out, show_shapes=args.show_shapes, rankdir=args.rankdir,
                   show_layer_activations=args.show_activations)
    except (ImportError, OSError) as err:
        raise CommandError(f"cannot draw {out}: {err}") from None
    print(f"wrote {out}")


def export(args):
    """Export to ONNX (``--onnx``) and/or store a drift reference (``--reference``) beside
    the model: the exported file when there is one, else MODEL."""
    if not args.onnx and not args.reference:
        raise CommandError("choose the format to export to: --onnx (or store a drift "
                           "reference with --reference DATA.npz)")
    if args.output and not args.onnx:
        raise CommandError("-o/--output names the .onnx file: add --onnx (without it the "
                           "reference is stored beside MODEL)")
    model = _load_model(args.model, compile=False)
    x = None
    if args.reference:  # read and checked before anything is written
        x = _fit_to_model(model, read_array(args.reference, args.key), "export --reference")
        if args.scale:
            x = x / np.float32(args.scale)
    out = args.model
    if args.onnx:
        from glassnet.io import export_onnx

        out = args.output or os.path.splitext(args.model)[0] + ".onnx"
        try:
            export_onnx(model, out, opset=args.opset)
        except ImportError as err:
            raise CommandError(str(err)) from None
        except ValueError as err:
            raise CommandError(f"cannot export {args.model}: {err}") from None
        print(f"wrote {out}")
    if x is not None:
        from glassnet.serve.drift import save_reference

        try:
            written = save_reference(out, x, max_samples=args.reference_samples, model=model)
        except (ValueError, OSError) as err:
            raise CommandError(f"cannot store the reference of {out}: {err}") from None
        print(f"wrote {written} ({min(len(x), args.reference_samples)} reference samples)")


def predict(args):
    model = _load_model(args.model, compile=False)
    x = _fit_to_model(model, read_array(args.input, args.key), "predict")
    if args.scale:
        x = x / np.float32(args.scale)
    y = np.asarray(model.predict(x, batch_size=args.batch_size, verbose=0))
    if args.classes:
        y = y.argmax(axis=-1)
    if args.output:
        suffix = os.path.splitext(args.output)[1].lower()
        if suffix == ".npy":
            np.save(args.output, y)
        elif suffix == ".csv":
            np.savetxt(args.output, y.reshape(len(y), -1), delimiter=",",
                       fmt="%d" if args.classes else "%.8g")
        elif suffix == ".json":
            with open(args.output, "w", encoding="utf-8") as f:
                json.dump(y.tolist(), f)
        else:
            raise CommandError(f"{args.output}: the output must be .npy, .csv or .json")
        print(f"wrote {len(y)} predictions to {args.output}")
    else:
        for row in y:
            print(json.dumps(np.asarray(row).tolist()))


def _labelled_data(args):
    from glassnet.tune.spec import DATASETS, SpecError, dataset

    if args.data in DATASETS:
        try:
            _, (x, y) = dataset({"dataset": args.data, "scale": args.scale})
        except (SpecError, OSError) as err:
            raise CommandError(str(err)) from None
        return x, y
    if not args.data.endswith(".npz"):
        raise CommandError(f"{args.data}: evaluate needs labels: an .npz holding x and y "
                           f"(or x_test and y_test), or a dataset name {DATASETS}")
    x = read_array(args.data, args.key)
    with np.load(args.data, allow_pickle=False) as f:  # read_array checked the file
        label = "y" if "y" in f.files else "y_test" if "y_test" in f.files else None
        if label is None:
            raise CommandError(f"{args.data} holds {list(f.files)}: no y or y_test labels")
        y = f[label]
    if args.scale:
        x = x / np.float32(args.scale)
    return x, y


def evaluate(args):
    model = _load_model(args.model)
    if not model.compiled:
        raise CommandError(f"{args.model} was saved without compile settings (loss and "
                           f"metrics); compile and save it again to evaluate it")
    x, y = _labelled_data(args)
    x = _fit_to_model(model, x, "evaluate")
    if len(x) != len(y):
        raise CommandError(f"evaluate: {len(x)} samples but {len(y)} labels")
    result = model.evaluate(x, y, batch_size=args.batch_size, verbose=0, return_dict=True)
    if args.json:
        print(json.dumps({k: float(v) for k, v in result.items()}))
    else:
        for name, value in result.items():
            print(f"{name}: {float(value):.4f}")


def train(args):
    """Train the model a spec describes (``glassnet tune``'s spec: its hyperparameters at
    their defaults, or at the values of ``--hyperparameters``), report the test metrics and
    save it."""
    from glassnet.backend import seed as seed_glassnet
    from glassnet.tune import HyperParameters
    from glassnet.tune import spec as spec_module

    try:
        spec = spec_module.load(args.config)
        hp = HyperParameters()
        if args.hyperparameters:
            with open(args.hyperparameters, encoding="utf-8") as f:
                hp.values.update(json.load(f))
        if spec.get("seed") is not None:
            seed_glassnet(int(spec["seed"]))
        build = spec.get("hypermodel") or spec_module.build_function(spec)
        model = build(hp)
        fit = dict(spec.get("fit") or {})
        if args.epochs:
            fit["epochs"] = args.epochs
        test = None
        if spec.get("data_fn") is not None:
            data = spec["data_fn"]()
            if isinstance(data, dict):
                model.fit(**{**fit, **data})
            else:
                x, y, *rest = data
                test = rest[0] if rest else None
                model.fit(x, y, **fit)
        else:
            (x, y), test = spec_module.dataset(spec.get("data"))
            model.fit(x, y, **fit)
    except (spec_module.SpecError, json.JSONDecodeError) as err:
        raise CommandError(str(err)) from None
    if test is not None:
        result = model.evaluate(*test, verbose=0, return_dict=True)
        print("Test " + ", ".join(f"{k}: {float(v):.4f}" for k, v in result.items()))
    out = args.output or spec.get("save") or "model.keras"
    model.save(out)
    print(f"wrote {out}")


COMMANDS = {"summary": summary, "plot": plot, "export": export, "predict": predict,
            "evaluate": evaluate, "train": train}


def run(command, args):
    """Run one of ``COMMANDS``; a user error ends with one line on stderr."""
    try:
        COMMANDS[command](args)
    except CommandError as err:
        print(f"glassnet {command}: {err}", file=sys.stderr)
        return 1
    return 0
