"""The tutorial CNN on full Fashion-MNIST, glassnet beside PyTorch and Keras (TensorFlow),
each in its own process; then where one glassnet training step spends its time.

    python3 benchmarks/cnn_training.py [--epochs 1] [--threads 2] [--only glassnet,torch]

Network: Conv2D 32 3x3 relu -> MaxPooling2D 2 -> Conv2D 64 3x3 relu -> MaxPooling2D 2 ->
Flatten -> Dense 128 relu -> Dense 10 softmax; Adam 1e-3; batch 32 and 128. Epoch times are
measured inside one fit call (the mean of the epochs after the first), PyTorch runs an
idiomatic loop with torch.set_num_threads. The breakdown times each part of a step on one
batch, as fit runs it, and compares the achieved GFLOP/s with NumPy's float32 matrix-product
rate here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from mlp_training import (  # noqa: E402
    THREAD_VARS,
    fashion_mnist,
    fit_epoch_times,
    run_workers,
    tensorflow_keras,
)


def glassnet_cnn():
    from glassnet import keras

    L = keras.layers
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run_glassnet(args):
    from glassnet import keras

    x, y = fashion_mnist()
    x = x[..., None]
    out = {}
    for batch in (32, 128):
        out[f"cnn_b{batch}"] = fit_epoch_times(glassnet_cnn(), x, y, batch, args.epochs,
                                               keras.callbacks.Callback)
    return out


def run_torch(args):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = fashion_mnist()
    X, Y = torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)
    out = {}
    for batch in (32, 128):
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(1600, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        times = []
        for _ in range(args.epochs + 1):
            start = time.perf_counter()
            perm = torch.randperm(len(X))
            for i in range(0, len(X), batch):
                idx = perm[i:i + batch]
                opt.zero_grad()
                loss_fn(model(X[idx]), Y[idx]).backward()
                opt.step()
            times.append(time.perf_counter() - start)
        out[f"cnn_b{batch}"] = float(np.mean(times[1:]))
    return out


def run_keras(args):
    keras = tensorflow_keras(args.threads)
    L = keras.layers
    x, y = fashion_mnist()
    x = x[..., None]
    out = {}
    for batch in (32, 128):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
            L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
            L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        out[f"cnn_b{batch}"] = fit_epoch_times(model, x, y, batch, args.epochs,
                                               keras.callbacks.Callback)
    return out


def breakdown(batch=32, repeats=20):
    """Time each part of one glassnet step as fit runs it (inside ``kernels.training``:
    the fast kernels, work split over the threads, freed memory kept) and the GFLOP/s of the
    convolutions."""
    import glassnet as gn
    from glassnet import kernels
    from glassnet.autograd.ops import convolution
    from glassnet.kernels import conv, gemm, threads

    def timed(fn):
        fn()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        return (time.perf_counter() - start) / repeats * 1e3

    rng = np.random.default_rng(0)
    x1 = rng.random((batch, 28, 28, 1), dtype=np.float32)
    x2 = rng.random((batch, 13, 13, 32), dtype=np.float32)
    w1 = rng.standard_normal((3, 3, 1, 32)).astype(np.float32)
    w2 = rng.standard_normal((3, 3, 32, 64)).astype(np.float32)
    geom = convolution.Geometry((1, 1), (1, 1), ((0, 0), (0, 0)), 1)
    parts, flops = {}, 0.0
    with kernels.training():
        for name, x, w in (("conv1", x1, w1), ("conv2", x2, w2)):
            kh, kw, c, f = w.shape
            oh, ow = geom.out_hw(x.shape[1], x.shape[2], kh, kw)
            m, k = batch * oh * ow, kh * kw * c
            b = np.zeros(f, np.float32)
            y, cols = conv.conv_forward(x, w, geom, b, relu=True)
            cols_k = cols[:, :-1]  # without the column of ones that carries the bias
            gy = rng.standard_normal(y.shape).astype(np.float32)
            flops += 2 * 2 * m * k * f
            if name == "conv2":  # its parts one by one, then fused as the op runs them
                out = np.empty((m, k), np.float32)

                def im2col(x=x, out=out, kh=kh, kw=kw, oh=oh, ow=ow, c=c):
                    threads.over_batch(lambda lo, hi: np.copyto(
                        out[lo * oh * ow:hi * oh * ow].reshape(hi - lo, oh, ow, kh, kw, c),
                        geom.windows(x[lo:hi], kh, kw, oh, ow)), len(x), out.size)

                parts["conv2 im2col"] = timed(im2col)
                parts["conv2 GEMM (forward)"] = timed(
                    lambda cols_k=cols_k, w=w, k=k, f=f: gemm.matmul(cols_k, w.reshape(k, f)))
                parts["conv2 GEMM (weight grad)"] = timed(
                    lambda cols_k=cols_k, gy=gy, f=f: gemm.matmul_tn(cols_k, gy.reshape(-1, f)))
                parts["conv2 input grad (GEMMs + accumulation)"] = timed(
                    lambda gy=gy, cols=cols, w=w, x=x: conv.conv_backward(
                        gy, None, cols, w, geom, x.shape, True, False, False))
                flops += 2 * m * k * f
            parts[f"{name} forward (im2col, GEMM, bias, relu)"] = timed(
                lambda x=x, w=w, b=b: conv.conv_forward(x, w, geom, b, relu=True))
            # The first layer's input needs no gradient; the pool after each conv masks
            # the relu's gradient on its own smaller array.
            need_x = name == "conv2"
            parts[f"{name} backward ({'dx, ' if need_x else ''}dw, db)"] = timed(
                lambda gy=gy, cols=cols, w=w, x=x, need_x=need_x: conv.conv_backward(
                    gy, None, cols, w, geom, x.shape, need_x, True, True))
        for name, shape in (("pool1", (batch, 26, 26, 32)), ("pool2", (batch, 11, 11, 64))):
            t = gn.tensor(rng.random(shape, dtype=np.float32), requires_grad=True)

            def pool(t=t):
                y = gn.max_pool2d(t)
                y.backward(np.ones(y.shape, np.float32))
                t.grad = None

            parts[f"{name} forward+backward"] = timed(pool)
        # As Sequential runs them: each conv + relu + pool pair as one op, one pass per slice
        for name, x, w in (("conv1 + pool1", x1, w1), ("conv2 + pool2", x2, w2)):
            xt = gn.tensor(x, requires_grad=name.startswith("conv2"))
            wt = gn.tensor(w, requires_grad=True)
            bt = gn.tensor(np.zeros(w.shape[-1], np.float32), requires_grad=True)

            def fused(xt=xt, wt=wt, bt=bt):
                y = kernels.conv2d_relu_max_pool(xt, wt, bt)
                y.backward(np.ones(y.shape, np.float32))
                xt.grad = wt.grad = bt.grad = None

            parts[f"{name} fused, forward+backward"] = timed(fused)
        model = glassnet_cnn()
        xb, yb = rng.random((batch, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, batch)
        model.train_on_batch(xb, yb)
        params = model.trainable_weights
        grads = [np.ones_like(p.data) * 1e-3 for p in params]
        parts["optimizer (Adam, all weights)"] = timed(
            lambda: model.optimizer.apply(grads, params))
        parts["whole training step (train_on_batch)"] = timed(
            lambda: model.train_on_batch(xb, yb))
    a = rng.random((1024, 1024), dtype=np.float32)
    blas = 2 * 1024 ** 3 / (timed(lambda: a @ a) / 1e3) / 1e9
    achieved = flops / (parts["whole training step (train_on_batch)"] / 1e3) / 1e9
    return parts, achieved, blas


RUNNERS = {"glassnet": run_glassnet, "torch": run_torch, "keras": run_keras}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="glassnet,torch,keras")
    parser.add_argument("--worker", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(RUNNERS[args.worker](args)))
        return
    results = run_workers(__file__, args)
    names = list(results)
    print(f"\nCNN on Fashion-MNIST, {args.threads} threads, {args.epochs} timed epoch(s)")
    print(f"{'':30}" + "".join(f"{n:>11}" for n in names)
          + "".join(f"{'vs ' + n:>11}" for n in names if n != "glassnet"))
    for batch in (32, 128):
        key = f"cnn_b{batch}"
        line = f"{f'batch {batch} (s/epoch)':30}" + "".join(
            f"{results[n][key]:11.2f}" for n in names)
        ours = results.get("glassnet", {}).get(key)
        line += "".join(f"{ours / results[n][key]:10.2f}x" for n in names
                        if n != "glassnet" and ours)
        print(line)
    os.environ.update({v: str(args.threads) for v in THREAD_VARS})
    from glassnet import kernels

    kernels.set_num_threads(args.threads)
    for batch in (32, 128):
        parts, achieved, blas = breakdown(batch)
        print(f"\nwhere a glassnet step goes (batch {batch}, ms; {kernels.get_num_threads()} "
              f"threads, as in fit):")
        for name, ms in parts.items():
            print(f"  {name:48} {ms:7.3f}")
        print(f"convolution GFLOP/s achieved over the whole step: {achieved:.1f}; NumPy "
              f"float32 matmul (1024x1024) here: {blas:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
