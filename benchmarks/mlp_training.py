"""Training speed of the tutorial networks, glassnet beside PyTorch and Keras (TensorFlow),
each framework in its own process, one table at the end.

    python3 benchmarks/mlp_training.py [--epochs 2] [--threads 2] [--only glassnet,torch]

1. The classic MLP (Flatten -> Dense 128 relu -> Dense 10 softmax, Adam, sparse categorical
   cross-entropy) on full Fashion-MNIST, seconds per epoch at batch 32 and 128.
2. The tiny net: 1000x10 random inputs -> Dense 10 relu -> Dense 10 relu -> Dense 2 softmax,
   binary cross-entropy, 100 epochs at batch 32: milliseconds per step.
3. Single-sample inference latency of the MLP, what a server pays per request: ``model(x)``
   without gradients (glassnet under ``no_grad``, PyTorch under ``torch.no_grad``, Keras
   outside a tape), ``model(x)`` recording them (glassnet's and PyTorch's default, Keras in
   a ``GradientTape``), ``predict_on_batch(x)`` and ``predict(x)``; the best of 10 runs.

PyTorch runs an idiomatic loop (randperm, slicing, zero_grad/backward/step) with
``torch.set_num_threads``; glassnet and Keras run one ``fit`` call with progress output off,
timed per epoch by a callback. Epoch times are the mean of the epochs after the first (which
includes Keras's graph tracing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def fashion_mnist():
    sys.path.insert(0, os.path.dirname(HERE))
    from glassnet.datasets import fashion_mnist as fm

    (x, y), _ = fm.load_data()
    return (x / 255.0).astype(np.float32), y.astype(np.int64)


def tiny_data():
    rng = np.random.default_rng(0)
    x = rng.random((1000, 10), dtype=np.float32)
    labels = (x[:, 0] > 0.5).astype(np.int64)
    return x, np.eye(2, dtype=np.float32)[labels]


def timed_epochs(run_epoch, epochs):
    times = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - start)
    return float(np.mean(times[1:]))


def fit_epoch_times(model, x, y, batch, epochs, callback_base):
    """Mean epoch time inside one fit call (epochs after the first), measured by a callback,
    so one-off setup (data checks, buffers, tracing) is not charged to every epoch."""

    class EpochTimer(callback_base):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    times = []
    model.fit(x, y, batch_size=batch, epochs=epochs + 1, verbose=0, callbacks=[EpochTimer()])
    return float(np.mean(times[1:]))


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def run_workers(script, args, extra=(), pythons=None):
    """Run ``script --worker NAME`` for each framework in ``args.only``, each in its own
    process with BLAS limited to ``args.threads`` (``pythons`` may name another interpreter
    for a worker: TensorFlow in its own environment); returns {name: the JSON it printed}."""
    env = {**os.environ, **{v: str(args.threads) for v in THREAD_VARS}}
    results = {}
    for name in args.only.split(","):
        python = (pythons or {}).get(name) or sys.executable
        proc = subprocess.run([python, script, "--worker", name, "--epochs",
                               str(args.epochs), "--threads", str(args.threads), *extra],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
            print(f"{name}: not measured ({last})")
            continue
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    return results


def tensorflow_keras(threads):
    """tf.keras with TensorFlow's thread pools limited to ``threads``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    return tf.keras


def latency(fn, repeats=300, chunks=10):
    """Milliseconds per call: the best of ``chunks`` runs of ``repeats`` calls, so that
    another process's burst on a shared machine does not land in the number."""
    for _ in range(20):
        fn()
    best = float("inf")
    for _ in range(chunks):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best * 1e3


# -- glassnet ----------------------------------------------------------------------------

