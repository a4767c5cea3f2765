"""int8 quantization on Fashion-MNIST: accuracy, size and CPU inference time, side by side.

    python3 benchmarks/quantization.py [--train-size 60000] [--epochs 3] [--seeds 2]
                                       [--qat-epochs 1] [--calibration 512] [--quick]

Models: MLP Flatten -> Dense 300 relu -> Dense 100 relu -> Dense 10, and CNN Conv2D 32 3x3
relu -> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 -> Flatten -> Dense 128 relu -> Dense 10
(logits). Each seed trains the float32 model (Adam 1e-3, batch 64), then:

- PTQ: ``quantize`` with ``--calibration`` training images (min/max, per channel);
- QAT: ``quantize_aware`` of the trained model, ``--qat-epochs`` of fine-tuning at Adam
  1e-4, then ``convert``; beside it the float model fine-tuned just as long (the fair
  baseline: QAT's gain over PTQ is partly that extra training);
- ONNX: the float export (``model.export``), our QDQ export of the PTQ model
  (``export_qdq``), and ONNX Runtime's ``quantize_static`` (QDQ, per channel, min/max, uint8
  activations, int8 weights) of the float export with the same calibration images.

Accuracy is on the 10k test images (mean +- std over seeds); sizes are weight bytes and
ONNX file bytes; times (seed 0) are the best of ``--repeats`` runs over the 10k test images,
batch 500, on this machine's CPU (ONNX Runtime with its default threads).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from distillation import load  # noqa: E402 - Fashion-MNIST as (N, 28, 28, 1) float32


def build(keras, kind):
    L = keras.layers
    if kind == "mlp":
        body = [L.Flatten(), L.Dense(300, activation="relu"), L.Dense(100, activation="relu"),
                L.Dense(10)]
    else:
        body = [L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                L.Dense(128, activation="relu"), L.Dense(10)]
    return keras.Sequential([keras.Input((28, 28, 1)), *body], name=kind)


def compile_model(keras, model, lr):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def accuracy(logits, y):
    return float((np.argmax(logits, 1) == y).mean())


def onnx_session(path):
    import onnxruntime as ort

    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def onnx_predict(session, x, batch=500):
    return np.concatenate([session.run(None, {"input": x[i:i + batch]})[0]
                           for i in range(0, len(x), batch)])


def run_seed(keras, kind, seed, data, args, folder, timed):
    import glassnet
    from glassnet.compress.quantization import quantize, weights_nbytes
    from glassnet.compress.quantization.onnx_qdq import export_qdq, ort_quantize_static
    from glassnet.compress.quantization.qat import convert, quantize_aware

    x, y, x_test, y_test = data
    glassnet.seed(seed)
    model = build(keras, kind)
    compile_model(keras, model, 1e-3)
    start = time.perf_counter()
    model.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0)
    train_s = time.perf_counter() - start
    calib = x[np.random.default_rng(seed).permutation(len(x))[:args.calibration]]
    int8 = quantize(model, calib)
    qat = quantize_aware(model)
    compile_model(keras, qat, 1e-4)
    qat.fit(x, y, epochs=args.qat_epochs, batch_size=64, verbose=0)
    qat_int8 = convert(qat)
    # the fair baseline for QAT: the float model fine-tuned just as long, at the same rate
    tuned = keras.models.clone_model(model)
    tuned.set_weights(model.get_weights())
    compile_model(keras, tuned, 1e-4)
    tuned.fit(x, y, epochs=args.qat_epochs, batch_size=64, verbose=0)

    paths = {name: os.path.join(folder, f"{kind}_{seed}_{name}.onnx")
             for name in ("float", "qdq", "ort_static")}
    model.export(paths["float"], format="onnx")
    export_qdq(int8, paths["qdq"])
    ort_quantize_static(paths["float"], paths["ort_static"], calib)
    sessions = {name: onnx_session(path) for name, path in paths.items()}

    repeats = args.repeats if timed else 1
    row = {"train_s": train_s}
    runs = {"glassnet float32": lambda: model.predict(x_test, batch_size=500, verbose=0),
            "glassnet int8": lambda: int8.predict(x_test, batch_size=500, verbose=0),
            "glassnet QAT int8": lambda: qat_int8.predict(x_test, batch_size=500, verbose=0),
            "float32 fine-tuned as QAT": lambda: tuned.predict(x_test, batch_size=500,
                                                               verbose=0),
            "onnxruntime float32": lambda: onnx_predict(sessions["float"], x_test),
            "onnxruntime our QDQ": lambda: onnx_predict(sessions["qdq"], x_test),
            "onnxruntime quantize_static": lambda: onnx_predict(sessions["ort_static"],
                                                                x_test)}
    for name, fn in runs.items():
        once = name in ("glassnet QAT int8", "float32 fine-tuned as QAT")
        seconds, logits = best_time(fn, 1 if once else repeats)
        row[name] = (accuracy(np.asarray(logits), y_test), seconds)
    ours, glassnet_int8 = runs["onnxruntime our QDQ"](), runs["glassnet int8"]()
    row["qdq_vs_glassnet_max_abs"] = float(np.abs(ours - glassnet_int8).max())
    row["bytes"] = {"glassnet float32 weights": weights_nbytes(model),
                    "glassnet int8 weights": weights_nbytes(int8),
                    **{f"onnx {name}": os.path.getsize(p) for name, p in paths.items()}}
    return row


def report(kind, rows):
    names = [k for k in rows[0] if isinstance(rows[0][k], tuple)]
    train_s = np.mean([r["train_s"] for r in rows])
    print(f"\n== {kind.upper()} ({len(rows)} seed(s); float training {train_s:.0f} s per "
          f"model) ==")
    base = np.array([r["glassnet float32"][0] for r in rows])
    print(f"{'':30s} {'accuracy':>16s} {'drop (pts)':>11s} {'time 10k (s)':>13s}")
    for name in names:
        acc = np.array([r[name][0] for r in rows])
        drop = (base - acc) * 100
        print(f"{name:30s} {acc.mean():.4f} +- {acc.std():.4f} {drop.mean():+11.2f} "
              f"{rows[0][name][1]:13.3f}")
    sizes = rows[0]["bytes"]
    ratio = sizes["glassnet float32 weights"] / sizes["glassnet int8 weights"]
    print("sizes (bytes): " + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
          + f"; float32 / int8 weights = {ratio:.2f}x")
    print(f"max |onnxruntime QDQ - glassnet int8| on the test logits: "
          f"{max(r['qdq_vs_glassnet_max_abs'] for r in rows):.2e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--qat-epochs", type=int, default=1)
    parser.add_argument("--calibration", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--quick", action="store_true",
                        help="10k training images, 1 epoch, 1 seed")
    args = parser.parse_args()
    if args.quick:
        args.train_size, args.epochs, args.seeds = 10000, 1, 1
    from glassnet import keras

    data = load(args.train_size)
    import onnxruntime

    print(f"Fashion-MNIST: {len(data[0])} training images, {args.epochs} epoch(s), QAT "
          f"{args.qat_epochs} epoch(s), {args.calibration} calibration images; "
          f"onnxruntime {onnxruntime.__version__}, {os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.models.split(","):
            rows = [run_seed(keras, kind, seed, data, args, folder, seed == 0)
                    for seed in range(args.seeds)]
            report(kind, rows)


if __name__ == "__main__":
    main()
