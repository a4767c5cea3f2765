"""The ``glassnet`` command: ``glassnet demo`` trains the classic MLP on the best real data
present and prints its test accuracy; ``glassnet train``, ``evaluate``, ``predict``,
``export``, ``summary`` and ``plot`` work on spec files and saved models
(``glassnet.cli.models``); ``glassnet tune SPEC`` runs a hyperparameter search;
``glassnet --version``; ``glassnet --help``."""

from __future__ import annotations

import argparse
import sys


def demo(epochs=5, seed=0, batch_size=32):
    """Flatten -> Dense 128 relu -> Dense 10 softmax, Adam, sparse categorical cross-entropy."""
    from glassnet import keras
    from glassnet.datasets import best_available

    try:
        name, (x_train, y_train), (x_test, y_test) = best_available()
    except OSError as err:
        raise SystemExit(f"glassnet demo: {err}") from None
    print(f"Training the classic MLP on {name}: {len(x_train)} training and {len(x_test)} "
          f"test images of {x_train.shape[1]}x{x_train.shape[2]} pixels")
    keras.utils.set_random_seed(seed)
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=x_train.shape[1:]),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
    return accuracy


DESCRIPTION = """\
glassnet: deep learning from first principles, with Keras semantics, over NumPy.

The command runs glassnet's ready-made jobs; the library itself is used from Python
(`import glassnet as tf`, then tf.keras...)."""

EPILOG = """\
examples:
  glassnet demo                 train the classic MLP for 5 epochs, print test accuracy
  glassnet demo --epochs 1      a quicker run
  glassnet tune search.yaml     run the hyperparameter search a spec describes
  glassnet train search.yaml    train the model a spec describes and save it
  glassnet evaluate model.keras fashion_mnist --scale 255
  glassnet predict model.keras images.npy --classes
  glassnet export model.keras --onnx
  glassnet summary model.keras
  glassnet serve model.keras    serve it over HTTP (Open Inference Protocol, TF Serving)
  glassnet demo --help          what the demo trains on and its options
  python -m glassnet --version  the same command without the entry point

documentation: README.md, and help(glassnet.keras) in Python"""

DEMO_DESCRIPTION = """\
Train the classic MLP (Flatten -> Dense 128 relu -> Dense 10 softmax, Adam, sparse
categorical cross-entropy) on the best real data present, with Keras's progress bar, then
print its test accuracy.

The data, in order of preference:
  MNIST          if mnist.npz is in the cache (~/.glassnet/datasets, or $GLASSNET_HOME)
  Fashion-MNIST  if Debian's package is installed (apt-get install dataset-fashion-mnist)
  digits (8x8)   scikit-learn's embedded set (pip install 'glassnet[demo]')"""

DEMO_EPILOG = """\
examples:
  glassnet demo
  glassnet demo --epochs 2 --batch-size 128 --seed 1
  glassnet demo > train.log     one line per epoch in the log (no progress-bar redraws)"""


SERVE_DESCRIPTION = """\
Serve models over HTTP with the Open Inference Protocol v2 (KServe, Triton, MLServer:
tritonclient works unchanged) and TensorFlow Serving's REST API, on FastAPI and uvicorn
(the [serve] extra: pip install 'glassnet[serve]'). A model file is served under its file
stem; a repository folder serves every {name}/{version}/model.keras (or .onnx), the highest
version by default, and loads or unloads models on request. Ctrl-C (SIGINT) or SIGTERM
stops it after the requests in flight."""

SERVE_EPILOG = """\
examples:
  glassnet serve model.keras --port 8000
  curl -X POST localhost:8000/v1/models/model:predict -d '{"instances": [[0.1, 0.2]]}'
  glassnet serve models/ --host 0.0.0.0"""

TUNE_DESCRIPTION = """\
Run a hyperparameter search (KerasTuner's tuners on Optuna) from a spec file, print the
best trials and write the best hyperparameters to DIRECTORY/PROJECT/best_hyperparameters.json.
The search is kept in a SQLite study there: run the same command again to resume it.

SPEC is a YAML or JSON file (data only: tuner, objective, max_trials, data, model, compile,
fit; see help(glassnet.tune.spec)) or a Python file that defines build_model(hp), data() and
a TUNER dict. Needs the [tune] extra: pip install 'glassnet[tune]'."""

