"""Hyperparameter search on Fashion-MNIST: glassnet.tune (Optuna) and KerasTuner (TensorFlow),
the same program under both, side by side in one run.

    python3 benchmarks/tuning.py [--train 12000] [--trials 10] [--rss-trials 30]
        [--keras-python /path/to/venv-with-tensorflow-and-keras-tuner/bin/python]

The program is KerasTuner's own API in both workers (only the imports differ): an MLP
(Flatten -> Dense units relu -> Dropout rate -> Dense 10 softmax; Adam learning_rate) with
units in 32..512 step 32, rate in 0..0.5 step 0.1 and learning_rate log-uniform in
[1e-4, 1e-2], trained 3 epochs (batch 128) on ``--train`` images with the next 5,000 as
validation; objective val_accuracy. Tuners: RandomSearch and BayesianOptimization with
``--trials`` (15) trials each, and Hyperband (max_epochs 9, factor 3). For each: the best
validation accuracy, the best model's test accuracy (10k test images), and the wall time.
Then a 30-trial RandomSearch (1 epoch, 2,000 images) reports the process's resident memory
after trials 1, 10 and 30 (KerasTuner's users report it growing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load(n_train):
    sys.path.insert(0, os.path.dirname(HERE))
    from glassnet.datasets import fashion_mnist

    (x, y), (x_test, y_test) = fashion_mnist.load_data()
    x, x_test = (x / 255.0).astype(np.float32), (x_test / 255.0).astype(np.float32)
    val = slice(n_train, n_train + 5000)
    return (x[:n_train], y[:n_train]), (x[val], y[val]), (x_test, y_test)


def modules(name, threads):
    if name == "glassnet":
        sys.path.insert(0, os.path.dirname(HERE))
        import glassnet.tune as keras_tuner
        from glassnet import keras
        return keras_tuner, keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras_tuner
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    return keras_tuner, tf.keras


def worker(name, args):
    keras_tuner, keras = modules(name, args.threads)
    train, val, test = load(args.train)
    rss = []

    class MLP(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential([
                keras.Input((28, 28)), keras.layers.Flatten(),
                keras.layers.Dense(hp.Int("units", 32, 512, step=32), activation="relu"),
                keras.layers.Dropout(hp.Float("rate", 0.0, 0.5, step=0.1)),
                keras.layers.Dense(10, activation="softmax")])
            lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
            model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return model

        def fit(self, hp, model, *fit_args, **kwargs):
            history = model.fit(*fit_args, **kwargs)
            rss.append(rss_mib())
            return history

    root = tempfile.mkdtemp(prefix=f"tuning-{name}-")
    common = {"objective": "val_accuracy", "directory": root, "overwrite": True, "seed": 0}
    tuners = {
        "random": lambda: keras_tuner.RandomSearch(MLP(), max_trials=args.trials,
                                                   project_name="random", **common),
        "bayesian": lambda: keras_tuner.BayesianOptimization(
            MLP(), max_trials=args.trials, project_name="bayesian", **common),
        "hyperband": lambda: keras_tuner.Hyperband(MLP(), max_epochs=9, factor=3,
                                                   project_name="hyperband", **common),
    }
    out = {}
    for label, make in tuners.items():
        keras.utils.set_random_seed(0)
        start = time.perf_counter()
        tuner = make()
        tuner.search(*train, epochs=3, batch_size=128, validation_data=val, verbose=0)
        seconds = time.perf_counter() - start
        best = tuner.get_best_models(1)[0]
        predicted = np.argmax(np.asarray(best.predict(test[0], batch_size=1000, verbose=0)), 1)
        score = tuner.oracle.get_best_trials(1)[0].score
        out[label] = {"val": float(score), "test": float((predicted == test[1]).mean()),
                      "seconds": seconds, "trials": len(tuner.oracle.trials)}
    rss.clear()
    small = (train[0][:2000], train[1][:2000])
    tuner = keras_tuner.RandomSearch(MLP(), max_trials=args.rss_trials, project_name="rss",
                                     **common)
    tuner.search(*small, epochs=1, batch_size=128, validation_data=val, verbose=0)
    out["rss"] = rss
    shutil.rmtree(root, ignore_errors=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=12000)
    parser.add_argument("--trials", type=int, default=15)
    parser.add_argument("--rss-trials", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="glassnet,keras")
    parser.add_argument("--keras-python", default=None,
                        help="the interpreter with tensorflow and keras-tuner installed")
    parser.add_argument("--worker", choices=["glassnet", "keras"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args)))
        return
    env = {**os.environ, **{v: str(args.threads) for v in THREAD_VARS}}
    results = {}
    for name in args.only.split(","):
        python = (args.keras_python if name == "keras" else None) or sys.executable
        proc = subprocess.run([python, __file__, "--worker", name, "--train", str(args.train),
                               "--trials", str(args.trials), "--rss-trials",
                               str(args.rss_trials), "--threads", str(args.threads)],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(f"{name}: not measured ({(proc.stderr.strip().splitlines() or ['?'])[-1]})")
            continue
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nFashion-MNIST MLP search, {args.train} training images, 5000 validation, "
          f"{args.threads} threads, seed 0")
    print(f"{'tuner':12}{'framework':>11}{'trials':>8}{'best val':>10}{'test':>8}"
          f"{'wall s':>9}")
    for label in ("random", "bayesian", "hyperband"):
        for name, result in results.items():
            r = result[label]
            print(f"{label:12}{name:>11}{r['trials']:>8}{r['val']:>10.4f}{r['test']:>8.4f}"
                  f"{r['seconds']:>9.1f}")
    for name, result in results.items():
        rss = result["rss"]
        marks = [rss[i] for i in (0, min(9, len(rss) - 1), len(rss) - 1)]
        print(f"{name}: RSS after trial 1 / 10 / {len(rss)}: "
              + " / ".join(f"{m:.1f}" for m in marks) + " MiB")


if __name__ == "__main__":
    main()
