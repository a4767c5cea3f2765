"""The tutorial CNN on Fashion-MNIST, trained data-parallel on several processes with MPI
(Horovod's recipe: the same script on every rank, each on its own part of the data).

    mpirun -np 2 python examples/distributed_cnn.py
    mpirun -np 2 python examples/distributed_cnn.py --epochs 1 --samples 2000   # quick
    python examples/distributed_cnn.py          # one process works too (size() == 1)

As root (in a container) set OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; see
docs/distributed.md for Slurm and several machines. Needs mpi4py (pip install
'glassnet[distributed]') and Debian's dataset-fashion-mnist (or internet for the download).
"""

import argparse
import json
import os

import numpy as np

import glassnet.distributed as hvd
from glassnet import keras
from glassnet.datasets import fashion_mnist

L = keras.layers


def cnn():
    return keras.Sequential([
        L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000, help="training images used")
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument("--lr", type=float, default=1e-3, help="for one process")
    parser.add_argument("--out", default="distributed_cnn_out",
                        help="folder of the checkpoint and the backup")
    args = parser.parse_args(argv)

    hvd.init()
    keras.utils.set_random_seed(hvd.rank())  # different on purpose: the broadcast aligns them
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train[:args.samples, ..., None].astype("float32") / 255.0
    y_train = y_train[:args.samples]
    x_test = x_test[..., None].astype("float32") / 255.0
    x_part, y_part = hvd.shard(x_train, y_train, seed=0)  # this rank's equal share

    model = cnn()
    # The job's batch is size() times larger: scale the rate, and warm it up (Goyal et al.).
    optimizer = hvd.DistributedOptimizer(keras.optimizers.Adam(args.lr * hvd.size()))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    callbacks = [
        # After BackupAndRestore has restored (on every rank), start from rank 0's state.
        hvd.BroadcastGlobalVariablesCallback(0),
        hvd.MetricAverageCallback(),  # before the callbacks that read the metrics
        hvd.LearningRateWarmupCallback(args.lr * hvd.size(), warmup_epochs=1),
        # Rank 0 writes these (the other ranks skip the writing); all ranks read the backup.
        keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup")),
        keras.callbacks.ModelCheckpoint(os.path.join(args.out, "cnn.keras")),
    ]
    history = model.fit(x_part, y_part, batch_size=args.batch_size, epochs=args.epochs,
                        callbacks=callbacks, verbose=1 if hvd.rank() == 0 else 0)
    # Every rank evaluates its share of the test set; the mean over the ranks is the job's.
    x_eval, y_eval = hvd.shard(x_test, y_test, shuffle=False, drop_remainder=True)
    loss, accuracy = model.evaluate(x_eval, y_eval, batch_size=256, verbose=0)
    accuracy = float(hvd.allreduce(np.array(accuracy), op=hvd.Average))
    result = {"ranks": hvd.size(), "samples_per_rank": len(x_part),
              "train_accuracy": history.history["accuracy"][-1], "test_accuracy": accuracy}
    if hvd.rank() == 0:
        print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
