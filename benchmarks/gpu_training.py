"""glassnet on CuPy beside PyTorch on CUDA, on one GPU, in one run: the seed CNN (batch 128
and 512) and the seed MLP, seconds per epoch of Fashion-MNIST's 60,000 images, test accuracy,
and peak GPU memory.

    python3 benchmarks/gpu_training.py [--epochs 2] [--json results.json] [--data DIR]

Each framework copies every batch from host memory to the GPU (PyTorch from pinned memory,
with non_blocking copies, as its tutorials do; glassnet in ``fit``). The epoch time is the mean
of the epochs after the first (which pays CUDA's and CuPy's kernel compilation), measured
after a device synchronisation. ``--data`` is a folder with Fashion-MNIST's four .gz files;
without them the images are random (the times hold, the accuracies mean nothing).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir):
    folders = [d for d in (data_dir, "/usr/share/datasets/fashion-mnist") if d]
    for folder in folders:
        if all(os.path.exists(os.path.join(folder, f)) for f in FILES):
            x, y, xt, yt = (_read_idx(os.path.join(folder, f)) for f in FILES)
            scale = np.float32(1 / 255)
            return (x * scale, y.astype(np.int64), xt * scale, yt.astype(np.int64), True)
    rng = np.random.default_rng(0)
    return (rng.random((60000, 28, 28), dtype=np.float32), rng.integers(0, 10, 60000),
            rng.random((10000, 28, 28), dtype=np.float32), rng.integers(0, 10, 10000), False)


# -- glassnet ---------------------------------------------------------------------------------

def glassnet_model(kind):
    from glassnet import keras

    L = keras.layers
    keras.utils.set_random_seed(0)
    if kind == "cnn":
        layers = [keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                  L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Flatten(), L.Dense(128, activation="relu"),
                  L.Dense(10, activation="softmax")]
    else:
        layers = [keras.Input((28, 28)), L.Flatten(), L.Dense(128, activation="relu"),
                  L.Dropout(0.2), L.Dense(10, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run_glassnet(kind, batch, epochs, data):
    import glassnet
    from glassnet import keras

    x, y, xt, yt, _ = data
    if kind == "cnn":
        x, xt = x[..., None], xt[..., None]
    model = glassnet_model(kind).to("gpu")
    cupy = glassnet.backend.device_module()
    times = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            cupy.cuda.Device().synchronize()
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            cupy.cuda.Device().synchronize()
            times.append(time.perf_counter() - self.start)

    glassnet.backend.reset_peak_memory()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[EpochTimer()])
    acc = model.evaluate(xt, yt, batch_size=512, verbose=0)[1]
    return {"s_per_epoch": float(np.mean(times[1:] or times)), "first_epoch_s": times[0],
            "test_accuracy": float(acc),
            "peak_memory_mb": glassnet.memory_info()["peak_bytes"] / 2 ** 20}


# -- PyTorch ----------------------------------------------------------------------------------

def torch_model(kind):
    import torch
    from torch import nn

    torch.manual_seed(0)
    if kind == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128),
                             nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(128, 10))


def run_torch(kind, batch, epochs, data):
    import torch

    x, y, xt, yt, _ = data
    shape = (1, 28, 28) if kind == "cnn" else (28, 28)
    dev = torch.device("cuda")
    model = torch_model(kind).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's epsilon
    loss_fn = torch.nn.CrossEntropyLoss()
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x.reshape(-1, *shape)),
                                             torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True,
                                         pin_memory=True)
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(epochs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        xt_d = torch.from_numpy(xt.reshape(-1, *shape)).to(dev)
        pred = torch.cat([model(xt_d[i:i + 512]).argmax(1) for i in range(0, len(xt), 512)])
        acc = (pred.cpu().numpy() == yt).mean()
    return {"s_per_epoch": float(np.mean(times[1:] or times)), "first_epoch_s": times[0],
            "test_accuracy": float(acc),
            "peak_memory_mb": torch.cuda.max_memory_allocated() / 2 ** 20}


CASES = (("cnn", 128), ("cnn", 512), ("mlp", 128), ("mlp", 512))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--json")
    parser.add_argument("--data")
    parser.add_argument("--cases", default=",".join(f"{k}{b}" for k, b in CASES))
    args = parser.parse_args()
    data = load(args.data)
    wanted = set(args.cases.split(","))
    results = {"real_data": data[4], "epochs": args.epochs}
    for kind, batch in CASES:
        if f"{kind}{batch}" not in wanted:
            continue
        row = {}
        for name, run in (("glassnet_cupy", run_glassnet), ("torch_cuda", run_torch)):
            try:
                row[name] = run(kind, batch, args.epochs, data)
            except Exception as err:  # a failure is a result too: report it, go on
                row[name] = {"error": f"{type(err).__name__}: {err}"}
        g, t = row["glassnet_cupy"], row["torch_cuda"]
        if "s_per_epoch" in g and "s_per_epoch" in t:
            row["ratio"] = g["s_per_epoch"] / t["s_per_epoch"]
        results[f"{kind}_b{batch}"] = row
        print(f"{kind} batch {batch}: {json.dumps(row)}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    print("| workload | glassnet-CuPy s/epoch | PyTorch CUDA s/epoch | ratio | accuracy "
          "(glassnet / torch) | peak MiB (glassnet / torch) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key, row in results.items():
        if not isinstance(row, dict):
            continue
        g, t = row["glassnet_cupy"], row["torch_cuda"]
        if "s_per_epoch" not in g or "s_per_epoch" not in t:
            print(f"| {key} | {g.get('error', '')} | {t.get('error', '')} | | | |")
            continue
        print(f"| {key} | {g['s_per_epoch']:.2f} | {t['s_per_epoch']:.2f} | "
              f"{row['ratio']:.2f}x | {g['test_accuracy']:.3f} / {t['test_accuracy']:.3f} | "
              f"{g['peak_memory_mb']:.0f} / {t['peak_memory_mb']:.0f} |")


if __name__ == "__main__":
    main()
