"""Two of the capabilities the full Keras surface brought, glassnet beside PyTorch and Keras
(TensorFlow), each in its own process, one table at the end.

    python3 benchmarks/keras_surface.py [--samples 512] [--epochs 1] [--threads 2]
        [--only glassnet,torch,keras] [--keras-python /path/to/venv-with-tensorflow/bin/python]

(a) A 3-D CNN on random 16x16x16 one-channel volumes, 10 classes: Conv3D 8 (3, relu) ->
    MaxPooling3D 2 -> Conv3D 16 (3, relu) -> GlobalAveragePooling3D -> Dense 10 softmax;
    Adam, sparse categorical cross-entropy, batch 32. PyTorch: the same layers (Conv3d,
    MaxPool3d, mean, Linear) in an idiomatic loop after a warm-up of a few batches.
(b) ``keras.applications.ResNet50(weights=None)`` inference: ``predict`` on 32 random
    224x224 images, batch 32 (glassnet and Keras; PyTorch would need torchvision, which does
    not install beside this torch build).

Epoch times: glassnet and Keras inside one fit call (the epochs after the first).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from mlp_training import (  # noqa: E402
    fit_epoch_times,
    samples_benchmark_main,
    tensorflow_keras,
)

SIDE, CLASSES, BATCH = 16, 10, 32


def volumes(samples):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, SIDE, SIDE, SIDE, 1)).astype(np.float32)
    return x, rng.integers(0, CLASSES, samples)


def keras_conv3d(keras):
    L = keras.layers
    model = keras.Sequential([keras.Input((SIDE, SIDE, SIDE, 1)),
                              L.Conv3D(8, 3, activation="relu"), L.MaxPooling3D(2),
                              L.Conv3D(16, 3, activation="relu"), L.GlobalAveragePooling3D(),
                              L.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def run_keras_api(keras, args):
    keras.utils.set_random_seed(0)
    x, y = volumes(args.samples)
    out = {"conv3d": fit_epoch_times(keras_conv3d(keras), x, y, BATCH, args.epochs,
                                     keras.callbacks.Callback)}
    resnet = keras.applications.ResNet50(weights=None)
    images = np.random.default_rng(1).uniform(0, 255, (32, 224, 224, 3)).astype(np.float32)
    resnet.predict(images, batch_size=32, verbose=0)  # warm-up (and Keras's tracing)
    start = time.perf_counter()
    for _ in range(2):
        resnet.predict(images, batch_size=32, verbose=0)
    out["resnet50_predict"] = (time.perf_counter() - start) / 2
    return out


def run_glassnet(args):
    from glassnet import keras

    return run_keras_api(keras, args)


def run_keras(args):
    return run_keras_api(tensorflow_keras(args.threads), args)


def run_torch(args):
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = volumes(args.samples)
    X = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 4, 1, 2, 3)))
    Y = torch.from_numpy(y).long()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv3d(1, 8, 3), nn.Conv3d(8, 16, 3)
            self.pool, self.out = nn.MaxPool3d(2), nn.Linear(16, CLASSES)

        def forward(self, v):
            h = self.pool(torch.relu(self.c1(v)))
            return self.out(torch.relu(self.c2(h)).mean((2, 3, 4)))

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(idx):
        opt.zero_grad()
        loss_fn(model(X[idx]), Y[idx]).backward()
        opt.step()

    for _ in range(3):  # warm-up
        step(torch.arange(min(BATCH, len(X))))
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), BATCH):
            step(perm[i:i + BATCH])
        times.append(time.perf_counter() - start)
    return {"conv3d": float(np.mean(times))}


RUNNERS = {"glassnet": run_glassnet, "torch": run_torch, "keras": run_keras}
ROWS = [("(a) Conv3D classifier, batch 32", "conv3d", "s/epoch"),
        ("(b) ResNet50 predict, 32 images", "resnet50_predict", "s")]


def describe(args):
    return (f"{args.threads} threads, {args.samples} volumes of {SIDE}^3, "
            f"{args.epochs} timed epoch(s)")


def main():
    samples_benchmark_main(__file__, __doc__, RUNNERS, ROWS, 512, describe)


if __name__ == "__main__":
    main()
