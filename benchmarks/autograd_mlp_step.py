"""Forward + backward of a 784-128-10 MLP with softmax cross-entropy, built from raw ops,
beside PyTorch doing the same (when installed). Prints microseconds per step and the ratio.

    python3 benchmarks/autograd_mlp_step.py [--threads 2] [--steps 300]

Three glassnet variants: matmul + add (the ops a tutorial writes), the fused ``linear`` op
(what a Dense layer uses), and the fused forward/backward followed by an in-place Adam update
written in NumPy (to see what a whole training step costs against PyTorch's Adam step).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2, help="BLAS / torch threads (default 2)")
    p.add_argument("--steps", type=int, default=300, help="steps per timing round")
    p.add_argument("--rounds", type=int, default=5, help="timing rounds; the median is shown")
    return p.parse_args()


ARGS = _parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(ARGS.threads))

import numpy as np  # noqa: E402 - after the thread variables, which BLAS reads at import

import glassnet as gn  # noqa: E402


def per_step_us(step, steps, rounds):
    for _ in range(max(20, steps // 10)):
        step()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps * 1e6)
    return statistics.median(times)


def make_data(batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 784), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    w1 = (rng.standard_normal((784, 128)) * 0.05).astype(np.float32)
    w2 = (rng.standard_normal((128, 10)) * 0.05).astype(np.float32)
    return x, y, w1, w2


def glassnet_steps(batch):
    x_np, y, w1_np, w2_np = make_data(batch)
    x = gn.tensor(x_np)
    w1, b1 = gn.tensor(w1_np, requires_grad=True), gn.zeros(128, requires_grad=True)
    w2, b2 = gn.tensor(w2_np, requires_grad=True), gn.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]

    def raw():
        h = gn.relu(x @ w1 + b1)
        loss = gn.sparse_categorical_crossentropy(y, h @ w2 + b2, from_logits=True)
        loss.backward()
        for p in params:
            p.grad = None

    def fused():
        h = gn.relu(gn.linear(x, w1, b1))
        loss = gn.sparse_categorical_crossentropy(y, gn.linear(h, w2, b2), from_logits=True)
        loss.backward()

    def fused_fresh_grads():
        fused()
        for p in params:
            p.grad = None

    state = [(np.zeros_like(p.data), np.zeros_like(p.data), np.empty_like(p.data))
             for p in params]
    t = [0]

    def adam_step(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7):
        # Keras's Adam, in place, into preallocated buffers: no array is allocated per step.
        fused()
        t[0] += 1
        alpha = lr * (1 - beta2 ** t[0]) ** 0.5 / (1 - beta1 ** t[0])
        for p, (m, v, tmp) in zip(params, state):
            g = p.grad
            np.multiply(g, 1 - beta1, out=tmp)
            m *= beta1
            m += tmp
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v *= beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= alpha
            p.data -= tmp
            p.grad = None

    return raw, fused_fresh_grads, adam_step


def torch_steps(batch, threads):
    import torch

    torch.set_num_threads(threads)
    x_np, y_np, w1_np, w2_np = make_data(batch)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    w1 = torch.tensor(w1_np, requires_grad=True)
    b1 = torch.zeros(128, requires_grad=True)
    w2 = torch.tensor(w2_np, requires_grad=True)
    b2 = torch.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]
    opt = torch.optim.Adam(params, lr=1e-3)

    def fwd_bwd():
        h = torch.relu(x @ w1 + b1)
        loss = torch.nn.functional.cross_entropy(h @ w2 + b2, y)
        loss.backward()
        for p in params:
            p.grad = None

    def adam_step():
        opt.zero_grad()
        h = torch.relu(x @ w1 + b1)
        torch.nn.functional.cross_entropy(h @ w2 + b2, y).backward()
        opt.step()

    return fwd_bwd, adam_step


def main():
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    print(f"784-128-10 MLP, softmax cross-entropy; {ARGS.threads} threads; "
          f"median of {ARGS.rounds} rounds x {ARGS.steps} steps")
    print(f"{'batch':>5}  {'what':<34} {'glassnet us':>11} {'torch us':>9} {'ratio':>6}")
    for batch in (32, 128):
        raw, fused, adam = glassnet_steps(batch)
        rows = [("forward+backward, raw ops", raw),
                ("forward+backward, fused linear", fused),
                ("full Adam step (fused + numpy Adam)", adam)]
        ref = {}
        if have_torch:
            t_fb, t_adam = torch_steps(batch, ARGS.threads)
            ref = {0: per_step_us(t_fb, ARGS.steps, ARGS.rounds),
                   2: per_step_us(t_adam, ARGS.steps, ARGS.rounds)}
            ref[1] = ref[0]
        for i, (what, fn) in enumerate(rows):
            ours = per_step_us(fn, ARGS.steps, ARGS.rounds)
            theirs = ref.get(i)
            ratio = f"{ours / theirs:6.2f}" if theirs else "     -"
            theirs_s = f"{theirs:9.1f}" if theirs else "        -"
            print(f"{batch:>5}  {what:<34} {ours:11.1f} {theirs_s} {ratio}")
    print("ratio = glassnet time / PyTorch time (below 1: glassnet is faster)")


if __name__ == "__main__":
    main()