def run_glassnet(args):
    sys.path.insert(0, os.path.dirname(HERE))
    import glassnet as gn
    from glassnet import keras

    x, y = fashion_mnist()
    out = {}
    for batch in (32, 128):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                                  keras.layers.Dense(128, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        out[f"mlp_b{batch}"] = fit_epoch_times(model, x, y, batch, args.epochs,
                                               keras.callbacks.Callback)
    sample = x[:1]

    def without_gradients():
        with gn.no_grad():
            return model(sample)

    out["call_ms"] = latency(without_gradients)
    out["call_grad_ms"] = latency(lambda: model(sample))
    out["predict_on_batch_ms"] = latency(lambda: model.predict_on_batch(sample))
    out["predict_ms"] = latency(lambda: model.predict(sample, verbose=0))
    out["predict_default_ms"] = latency(lambda: model.predict(sample), repeats=50)
    tx, ty = tiny_data()
    keras.utils.set_random_seed(0)
    tiny = keras.Sequential([keras.layers.Dense(10, activation="relu", input_shape=(10,)),
                             keras.layers.Dense(10, activation="relu"),
                             keras.layers.Dense(2, activation="softmax")])
    tiny.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    steps = 100 * int(np.ceil(1000 / 32))
    start = time.perf_counter()
    tiny.fit(tx, ty, batch_size=32, epochs=100, verbose=0)
    out["tiny_ms_step"] = (time.perf_counter() - start) / steps * 1e3
    return out


# -- PyTorch -----------------------------------------------------------------------------

def run_torch(args):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = fashion_mnist()
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    out = {}

    def mlp():
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 128),
                                   torch.nn.ReLU(), torch.nn.Linear(128, 10))

    for batch in (32, 128):
        model = mlp()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()

        def epoch(model=model, opt=opt, batch=batch, loss_fn=loss_fn):
            perm = torch.randperm(len(X))
            for i in range(0, len(X), batch):
                idx = perm[i:i + batch]
                opt.zero_grad()
                loss = loss_fn(model(X[idx]), Y[idx])
                loss.backward()
                opt.step()

        out[f"mlp_b{batch}"] = timed_epochs(epoch, args.epochs)
    sample = X[:1]
    model.eval()
    with torch.no_grad():
        out["call_ms"] = latency(lambda: torch.softmax(model(sample), -1))
    out["call_grad_ms"] = latency(lambda: torch.softmax(model(sample), -1))
    tx, ty = (torch.from_numpy(a) for a in tiny_data())
    tiny = torch.nn.Sequential(torch.nn.Linear(10, 10), torch.nn.ReLU(), torch.nn.Linear(10, 10),
                               torch.nn.ReLU(), torch.nn.Linear(10, 2), torch.nn.Softmax(-1))
    opt = torch.optim.Adam(tiny.parameters(), lr=1e-3)
    bce = torch.nn.BCELoss()
    steps = 0
    start = time.perf_counter()
    for _ in range(100):
        perm = torch.randperm(1000)
        for i in range(0, 1000, 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            bce(tiny(tx[idx]), ty[idx]).backward()
            opt.step()
            steps += 1
    out["tiny_ms_step"] = (time.perf_counter() - start) / steps * 1e3
    return out


# -- Keras on TensorFlow -----------------------------------------------------------------

def run_keras(args):
    keras = tensorflow_keras(args.threads)
    x, y = fashion_mnist()
    out = {}
    for batch in (32, 128):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                  keras.layers.Dense(128, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        out[f"mlp_b{batch}"] = fit_epoch_times(model, x, y, batch, args.epochs,
                                               keras.callbacks.Callback)
    sample = x[:1]
    out["call_ms"] = latency(lambda: model(sample), repeats=100)

    import tensorflow as tf

    def recording():
        with tf.GradientTape():
            return model(sample)

    out["call_grad_ms"] = latency(recording, repeats=100)
    out["predict_on_batch_ms"] = latency(lambda: model.predict_on_batch(sample), repeats=100)
    out["predict_ms"] = latency(lambda: model.predict(sample, verbose=0), repeats=30)
    tx, ty = tiny_data()
    tiny = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(10, activation="relu"),
                             keras.layers.Dense(10, activation="relu"),
                             keras.layers.Dense(2, activation="softmax")])
    tiny.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    tiny.fit(tx, ty, batch_size=32, epochs=1, verbose=0)  # tracing
    steps = 100 * int(np.ceil(1000 / 32))
    start = time.perf_counter()
    tiny.fit(tx, ty, batch_size=32, epochs=100, verbose=0)
    out["tiny_ms_step"] = (time.perf_counter() - start) / steps * 1e3
    return out


RUNNERS = {"glassnet": run_glassnet, "torch": run_torch, "keras": run_keras}
ROWS = [("MLP Fashion-MNIST, batch 32", "mlp_b32", "s/epoch"),
        ("MLP Fashion-MNIST, batch 128", "mlp_b128", "s/epoch"),
        ("tiny net, batch 32", "tiny_ms_step", "ms/step"),
        ("one sample, model(x), no gradients", "call_ms", "ms"),
        ("one sample, model(x), recording gradients", "call_grad_ms", "ms"),
        ("one sample, predict_on_batch(x)", "predict_on_batch_ms", "ms"),
        ("one sample, predict(x, verbose=0)", "predict_ms", "ms"),
        ("one sample, predict(x) (progress shown)", "predict_default_ms", "ms")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="glassnet,torch,keras")
    parser.add_argument("--worker", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        for var in THREAD_VARS:
            os.environ.setdefault(var, str(args.threads))
        print(json.dumps(RUNNERS[args.worker](args)))
        return
    results = run_workers(__file__, args)
    print(f"\n{args.threads} threads, {args.epochs} timed epochs")
    print_table(results, ROWS)


def samples_benchmark_main(script, doc, runners, rows, samples, describe):
    """The command line of a benchmark over ``--samples`` examples with a Keras worker that
    may run under another interpreter: as a worker, run one framework and print its JSON;
    else run every framework of ``--only`` and print the table, headed by
    ``describe(args)``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--samples", type=int, default=samples)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="glassnet,torch,keras")
    parser.add_argument("--keras-python", default=None,
                        help="the interpreter for the Keras (TensorFlow) worker")
    parser.add_argument("--worker", choices=sorted(runners), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        for var in THREAD_VARS:
            os.environ.setdefault(var, str(args.threads))
        print(json.dumps(runners[args.worker](args)))
        return
    results = run_workers(script, args, extra=["--samples", str(args.samples)],
                          pythons={"keras": args.keras_python})
    print(f"\n{describe(args)}")
    print_table(results, rows)


def print_table(results, rows):
    """One line per (label, key, unit) row: each framework's number, then glassnet's ratio
    to each other framework."""
    names = list(results)
    header = f"{'':42}" + "".join(f"{n:>12}" for n in names)
    header += "".join(f"{'vs ' + n:>12}" for n in names if n != "glassnet")
    print(header)
    for label, key, unit in rows:
        vals = {n: results[n].get(key) for n in names}
        if all(v is None for v in vals.values()):
            continue
        line = f"{label + ' (' + unit + ')':42}"
        line += "".join(f"{v:12.3f}" if v is not None else f"{'-':>12}" for v in vals.values())
        ours = vals.get("glassnet")
        for n in names:
            if n == "glassnet":
                continue
            theirs = vals[n]
            line += f"{ours / theirs:11.2f}x" if ours and theirs else f"{'-':>12}"
        print(line)
    print("ratio = glassnet time / other framework's time (below 1: glassnet is faster)")


if __name__ == "__main__":
    main()
