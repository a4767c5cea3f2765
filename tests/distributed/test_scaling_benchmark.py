"""benchmarks/distributed_scaling.py on a small bounded run: 1 and 2 ranks, a few steps."""

import json
import re
import subprocess
import sys
from pathlib import Path

import glassnet
from glassnet import keras

ROOT = Path(glassnet.__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "distributed_scaling.py"


def cnn_weights():
    """Trainable weights of the tutorial CNN, counted here independently of the benchmark."""
    L = keras.layers
    model = keras.Sequential([
        L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
    return sum(int(w.data.size) for w in model.trainable_weights)


def run_benchmark(mpirun, tmp_path, *args, timeout=300):
    return subprocess.run([sys.executable, str(BENCHMARK), *args], capture_output=True,
                          text=True, timeout=timeout, env=mpirun.env(), cwd=tmp_path)


def test_one_and_two_ranks_give_the_tables_and_sane_numbers(mpirun, tmp_path):
    out = tmp_path / "results.json"
    done = run_benchmark(mpirun, tmp_path, "--procs", "1,2", "--batch-size", "16",
                         "--warmup", "1", "--steps", "4", "--data", "random",
                         "--sizes", "65536,4194304", "--repeats", "3", "--timeout", "150",
                         "--json", str(out))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "not measured" not in text, text
    rows = {int(m.group(1)): line for line in text.splitlines()
            if (m := re.match(r"\| ([12]) \| 16 \| ", line))}
    assert set(rows) == {1, 2}, text
    assert "| 10 GbE | 1.25e+09 | 20.0 |" in text and "| 100 Gb/s InfiniBand |" in text
    assert "model check" in text and "(gradients)" in text, text

    results = json.loads(out.read_text())
    runs = {r["procs"]: r for r in results["runs"]}
    nbytes = 4 * cnn_weights()
    assert nbytes == 900_136
    for p, r in runs.items():
        assert r["bytes"] == nbytes and f"| {nbytes:,} |" in rows[p]
        assert r["samples_per_s"] > 0 and r["step_ms"] > 0
        assert 0 <= r["allreduce_ms"] < r["step_ms"]
    assert runs[1]["allreduce_alone_ms"] == {}  # one rank reduces nothing
    assert runs[2]["allreduce_ms"] > 0
    alone = runs[2]["allreduce_alone_ms"]
    assert sorted(map(int, alone)) == sorted([65536, 4194304, nbytes])
    assert all(ms > 0 for ms in alone.values())
    efficiency = runs[2]["samples_per_s"] / (2 * runs[1]["samples_per_s"])
    assert 0 < efficiency < 1.5
    assert f"| {efficiency:.2f} |" in rows[2]
    fitted = results["fitted"]
    assert fitted["latency_s"] >= 0 and fitted["bandwidth_Bps"] > 0  # 0: within the noise


def test_bad_arguments_are_refused(mpirun, tmp_path):
    done = run_benchmark(mpirun, tmp_path, "--procs", "0,2", timeout=60)
    assert done.returncode == 2 and "expected positive integers" in done.stderr
    done = run_benchmark(mpirun, tmp_path, "--sizes", "65537", timeout=60)
    assert done.returncode == 2 and "multiples of 4 bytes" in done.stderr