TUNE_EPILOG = """\
examples:
  glassnet tune examples/tune_fashion_mnist.yaml
  glassnet tune examples/tune_fashion_mnist.yaml --max-trials 3 --overwrite
  glassnet tune my_search.py --directory runs"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions' line breaks; lists the commands without a ``COMMAND`` line."""

    def _format_action(self, action):
        text = super()._format_action(action)
        if action.nargs == argparse.PARSER:  # the subcommands: drop the metavar's own line
            text = text.split("\n", 1)[1]
        return text


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def build_parser():
    """The ``glassnet`` argument parser (one subcommand per job)."""
    from glassnet import __version__

    parser = argparse.ArgumentParser(
        prog="glassnet", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_Formatter)
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}",
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    run = commands.add_parser(
        "demo", help="train the classic MLP on real data and print its test accuracy",
        description=DEMO_DESCRIPTION, epilog=DEMO_EPILOG,
        formatter_class=_Formatter)
    run.add_argument("--epochs", type=_positive_int, default=5, metavar="N",
                     help="passes over the training data (default: %(default)s)")
    run.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                     help="samples per gradient step (default: %(default)s)")
    run.add_argument("--seed", type=int, default=0,
                     help="seed of every random generator, for a reproducible run "
                          "(default: %(default)s)")
    _add_model_commands(commands)
    serve = commands.add_parser(
        "serve", help="serve a model file or a model repository over HTTP",
        description=SERVE_DESCRIPTION, epilog=SERVE_EPILOG, formatter_class=_Formatter)
    serve.add_argument("model", metavar="MODEL_OR_REPO",
                       help="a .keras/.h5/.onnx file, or a folder of {name}/{version}/model.*")
    serve.add_argument("--name", default=None,
                       help="the name a single model file is served under (default: its "
                            "file stem)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=_positive_int, default=8000,
                       help="(default: %(default)s)")
    serve.add_argument("--max-batch-size", type=_positive_int, default=1, metavar="N",
                       help="gather concurrent requests into one predict of up to N samples "
                            "(default: %(default)s, no batching)")
    serve.add_argument("--max-batch-delay-ms", type=float, default=2.0, metavar="MS",
                       help="how long the first request of a batch waits for others "
                            "(default: %(default)s)")
    serve.add_argument("--timeout-keep-alive", type=_positive_int, default=75, metavar="S",
                       help="seconds an idle connection stays open (default: %(default)s, "
                            "longer than clients' and load balancers' idle timeouts, so that "
                            "the server never closes one a client is about to reuse)")
    serve.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="threads that run predicts (default: one per CPU)")
    serve.add_argument("--blas-threads", type=_positive_int, default=None, metavar="N",
                       help="BLAS (and ONNX Runtime) threads per predict (default: the CPUs "
                            "shared out among the workers)")
    tune = commands.add_parser(
        "tune", help="run a hyperparameter search from a YAML, JSON or Python spec",
        description=TUNE_DESCRIPTION, epilog=TUNE_EPILOG, formatter_class=_Formatter)
    tune.add_argument("spec", metavar="SPEC", help="the search's spec file")
    tune.add_argument("--max-trials", type=_positive_int, default=None, metavar="N",
                      help="override the spec's max_trials")
    tune.add_argument("--directory", default=None, metavar="DIR",
                      help="override the spec's directory")
    tune.add_argument("--overwrite", action="store_true", default=None,
                      help="start the search over instead of resuming it")
    tune.add_argument("--summary", type=_positive_int, default=5, metavar="N",
                      help="how many best trials to print (default: %(default)s)")
    return parser


