"""Compress the tutorial CNN trained on Fashion-MNIST three ways, and measure each.

    python examples/compress_fashion_mnist.py            # 60k images, 3 epochs
    python examples/compress_fashion_mnist.py --train-size 10000 --epochs 1 --out /tmp/c

1. Pruning (TensorFlow Model Optimization's API): ``prune_low_magnitude`` to 80 % sparsity
   on a ``PolynomialDecay`` schedule while fine-tuning with ``UpdatePruningStep``, then
   ``strip_pruning`` and ``save_sparse``, whose file shrinks with the zeros; and
   ``prune_structured``, which removes half the filters and units for a faster model.
2. Quantization: ``quantize`` to int8 with 512 calibration images, and ``export_qdq`` to an
   ONNX file that onnxruntime runs in integer kernels (if onnxruntime is installed).
3. Distillation: ``Distiller`` teaches a small MLP from the CNN's softened outputs.

Needs Debian's dataset-fashion-mnist (or internet for the download).
"""

import argparse
import os
import time

import numpy as np

from glassnet import keras
from glassnet.compress import (
    Distiller,
    PolynomialDecay,
    UpdatePruningStep,
    export_qdq,
    prune_low_magnitude,
    prune_structured,
    quantize,
    save_sparse,
    strip_pruning,
    weights_nbytes,
)

L = keras.layers


def cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
        L.Dense(128, activation="relu"), L.Dense(10)])


def mlp():
    return keras.Sequential([keras.Input((28, 28, 1)), L.Flatten(),
                             L.Dense(64, activation="relu"), L.Dense(10)])


def compiled(model, lr=1e-3):
    model.compile(keras.optimizers.Adam(lr),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def accuracy(model, x, y):
    return float((np.asarray(model.predict(x, batch_size=500, verbose=0)).argmax(1)
                  == y).mean())


def timed(model, x):
    start = time.perf_counter()
    model.predict(x, batch_size=500, verbose=0)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-size", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="compressed")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(0)
    (x, y), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    x = (x[:args.train_size, ..., None] / 255.0).astype("float32")
    y = y[:args.train_size]
    x_test = (x_test[..., None] / 255.0).astype("float32")
    result = {}

    teacher = compiled(cnn())
    teacher.fit(x, y, epochs=args.epochs, batch_size=64, verbose=2)
    result["dense"] = accuracy(teacher, x_test, y_test)
    # The file to compare with: the same architecture and float32 weights, no optimizer.
    dense_path = os.path.join(args.out, "cnn.keras")
    plain = keras.models.clone_model(teacher)
    plain.set_weights(teacher.get_weights())
    plain.save(dense_path)

    # 1. Pruning: 80 % of every kernel's weights to zero over the fine-tuning epoch.
    # The masks are updated every `frequency` steps from begin_step to end_step (its last
    # update at a multiple of frequency): ten updates over the first two thirds of the epoch.
    frequency = max(1, int(np.ceil(len(x) / 64)) * 2 // 3 // 10)
    pruned = compiled(prune_low_magnitude(teacher, pruning_schedule=PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=0.8, begin_step=0, end_step=10 * frequency,
        frequency=frequency)))
    pruned.fit(x, y, epochs=1, batch_size=64, verbose=2, callbacks=[UpdatePruningStep()])
    pruned = strip_pruning(pruned)
    sparse_path = os.path.join(args.out, "cnn_sparse.zip")
    save_sparse(pruned, sparse_path)
    result["pruned_80"] = accuracy(pruned, x_test, y_test)
    result["file_ratio"] = os.path.getsize(dense_path) / os.path.getsize(sparse_path)

    slim = compiled(prune_structured(teacher, 0.5))
    slim.fit(x, y, epochs=1, batch_size=64, verbose=2)
    result["structured_50"] = accuracy(slim, x_test, y_test)
    result["structured_speedup"] = timed(teacher, x_test) / timed(slim, x_test)

    # 2. Quantization: int8 weights and activations, int32 sums.
    int8 = quantize(teacher, x[:512])
    result["int8"] = accuracy(int8, x_test, y_test)
    result["int8_size_ratio"] = weights_nbytes(teacher) / weights_nbytes(int8)
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime is not installed: pip install 'glassnet[onnx]' for the QDQ export")
    else:
        path = os.path.join(args.out, "cnn_int8.onnx")
        export_qdq(int8, path)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        logits = np.concatenate([session.run(None, {name: x_test[i:i + 500]})[0]
                                 for i in range(0, len(x_test), 500)])
        result["int8_onnxruntime"] = float((logits.argmax(1) == y_test).mean())

    # 3. Distillation: the CNN teaches an MLP; a second MLP learns from the labels alone.
    keras.utils.set_random_seed(1)
    scratch = compiled(mlp())
    scratch.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0)
    keras.utils.set_random_seed(1)
    distiller = Distiller(student=mlp(), teacher=teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(
                          from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1,
                      temperature=3)
    distiller.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0)
    result["student_scratch"] = accuracy(scratch, x_test, y_test)
    result["student_distilled"] = accuracy(distiller.student, x_test, y_test)

    for name, value in result.items():
        print(f"{name:>20}: {value:.4f}")
    return result


if __name__ == "__main__":
    main()
