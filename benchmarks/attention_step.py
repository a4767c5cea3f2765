"""Scaled dot-product attention, forward + backward: glassnet's readable op, its fast kernel
and PyTorch, interleaved in one process; the op alone and inside MultiHeadAttention.

    python3 benchmarks/attention_step.py [--threads 2] [--repeats 15] [--batch 32]
        [--length 200] [--embed 64] [--heads 4]

Shapes: query = key = value (batch, heads, length, embed / heads) for the op, whose rivals are
``torch.nn.functional.scaled_dot_product_attention`` and glassnet's op outside any kernels
block (the readable op); the layer takes x (batch, length, embed) as query and value against
``torch.nn.MultiheadAttention(batch_first=True)``. Each case runs with dropout 0.1 and 0,
causal and not, plus an inference row (forward only under ``no_grad``, no dropout).

Each repeat runs every contender of a case once, in an order rotated between repeats, so
that a load that comes and goes on a shared machine falls on all of them; the table shows
the minimum and the median (ms) and the ratio of each minimum to PyTorch's. Threads: glassnet's
pool, the BLAS and torch all get ``--threads``. The whole run keeps freed memory for reuse
(``kernels.memory``, as ``fit`` does; PyTorch allocates through the same glibc), so that no
contender pays page faults on its large arrays at every call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2, help="threads for everyone (default 2)")
    p.add_argument("--repeats", type=int, default=15, help="timed runs of each contender")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    return p.parse_args()


ARGS = _parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402 - after the thread variables, which the BLAS reads at import
import torch  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet import keras, kernels  # noqa: E402

torch.set_num_threads(ARGS.threads)
kernels.set_num_threads(ARGS.threads)
B, T, E, H = ARGS.batch, ARGS.length, ARGS.embed, ARGS.heads


def timed(contenders, repeats):
    """{name: [seconds per run]}: each contender once per repeat, the order rotated."""
    names = list(contenders)
    for name in names:  # warm-up: first-call allocations, lazy builds, thread start
        contenders[name]()
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def op_contenders(rate, causal, train):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((B, H, T, E // H)).astype(np.float32) for _ in range(4)]
    q, k, v, up = arrays

    def glassnet_op(fast):
        def run():
            ts = [gn.tensor(a, requires_grad=train) for a in (q, k, v)]
            with (kernels.training() if fast else _nothing()), \
                    (_nothing() if train else gn.no_grad()):
                y = gn.scaled_dot_product_attention(*ts, dropout_p=rate, is_causal=causal,
                                                    training=train)
                if train:
                    y.backward(up)
            return y
        return run

    def torch_op():
        ts = [torch.tensor(a, requires_grad=train) for a in (q, k, v)]
        with (_nothing() if train else torch.no_grad()):
            y = torch.nn.functional.scaled_dot_product_attention(*ts, dropout_p=rate,
                                                                 is_causal=causal)
            if train:
                y.backward(torch.from_numpy(up))

    return {"glassnet readable": glassnet_op(False), "glassnet kernel": glassnet_op(True),
            "torch": torch_op}


def layer_contenders(rate, causal, train):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, E)).astype(np.float32)
    up = rng.standard_normal((B, T, E)).astype(np.float32)
    layer = keras.layers.MultiHeadAttention(H, E // H, dropout=rate)
    layer(x[:1], x[:1])  # build
    params = layer.trainable_weights

    def glassnet_layer(fast):
        def run():
            for p in params:
                p.grad = None
            xt = gn.tensor(x, requires_grad=train)
            with (kernels.training() if fast else _nothing()), \
                    (_nothing() if train else gn.no_grad()):
                y = layer(xt, xt, use_causal_mask=causal, training=train)
                if train:
                    y.backward(up)
        return run

    module = torch.nn.MultiheadAttention(E, H, dropout=rate, batch_first=True)
    module.train(train)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None

    def torch_layer():
        module.zero_grad(set_to_none=True)
        xt = torch.tensor(x, requires_grad=train)
        with (_nothing() if train else torch.no_grad()):
            y, _ = module(xt, xt, xt, attn_mask=mask, need_weights=False, is_causal=causal)
            if train:
                y.backward(torch.from_numpy(up))

    return {"glassnet readable": glassnet_layer(False), "glassnet kernel": glassnet_layer(True),
            "torch": torch_layer}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def kernel_in_use():
    """Whether the op's wrapper picks the fast kernel inside a kernels block."""
    q = gn.tensor(np.ones((1, 2, 3), np.float32), requires_grad=True)
    with kernels.training():
        y = gn.scaled_dot_product_attention(q, q, q)
    return type(y.grad_fn).__module__ == "glassnet.kernels.attention"


def main():
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"B={B} T={T} E={E} heads={H}, threads={ARGS.threads}, repeats={ARGS.repeats}, "
          f"load average {load:.1f}; fast kernel picked up by the op: {kernel_in_use()}")
    print(f"{'case':34} {'contender':18} {'min ms':>8} {'median':>8} {'min/torch':>9}")
    cases = [(rate, causal, True) for rate in (0.1, 0.0) for causal in (False, True)]
    cases.append((0.0, False, False))
    for what, make in (("op", op_contenders), ("MHA", layer_contenders)):
        for rate, causal, train in cases:
            times = timed(make(rate, causal, train), ARGS.repeats)
            best_torch = min(times["torch"])
            label = (f"{what} dropout={rate} causal={causal} " +
                     ("fwd+bwd" if train else "inference"))
            for name, ts in times.items():
                print(f"{label:34} {name:18} {min(ts) * 1e3:8.2f} "
                      f"{statistics.median(ts) * 1e3:8.2f} {min(ts) / best_torch:9.2f}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end {load:.1f}")


if __name__ == "__main__":
    with kernels.memory.keep_freed_memory():
        main()
