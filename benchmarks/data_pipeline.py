"""What a tf.data pipeline costs ``fit``: the Fashion-MNIST MLP trained on arrays and on
``Dataset.from_tensor_slices((x, y)).shuffle(60000).batch(32).prefetch(AUTOTUNE)``.

    python3 benchmarks/data_pipeline.py [--epochs 3] [--repeats 3] [--batch 32] [--threads 2]

The model is the tutorial MLP of ``mlp_training.py`` (Flatten -> Dense 128 relu -> Dense 10
softmax, Adam, sparse categorical cross-entropy). Both ways run in this one process, in
interleaved repeats (arrays, dataset, arrays, dataset, ...) so drifts of the machine hit both;
each repeat is one ``fit`` of ``epochs + 1`` epochs timed per epoch by a callback, the first
epoch left out. The aim: the Dataset costs at most 10% more per epoch than the arrays.

Also timed: one pass of the pipeline alone (no model), and the same pipeline with a
per-element ``map`` (the element-by-element path) for scale.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for var in THREAD_VARS:  # before NumPy loads its BLAS
        os.environ.setdefault(var, str(args.threads))
    sys.path.insert(0, os.path.dirname(HERE))
    import glassnet as tf
    from glassnet import keras
    from glassnet.datasets import fashion_mnist

    (x, y), _ = fashion_mnist.load_data()
    x, y = (x / 255.0).astype(np.float32), y.astype(np.int64)

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    def epoch_time(data):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                  keras.layers.Dense(128, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        timer = EpochTimer()
        timer.times = []
        if data is None:
            model.fit(x, y, batch_size=args.batch, epochs=args.epochs + 1, verbose=0,
                      callbacks=[timer])
        else:
            model.fit(data, epochs=args.epochs + 1, verbose=0, callbacks=[timer])
        return float(np.mean(timer.times[1:]))

    def pipeline():
        return (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(60000).batch(args.batch)
                .prefetch(tf.data.AUTOTUNE))

    arrays, datasets = [], []
    for _ in range(args.repeats):
        arrays.append(epoch_time(None))
        datasets.append(epoch_time(pipeline()))
        print(f"  arrays {arrays[-1]:.3f} s/epoch   dataset {datasets[-1]:.3f} s/epoch",
              flush=True)

    def one_pass(ds):
        start = time.perf_counter()
        for _ in ds.as_numpy_iterator():
            pass
        return time.perf_counter() - start

    alone = min(one_pass(pipeline()) for _ in range(3))
    mapped = one_pass(tf.data.Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a, b))
                      .shuffle(60000).batch(args.batch))
    ratios = np.array(datasets) / np.array(arrays)
    print(f"Fashion-MNIST MLP, batch {args.batch}, {args.threads} threads, "
          f"{args.repeats} interleaved repeats of {args.epochs} timed epochs")
    print(f"  arrays : {np.median(arrays):.3f} s/epoch (median)")
    print(f"  dataset: {np.median(datasets):.3f} s/epoch (median)")
    print(f"  ratio dataset/arrays per repeat: {', '.join(f'{r:.3f}' for r in ratios)}; "
          f"median {np.median(ratios):.3f} (bar: <= 1.10)")
    print(f"  the pipeline alone, one pass: {alone * 1e3:.1f} ms; with a per-element map: "
          f"{mapped * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
