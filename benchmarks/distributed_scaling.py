"""Data-parallel scaling of ``glassnet.distributed``: the tutorial CNN (Fashion-MNIST) trained on
1, 2, 4 and 8 MPI processes of one thread each, and a model of larger jobs on real networks.

    python3 benchmarks/distributed_scaling.py [--procs 1,2,4,8] [--steps 200] [--batch-size 32]

The driver (run it without ``mpirun``) launches ``mpirun -np P`` (shared memory, ``--bind-to
none --oversubscribe``) for each P; every rank sets 1 thread (``kernels.set_num_threads(1)``,
OMP/OpenBLAS variables). Weak scaling: each rank trains on batches of ``--batch-size`` samples,
so the job's batch is P x B. Each worker wraps Adam in ``DistributedOptimizer`` and runs
``fit`` over warm-up + timed steps, with a callback timing every step and a wrapper around the
optimizer's reduction (``glassnet.distributed.optimizer.reduce_in_place``: the one
``Allreduce`` of the flat gradient buffer plus its division by P) timing the allreduce inside
each step; that time includes waiting for the slowest rank, so the table also gives the
mean over steps of the smallest rank's time (the rank that arrives last waits only for the
transfer). Then each worker times the same reduction alone (after a barrier) on buffers of
64 KB to 16 MB and of the gradients' size.

Reported: samples/s of the job (P x B x steps / wall time of the timed steps), scaling
efficiency samples/s(P) / (P x samples/s(1)), step and allreduce milliseconds, the bytes
reduced per step (4 x trainable parameters) and what each rank sends in a ring allreduce.
With more ranks than cores (4 and 8 here) every rank's compute slows by about P / cores: those
rows simulate the communication of a larger job, not its speed.

The model, a ring allreduce (reduce-scatter then allgather, 2(p-1) steps of bytes/p each):

    t_step(p) = compute + 2 (p-1)/p x bytes / bandwidth + 2 (p-1) x latency

with compute the measured one-process step. It is evaluated for 10 GbE (1.25e9 B/s, 20 us per
message) and 100 Gb/s InfiniBand (12.5e9 B/s, 1.5 us), and checked here: bandwidth and latency
of this machine's shared-memory transport are fitted to the measured allreduce times (least
squares on the relative error, every P and size), then the predicted allreduce and step times
(compute(1) x max(1, P / cores) for the oversubscribed runs) are set beside the measured ones.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Shared memory only, more ranks than cores allowed, no pinning; root allowed (containers).
MPI_OPTIONS = ["--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader"]
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}
SIZES = (1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24)  # bytes: 64 KB .. 16 MB
NETWORKS = (("10 GbE", 1.25e9, 20e-6), ("100 Gb/s InfiniBand", 12.5e9, 1.5e-6))
MODEL_PROCS = (2, 4, 8, 16, 64)


def ring_bytes(p, nbytes):
    """Bytes each rank sends (and receives) in a ring allreduce of ``nbytes`` over ``p``."""
    return 2 * (p - 1) / p * nbytes


def ring_time(p, nbytes, bandwidth, latency):
    """Seconds of a ring allreduce: 2(p-1)/p x bytes / bandwidth + 2(p-1) x latency."""
    if p == 1:
        return 0.0
    return ring_bytes(p, nbytes) / bandwidth + 2 * (p - 1) * latency


# -- worker (one rank under mpirun) ------------------------------------------------------

def training_data(args, n):
    """``n`` images (28, 28, 1) and labels: Fashion-MNIST, or random ones of the same shape."""
    if args.data == "random":
        rng = np.random.default_rng(0)
        return (rng.random((n, 28, 28, 1), dtype=np.float32),
                rng.integers(0, 10, n).astype(np.int64))
    from glassnet.datasets import fashion_mnist

    (x, y), _ = fashion_mnist.load_data()
    if n > len(x):
        raise ValueError(f"--steps/--warmup/--batch-size: the job needs {n} training images; "
                         f"Fashion-MNIST has {len(x)}")
    return (x[:n, ..., None] / 255.0).astype(np.float32), y[:n].astype(np.int64)


def timed_reduction(module):
    """Wrap ``module.reduce_in_place`` so each call's seconds are appended to the list
    returned."""
    inner, seconds = module.reduce_in_place, []

    def reduce_in_place(buf, op, what):
        start = time.perf_counter()
        out = inner(buf, op, what)
        seconds.append(time.perf_counter() - start)
        return out

    module.reduce_in_place = reduce_in_place
    return seconds


def reduction_alone(comm, nbytes, repeats):
    """Seconds of one reduction of ``nbytes`` of float32 as the optimizer runs it, each call
    after a barrier: this rank's median over ``repeats`` calls, then the largest over the
    ranks (the job waits for the slowest)."""
    import glassnet.distributed as hvd
    from glassnet.distributed.collectives import reduce_in_place

    buf = np.random.default_rng(hvd.rank()).random(nbytes // 4, dtype=np.float32)
    reduce_in_place(buf, hvd.Sum, "benchmark")  # first touch, connection setup
    times = []
    for _ in range(repeats):
        comm.Barrier()
        start = time.perf_counter()
        reduce_in_place(buf, hvd.Sum, "benchmark")
        times.append(time.perf_counter() - start)
    return float(hvd.allreduce(np.array(np.median(times)), op=hvd.Max))


def run_worker(args):
    for var in THREAD_VARS:
        os.environ[var] = str(args.threads)
    from cnn_training import glassnet_cnn

    import glassnet.distributed as hvd
    from glassnet import keras, kernels
    from glassnet.distributed import optimizer as distributed_optimizer
    from glassnet.distributed.runtime import job

    kernels.set_num_threads(args.threads)
    hvd.init()
    p, steps = hvd.size(), args.warmup + args.steps
    x, y = training_data(args, p * steps * args.batch_size)
    x_part, y_part = hvd.shard(x, y, seed=0)  # steps x batch per rank
    model = glassnet_cnn()
    model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.Adam(1e-3 * p)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    reductions = timed_reduction(distributed_optimizer)

    class StepTimer(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.start, self.calls = time.perf_counter(), len(reductions)

        def on_train_batch_end(self, batch, logs=None):
            end = time.perf_counter()
            if batch >= args.warmup:
                if batch == args.warmup:
                    timer.first = self.start
                step_s.append(end - self.start)
                reduce_s.append(sum(reductions[self.calls:]))
                timer.last = end

    step_s, reduce_s = [], []
    timer = StepTimer()
    model.fit(x_part, y_part, batch_size=args.batch_size, epochs=1, shuffle=False, verbose=0,
              callbacks=[hvd.BroadcastGlobalVariablesCallback(0), timer])
    if len(step_s) != args.steps:
        raise RuntimeError(f"timed {len(step_s)} steps instead of {args.steps}")
    wall = float(hvd.allreduce(np.array(timer.last - timer.first), op=hvd.Max))
    steps_all = hvd.allgather(np.array([step_s]))  # (ranks, steps)
    reduce_all = hvd.allgather(np.array([reduce_s]))
    params = sum(int(v.data.size) for v in model.trainable_weights)
    nbytes = 4 * params
    alone = {}
    if p > 1:
        for size in sorted({*args.sizes, nbytes}):
            alone[str(size)] = reduction_alone(job().comm, size, args.repeats)
    return {"procs": p, "batch": args.batch_size, "threads": args.threads,
            "steps": args.steps, "cores": os.cpu_count(), "params": params, "bytes": nbytes,
            "samples_per_s": p * args.batch_size * args.steps / wall,
            "step_ms": float(steps_all.max(axis=0).mean() * 1e3),
            "allreduce_ms": float(reduce_all.mean() * 1e3),
            "allreduce_last_ms": float(reduce_all.min(axis=0).mean() * 1e3),
            "allreduce_alone_ms": {k: v * 1e3 for k, v in alone.items()}}


# -- driver ------------------------------------------------------------------------------

def run_job(args, p):
    """``mpirun -np p`` of this script as a worker; rank 0's JSON, or None (reason printed)."""
    command = [shutil.which("mpirun") or "mpirun", "-np", str(p), *MPI_OPTIONS,
               sys.executable, os.path.abspath(__file__), "--worker",
               "--batch-size", str(args.batch_size), "--warmup", str(args.warmup),
               "--steps", str(args.steps), "--threads", str(args.threads),
               "--data", args.data, "--repeats", str(args.repeats),
               "--sizes", ",".join(map(str, args.sizes))]
    env = {**os.environ, **MPI_ENV, **{v: str(args.threads) for v in THREAD_VARS},
           "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    try:
        proc = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        print(f"P={p}: not measured (no result within {args.timeout} s)")
        return None
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        print(f"P={p}: not measured (exit {proc.returncode}: {last})")
        return None
    return json.loads(lines[-1])


def fit_transport(results, procs=None):
    """Latency and bandwidth of ``t = 2(p-1) x latency + 2(p-1)/p x bytes / bandwidth`` fitted
    to every measured (P, bytes, seconds) of the reductions alone (of the runs of ``procs``
    only, if given), by least squares on the relative error (each row divided by its
    measured time, so 64 KB counts as much as 16 MB). A negative latency (noise) leaves the
    bandwidth term alone; None if there are too few points."""
    rows, times = [], []
    for r in results.values():
        if procs is not None and r["procs"] not in procs:
            continue
        for size, ms in r["allreduce_alone_ms"].items():
            p, t = r["procs"], ms / 1e3
            rows.append([2 * (p - 1) / t, ring_bytes(p, int(size)) / t])
            times.append(1.0)
    if len(rows) < 2:
        return None
    a, t = np.array(rows), np.array(times)
    (latency, inverse), *_ = np.linalg.lstsq(a, t, rcond=None)
    if latency <= 0 or inverse <= 0:  # noise: keep the bandwidth term alone (latency 0)
        latency, inverse = 0.0, float(a[:, 1] @ t / (a[:, 1] @ a[:, 1]))
    if inverse <= 0:
        return None
    return float(latency), float(1 / inverse)


def scaling_table(results):
    one = results.get(1)
    print("| P | per-rank batch | samples/s (job) | scaling efficiency | step ms | "
          "allreduce ms (share of step) | allreduce ms, last rank | bytes per step | "
          "sent per rank (ring) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p, r in sorted(results.items()):
        cores = r["cores"] or 1
        if one is None:
            eff = "-"
        else:
            eff = f"{r['samples_per_s'] / (p * one['samples_per_s']):.2f}"
            if p > cores:
                eff += f" (oversubscribed: {p} ranks on {cores} cores)"
        share = r["allreduce_ms"] / r["step_ms"]
        print(f"| {p} | {r['batch']} | {r['samples_per_s']:.0f} | {eff} | {r['step_ms']:.1f} | "
              f"{r['allreduce_ms']:.2f} ({share:.0%}) | {r['allreduce_last_ms']:.2f} | "
              f"{r['bytes']:,} | {ring_bytes(p, r['bytes']):,.0f} |")
    print("allreduce ms: inside DistributedOptimizer's reduction (Allreduce of the flat "
          "gradients + division by P), mean over ranks and steps, waits for the slowest rank "
          "included; last rank: mean over steps of the smallest rank's time (about the "
          "transfer alone)")


def model_table(compute_s, nbytes, fitted):
    networks = list(NETWORKS)
    if fitted is not None:
        networks.append(("this machine, shared memory (fitted)", fitted[1], fitted[0]))
    print(f"\nring-allreduce model: t_step = compute + 2(p-1)/p x bytes / bandwidth + 2(p-1) x "
          f"latency; compute = {compute_s * 1e3:.1f} ms (measured, 1 process), bytes = "
          f"{nbytes:,}; efficiency = compute / t_step (weak scaling)")
    print("| network | bandwidth B/s | latency us | "
          + " | ".join(f"P={p} step ms (eff.)" for p in MODEL_PROCS) + " |")
    print("|---|---|---|" + "---|" * len(MODEL_PROCS))
    for name, bandwidth, latency in networks:
        cells = []
        for p in MODEL_PROCS:
            t = compute_s + ring_time(p, nbytes, bandwidth, latency)
            cells.append(f"{t * 1e3:.1f} ({compute_s / t:.2f})")
        print(f"| {name} | {bandwidth:.3g} | {latency * 1e6:.1f} | " + " | ".join(cells) + " |")


def check_table(results, fitted):
    one = results.get(1)
    latency, bandwidth = fitted
    print(f"\nmodel check: this machine's shared-memory transport fitted to the reductions "
          f"alone: bandwidth {bandwidth:.3g} B/s, latency {latency * 1e6:.1f} us")
    for p in sorted(results):
        alone = fit_transport(results, [p]) if p > 1 else None
        if alone is not None:
            print(f"  fitted to P={p} alone: bandwidth {alone[1]:.3g} B/s, latency "
                  f"{alone[0] * 1e6:.1f} us")
    print("| P | bytes | allreduce ms, predicted | measured alone | error | measured in step "
          "(last rank) | step ms, predicted | measured | error |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p, r in sorted(results.items()):
        if p == 1:
            continue
        for size, ms in sorted(r["allreduce_alone_ms"].items(), key=lambda kv: int(kv[0])):
            size = int(size)
            predicted = ring_time(p, size, bandwidth, latency) * 1e3
            cells = ["", "", "", "", ""]
            if size == r["bytes"]:
                cells[0] = f"{r['allreduce_last_ms']:.2f}"
                if one is not None:
                    compute = one["step_ms"] * max(1.0, p / (r["cores"] or 1))
                    step = compute + predicted
                    cells[1:4] = [f"{step:.1f}", f"{r['step_ms']:.1f}",
                                  f"{(step - r['step_ms']) / r['step_ms']:+.0%}"]
            label = f"{size:,}" + (" (gradients)" if size == r["bytes"] else "")
            print(f"| {p} | {label} | {predicted:.2f} | {ms:.2f} | {(predicted - ms) / ms:+.0%} | "
                  + " | ".join(cells[:4]) + " |")


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers. Received: "
                                         f"{text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers. Received: {text!r}")
    return values


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer. Received: {text!r}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int_list, default=[1, 2, 4, 8])
    parser.add_argument("--batch-size", type=positive, default=32, help="per rank")
    parser.add_argument("--warmup", type=positive, default=5)
    parser.add_argument("--steps", type=positive, default=200, help="timed steps")
    parser.add_argument("--threads", type=positive, default=1, help="per rank")
    parser.add_argument("--data", choices=("fashion-mnist", "random"), default="fashion-mnist")
    parser.add_argument("--sizes", type=int_list, default=list(SIZES),
                        help="bytes of the reductions timed alone")
    parser.add_argument("--repeats", type=positive, default=20,
                        help="timed reductions per size")
    parser.add_argument("--timeout", type=positive, default=900, help="seconds per mpirun")
    parser.add_argument("--json", default=None, help="also write every result to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if any(size % 4 for size in args.sizes):
        parser.error(f"--sizes: expected multiples of 4 bytes (float32). Received: "
                     f"{args.sizes}")
    if args.worker:
        import glassnet.distributed as hvd

        out = run_worker(args)
        if hvd.rank() == 0:
            print(json.dumps(out), flush=True)
        return
    results = {}
    for p in args.procs:
        r = run_job(args, p)
        if r is not None:
            results[p] = r
    if not results:
        sys.exit("no run finished")
    fitted = fit_transport(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": list(results.values()), "fitted": fitted and {
                "latency_s": fitted[0], "bandwidth_Bps": fitted[1]}}, f, indent=1)
    first = next(iter(results.values()))
    print(f"\nthe tutorial CNN ({first['params']:,} weights), data {args.data}, {args.threads} "
          f"thread(s) per rank, {first['cores']} cores, {args.warmup} warm-up + {args.steps} "
          f"timed steps of fit; weak scaling (job batch = P x per-rank batch)")
    scaling_table(results)
    if 1 in results:
        model_table(results[1]["step_ms"] / 1e3, results[1]["bytes"], fitted)
    if fitted is not None:
        check_table(results, fitted)
    elif any(p > 1 for p in results):
        print("\nmodel check: the fit of latency and bandwidth failed (non-positive values)")


if __name__ == "__main__":
    main()