def _add_model_commands(commands):
    """The parsers of ``glassnet.cli.models``'s commands."""
    def command(name, help_text, epilog):
        return commands.add_parser(name, help=help_text, description=help_text[0].upper()
                                   + help_text[1:] + ".", epilog=f"example:\n  {epilog}",
                                   formatter_class=_Formatter)

    model_help = "a saved model: .keras (or Keras 2's .h5)"
    train = command("train", "train the model a spec describes, report its test metrics "
                    "and save it", "glassnet train examples/tune_fashion_mnist.yaml "
                    "--hyperparameters tuning/fashion_mlp/best_hyperparameters.json")
    train.add_argument("config", metavar="CONFIG", help="a YAML, JSON or Python spec (as "
                       "glassnet tune's: data, model, compile, fit; save: the output)")
    train.add_argument("--hyperparameters", metavar="JSON", default=None,
                       help="values for the spec's hyperparameters (else their defaults)")
    train.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                       help="override the spec's fit epochs")
    train.add_argument("-o", "--output", default=None, metavar="PATH",
                       help="where to save the model (default: the spec's save, or "
                            "model.keras)")
    evaluate = command("evaluate", "evaluate a compiled saved model on labelled data",
                       "glassnet evaluate model.keras test.npz")
    evaluate.add_argument("model", metavar="MODEL", help=model_help)
    evaluate.add_argument("data", metavar="DATA", help="an .npz with x and y (or x_test and "
                          "y_test), or a dataset name (its test split): fashion_mnist, ...")
    predict = command("predict", "run a saved model on inputs; print or write its outputs",
                      "glassnet predict model.keras images.npy --classes -o labels.csv")
    predict.add_argument("model", metavar="MODEL", help=model_help)
    predict.add_argument("input", metavar="INPUT", help="samples: .npy, .npz, .json or .csv")
    predict.add_argument("-o", "--output", default=None, metavar="PATH",
                         help="write .npy, .csv or .json (default: one JSON line per sample)")
    predict.add_argument("--classes", action="store_true",
                         help="the index of the largest output instead of the outputs")
    for sub in (evaluate, predict):
        sub.add_argument("--key", default=None, help="the array's name in an .npz")
        sub.add_argument("--scale", type=float, default=None,
                         help="divide the inputs by this (255 for raw pixels)")
        sub.add_argument("--batch-size", type=_positive_int, default=32, metavar="N")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    export = command("export", "export a saved model to another runtime's format",
                     "glassnet export model.keras --onnx -o model.onnx --reference "
                     "train.npz --scale 255")
    export.add_argument("model", metavar="MODEL", help=model_help)
    export.add_argument("--onnx", action="store_true", help="ONNX (needs the [onnx] extra)")
    export.add_argument("-o", "--output", default=None, metavar="PATH",
                        help="the file to write (default: MODEL with .onnx)")
    export.add_argument("--opset", type=_positive_int, default=17, metavar="N")
    export.add_argument("--reference", default=None, metavar="DATA",
                        help="training inputs (.npy, .npz, .json or .csv): a sample of them "
                             "and the model's predictions on it are stored beside the "
                             "exported file (or MODEL) as {stem}.reference.npz, for the "
                             "server's drift monitoring (needs scipy to serve)")
    export.add_argument("--reference-samples", type=_positive_int, default=1000, metavar="N",
                        help="how many samples the reference keeps, drawn at random "
                             "(default: %(default)s)")
    export.add_argument("--key", default=None, help="the reference array's name in an .npz")
    export.add_argument("--scale", type=float, default=None,
                        help="divide the reference inputs by this (255 for raw pixels)")
    summary = command("summary", "print a saved model's layers, shapes and parameters",
                      "glassnet summary model.keras")
    summary.add_argument("model", metavar="MODEL", help=model_help)
    plot = command("plot", "draw a saved model's graph (PNG/SVG/PDF with Graphviz, or "
                   ".mmd Mermaid)", "glassnet plot model.keras --to-file model.svg "
                   "--show-shapes")
    plot.add_argument("model", metavar="MODEL", help=model_help)
    plot.add_argument("--to-file", default=None, metavar="PATH",
                      help="the picture (default: MODEL's name with .png)")
    plot.add_argument("--show-shapes", action="store_true")
    plot.add_argument("--show-activations", action="store_true")
    plot.add_argument("--rankdir", choices=["TB", "LR", "BT", "RL"], default="TB")


def serve(args):
    """Run the server until interrupted."""
    try:
        import uvicorn

        from glassnet.serve import ModelRepository, create_app
    except ImportError as err:
        raise SystemExit(f"glassnet serve: {err}") from None
    from glassnet.serve.workers import InferenceWorkers

    pool = InferenceWorkers(args.workers, args.blas_threads)
    try:
        repository = ModelRepository(args.model, name=args.name, threads=pool.blas_threads)
    except (OSError, ValueError) as err:
        raise SystemExit(f"glassnet serve: {err}") from None
    from glassnet.serve.logs import install_handler

    install_handler()  # one JSON line per request on stderr
    app = create_app(repository, max_batch_size=args.max_batch_size,
                     max_batch_delay_ms=args.max_batch_delay_ms, workers=pool.workers,
                     blas_threads=pool.blas_threads)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info",
                timeout_keep_alive=args.timeout_keep_alive)
    return 0


def main(argv=None):
    """Run the ``glassnet`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit
    status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.epochs, args.seed, batch_size=args.batch_size)
        return 0
    if args.command in ("train", "evaluate", "predict", "export", "summary", "plot"):
        from glassnet.cli import models

        return models.run(args.command, args)
    if args.command == "serve":
        return serve(args)
    if args.command == "tune":
        from glassnet.tune import spec

        try:
            spec.run(args.spec, args.directory, args.max_trials, args.overwrite, args.summary)
        except spec.SpecError as err:
            raise SystemExit(f"glassnet tune: {err}") from None
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
