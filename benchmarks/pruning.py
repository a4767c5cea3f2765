"""Magnitude and structured pruning on Fashion-MNIST: accuracy, file size and speed.

    python3 benchmarks/pruning.py [--models mlp cnn] [--epochs 3] [--fine-tune-epochs 2]
                                  [--seeds 1] [--train-size 60000] [--quick] [--json out.json]

Models: MLP Flatten -> Dense 300 relu -> Dense 100 relu -> Dense 10; CNN Conv2D 32 3x3 relu
-> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 -> Flatten -> Dense 128 relu -> Dense 10
(logits; Adam 1e-3, batch 64). Per model and seed:

- dense: trained ``--epochs``; "dense+ft" goes on ``--fine-tune-epochs`` more (after the
  pruned copies are made), the fair reference for models fine-tuned as long;
- magnitude: from the dense weights, ``prune_low_magnitude`` with ``PolynomialDecay(0 ->
  s)`` over the first 2/3 of ``--fine-tune-epochs`` (pruning every 50 steps) to s = 50, 80,
  90 %, fine-tuned with ``UpdatePruningStep``, stripped; file sizes of ``.keras`` (its
  members deflated) and of ``save_sparse``, raw and gzipped (``gzip -9``);
- structured: ``prune_structured(dense, 0.5)`` (L1 norm: half the units of each hidden
  Dense and the filters of each Conv2D), accuracy before and after fine-tuning, parameters
  and ``predict`` time on the 10k test images (best of 3, batch 256) against dense.

Test accuracy on the 10k test images. ``--quick``: 10k training images, 1 + 1 epochs, MLP
and CNN, one seed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SPARSITIES = (0.5, 0.8, 0.9)
BATCH = 64


def load(n_train):
    from glassnet.keras.datasets import fashion_mnist

    (x, y), (x_test, y_test) = fashion_mnist.load_data()
    scale = lambda a: (a[..., None] / 255.0).astype(np.float32)  # noqa: E731
    return (scale(x[:n_train]), y[:n_train].astype(np.int64), scale(x_test),
            y_test.astype(np.int64))


def build(keras, kind):
    L = keras.layers
    if kind == "mlp":
        layers = [L.Flatten(), L.Dense(300, activation="relu"),
                  L.Dense(100, activation="relu"), L.Dense(10)]
    else:
        layers = [L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                  L.Dense(128, activation="relu"), L.Dense(10)]
    return keras.Sequential([keras.Input((28, 28, 1)), *layers], name=kind)


def compile_model(keras, model):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])


def accuracy(model, x, y):
    return float((np.argmax(np.asarray(model.predict(x, batch_size=256, verbose=0)), 1)
                  == y).mean())


def predict_seconds(model, x, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(x, batch_size=256, verbose=0)
        best = min(best, time.perf_counter() - start)
    return best


def file_sizes(folder, model, sparse):
    """(raw, gzipped) bytes of ``model`` as .keras and, if ``sparse``, as save_sparse."""
    from glassnet import keras
    from glassnet.compress.pruning import save_sparse

    out = {}
    path = os.path.join(folder, "model.keras")
    if model.compiled:  # weights only: a compiled model's file also holds Adam's two moments
        model = copy_of(keras, model)
    model.save(path)
    data = open(path, "rb").read()
    out["keras"] = (len(data), len(gzip.compress(data, 9)))
    if sparse:
        path = os.path.join(folder, "model.sparse")
        save_sparse(model, path)
        data = open(path, "rb").read()
        out["sparse"] = (len(data), len(gzip.compress(data, 9)))
    return out


def kernel_sparsity(model):
    kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
    return sum(int((k == 0).sum()) for k in kernels) / sum(k.size for k in kernels)


def copy_of(keras, model):
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    return twin


def run_one(kind, seed, data, args, folder):
    import glassnet
    from glassnet import keras
    from glassnet.compress import pruning

    x, y, x_test, y_test = data
    glassnet.seed(seed)
    dense = build(keras, kind)
    compile_model(keras, dense)
    start = time.perf_counter()
    dense.fit(x, y, batch_size=BATCH, epochs=args.epochs, verbose=0)
    result = {"kind": kind, "seed": seed, "train_seconds": time.perf_counter() - start,
              "dense": accuracy(dense, x_test, y_test), "params": dense.count_params(),
              "predict_s": predict_seconds(dense, x_test),
              "sizes": file_sizes(folder, dense, sparse=True)}
    steps = -(-len(x) // BATCH) * args.fine_tune_epochs
    end = (2 * steps) // 3
    frequency = 50 if end >= 100 else 1  # short runs (--quick) prune every step
    end = max(frequency, end - end % frequency)  # the last pruning falls on the grid
    for s in SPARSITIES:
        glassnet.seed(seed)
        schedule = pruning.PolynomialDecay(0.0, s, begin_step=0, end_step=end,
                                           frequency=frequency)
        pruned = pruning.prune_low_magnitude(dense, pruning_schedule=schedule)
        compile_model(keras, pruned)
        pruned.fit(x, y, batch_size=BATCH, epochs=args.fine_tune_epochs, verbose=0,
                   callbacks=[pruning.UpdatePruningStep()])
        final = pruning.strip_pruning(pruned)
        result[f"magnitude {s:.0%}"] = {
            "accuracy": accuracy(final, x_test, y_test),
            "kernel_sparsity": kernel_sparsity(final),
            "sizes": file_sizes(folder, final, sparse=True)}
    glassnet.seed(seed)
    small = pruning.prune_structured(dense, 0.5)
    entry = {"params": small.count_params(), "before_ft": accuracy(small, x_test, y_test)}
    compile_model(keras, small)
    small.fit(x, y, batch_size=BATCH, epochs=args.fine_tune_epochs, verbose=0)
    entry.update(accuracy=accuracy(small, x_test, y_test),
                 predict_s=predict_seconds(small, x_test))
    result["structured 50%"] = entry
    # the reference trained as long: dense goes on, its optimizer state kept
    dense.fit(x, y, batch_size=BATCH, epochs=args.fine_tune_epochs, verbose=0)
    result["dense+ft"] = accuracy(dense, x_test, y_test)
    return result


def kb(n):
    return f"{n / 1024:7.1f}"


def report(results):
    for kind in sorted({r["kind"] for r in results}):
        rows = [r for r in results if r["kind"] == kind]

        def stat(get, rows=rows):
            values = np.array([get(r) for r in rows], np.float64)
            return f"{100 * values.mean():.2f}" + (f" +- {100 * values.std():.2f}"
                                                    if len(values) > 1 else "")

        first = rows[0]
        dense_keras, dense_sparse = first["sizes"]["keras"], first["sizes"]["sparse"]
        print(f"\n== {kind}: {first['params']} params, dense training "
              f"{np.mean([r['train_seconds'] for r in rows]):.0f} s, {len(rows)} seed(s) ==")
        print(f"dense           acc {stat(lambda r: r['dense'])} %   dense+ft "
              f"{stat(lambda r: r['dense+ft'])} %")
        print(f"{'':16s}{'':22s}  KiB: .keras raw / gz    sparse raw / gz   gz ratio")
        print(f"{'dense':16s}{'':22s}       {kb(dense_keras[0])} {kb(dense_keras[1])}  "
              f"{kb(dense_sparse[0])} {kb(dense_sparse[1])}")
        for s in SPARSITIES:
            key = f"magnitude {s:.0%}"
            e = first[key]
            keras_size, sparse_size = e["sizes"]["keras"], e["sizes"]["sparse"]
            print(f"{key:16s}acc {stat(lambda r, k=key: r[k]['accuracy']):>16s} %"
                  f"  {kb(keras_size[0])} {kb(keras_size[1])}  {kb(sparse_size[0])} "
                  f"{kb(sparse_size[1])}   {dense_keras[1] / sparse_size[1]:.2f}x"
                  f"  (kernels {100 * e['kernel_sparsity']:.1f} % zero)")
        e = first["structured 50%"]
        print(f"structured 50%  acc {stat(lambda r: r['structured 50%']['accuracy'])} % "
              f"(before fine-tune {stat(lambda r: r['structured 50%']['before_ft'])} %), "
              f"{e['params']} params ({e['params'] / first['params']:.2f}x), predict 10k "
              f"{1000 * e['predict_s']:.0f} ms vs dense {1000 * first['predict_s']:.0f} ms "
              f"({first['predict_s'] / e['predict_s']:.2f}x faster)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=("mlp", "cnn"), default=["mlp", "cnn"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--fine-tune-epochs", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--train-size", type=int, default=60000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.quick:
        args.train_size, args.epochs, args.fine_tune_epochs, args.seeds = 10000, 1, 1, 1
    data = load(args.train_size)
    print(f"Fashion-MNIST: {len(data[0])} training images, {len(data[2])} test images; "
          f"{args.epochs} + {args.fine_tune_epochs} epochs, batch {BATCH}")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.models:
            for seed in range(args.seeds):
                results.append(run_one(kind, seed, data, args, folder))
                print(f"  {kind} seed {seed}: dense {100 * results[-1]['dense']:.2f} %, "
                      f"80 % sparse {100 * results[-1]['magnitude 80%']['accuracy']:.2f} %",
                      flush=True)
    report(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
