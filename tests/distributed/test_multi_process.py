"""glassnet.distributed on two processes, each test one ``mpirun -np 2`` with a time limit."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet.datasets import fashion_mnist

ROOT = Path(glassnet.__file__).resolve().parents[1]

COLLECTIVES = """
import numpy as np, glassnet
import glassnet.distributed as hvd
hvd.init()
r, n = hvd.rank(), hvd.size()
assert n == 2 and hvd.local_size() == 2 and hvd.local_rank() == r
x = np.array([1.0, 2.0 + r, -r], dtype=np.float32)
np.testing.assert_array_equal(hvd.allreduce(x, op=hvd.Sum), [2.0, 5.0, -1.0])
np.testing.assert_array_equal(hvd.allreduce(x), [1.0, 2.5, -0.5])
np.testing.assert_array_equal(hvd.allreduce(x, op=hvd.Min), [1.0, 2.0, -1.0])
np.testing.assert_array_equal(hvd.allreduce(x, op=hvd.Max), [1.0, 3.0, 0.0])
np.testing.assert_array_equal(hvd.allreduce(np.array([3, r]), op=hvd.Product), [9, 0])
half = hvd.allreduce(x.astype(np.float16), op=hvd.Sum)
assert half.dtype == np.float16 and half.tolist() == [2.0, 5.0, -1.0]
t = hvd.allreduce(glassnet.tensor(x), compression=hvd.Compression.fp16)
assert isinstance(t, glassnet.Tensor) and t.dtype == np.float32 and t.tolist() == [1.0, 2.5, -0.5]
g = hvd.allgather(np.full((r + 1, 2), r, dtype=np.int32))
assert g.tolist() == [[0, 0], [1, 1], [1, 1]], g
assert hvd.allgather(np.complex128(1j * r)).tolist() == [0j, 1j]
assert hvd.broadcast(np.array([r, r + 10]), root_rank=1).tolist() == [1, 11]
w = [glassnet.nn.Parameter(np.full((3, 2), r, np.float32)), glassnet.tensor(np.arange(3) * r)]
before = w[0].data
hvd.broadcast_variables(w, root_rank=1)
assert w[0].data is before and w[0].data.tolist() == [[1, 1]] * 3 and w[1].tolist() == [0, 1, 2]
for bad in (lambda: hvd.allreduce(np.ones(2 + r)),
            lambda: hvd.broadcast(np.ones(2, "f%d" % (4 + 4 * r))),
            lambda: hvd.allgather(np.ones((1, 1 + r))),
            lambda: hvd.broadcast_variables(w[:1 + r])):
    try:
        bad()
    except ValueError as error:
        assert "every rank must pass" in str(error), error
    else:
        raise AssertionError("no error")
opt = glassnet.optim.Adam([glassnet.nn.Parameter(np.zeros(3, np.float32))], lr=0.1)
if r == 0:
    opt.params[0].grad = np.ones(3, np.float32); opt.step(); opt.step()
hvd.broadcast_optimizer_state(opt, root_rank=0)
assert opt.iterations == 2, opt.iterations
cb = hvd.LearningRateWarmupCallback(0.4, warmup_epochs=2)
assert cb.multiplier(0) == 0.5 and cb.multiplier(1) == 0.75 and cb.multiplier(2) == 1.0
print("collectives ok", r, flush=True)
"""


def test_collectives_on_two_ranks(mpirun):
    done = mpirun(COLLECTIVES)
    assert done.returncode == 0, done.stderr
    assert done.ranks == ["collectives ok 0\n", "collectives ok 1\n"]


TRAIN = """
import hashlib, sys
import numpy as np, glassnet
import glassnet.distributed as hvd
from glassnet import keras
hvd.init()
r = hvd.rank()
glassnet.seed(r)  # different starting weights on each rank: the broadcast must align them
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 6)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int64")
def digest(model):
    h = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).digest()
    return hvd.allgather(np.frombuffer(h, np.uint8)[None])
class Check(keras.callbacks.Callback):
    steps = 0
    def on_train_begin(self, logs=None):
        d = digest(self.model)
        print("differ at start", bool((d[0] != d[1]).any()), flush=True)
    def on_train_batch_end(self, batch, logs=None):
        d = digest(self.model)
        assert (d[0] == d[1]).all(), f"weights differ after step {self.steps}"
        self.steps += 1
    def on_epoch_end(self, epoch, logs=None):
        with open(f"logs-{r}.txt", "a") as f:  # stdout mixes the ranks' lines with the bar
            f.write(f"{logs['loss']!r} {logs['accuracy']!r}\\n")
model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(6,)),
                          keras.layers.Dropout(0.2, seed=r), keras.layers.Dense(2)])
model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.Adam(1e-2),
                                                 backward_passes_per_step=int(sys.argv[1])),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
check = Check()
xs, ys = hvd.shard(x, y)
model.fit(xs, ys, batch_size=16, epochs=3, verbose=1, callbacks=[
    hvd.BroadcastGlobalVariablesCallback(0), hvd.MetricAverageCallback(), check,
    keras.callbacks.ModelCheckpoint(f"ckpt-of-rank-{r}.keras")])
print("steps checked", r, check.steps, flush=True)
"""


@pytest.mark.parametrize("passes", [1, 2])
def test_weights_are_bit_identical_after_every_step(mpirun, tmp_path, passes):
    done = mpirun(TRAIN, args=[passes])
    assert done.returncode == 0, done.stderr
    out = done.ranks
    assert all("differ at start True" in o for o in out)  # the check can fail
    assert "steps checked 0 21" in out[0] and "steps checked 1 21" in out[1]  # 100 / 16 * 3
    logs = [(tmp_path / f"logs-{r}.txt").read_text().split("\n") for r in (0, 1)]
    assert len(logs[0]) == 4 and logs[0] == logs[1]  # averaged: the same on both ranks
    assert "Epoch 1/3" in out[0] and "Epoch" not in out[1]  # only rank 0 shows progress
    assert (tmp_path / "ckpt-of-rank-0.keras").exists()  # only rank 0 writes checkpoints
    assert not (tmp_path / "ckpt-of-rank-1.keras").exists()


EQUIVALENCE = """
import numpy as np, glassnet
import glassnet.distributed as hvd
from glassnet import keras
hvd.init()
r = hvd.rank()
rng = np.random.default_rng(1)
x = rng.normal(size=(96, 5)).astype("float32")
y = rng.integers(0, 3, 96)
B = 8
def model():
    glassnet.seed(0)
    m = keras.Sequential([keras.layers.Dense(12, activation="tanh", input_shape=(5,)),
                          keras.layers.Dense(3)])
    return m
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
dist = model()
dist.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.SGD(0.2, momentum=0.9)),
             loss=loss)
xs, ys = hvd.shard(x, y, shuffle=False)  # rank r: samples r, r + 2, ...
dist.fit(xs, ys, batch_size=B, epochs=3, shuffle=False, verbose=0,
         callbacks=[hvd.BroadcastGlobalVariablesCallback(0)])
# PyTorch style: the same job as a hand-written loop
torch_style = model()
opt = hvd.DistributedOptimizer(glassnet.optim.SGD(torch_style.parameters(), lr=0.2, momentum=0.9))
for epoch in range(3):
    for i in range(0, len(xs), B):
        value = loss(glassnet.tensor(ys[i:i + B]), torch_style(xs[i:i + B], training=True))
        opt.zero_grad(); value.backward(); opt.step()
if r == 0:  # one process, batch 2B, the same samples in each step
    ref = model()
    ref.compile(optimizer=keras.optimizers.SGD(0.2, momentum=0.9), loss=loss)
    ref.fit(x, y, batch_size=2 * B, epochs=3, shuffle=False, verbose=0)
    for name, other in (("fit", dist), ("loop", torch_style)):
        worst = max(float(np.max(np.abs(a - b) / (np.abs(b) + 1e-6)))
                    for a, b in zip(other.get_weights(), ref.get_weights()))
        changed = max(float(np.max(np.abs(a - b)))
                      for a, b in zip(ref.get_weights(), model().get_weights()))
        print("relative difference", name, worst, "change", changed, flush=True)
        for a, b in zip(other.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
print("equivalence ok", r, flush=True)
"""


def test_two_ranks_of_batch_b_equal_one_process_of_batch_2b(mpirun):
    done = mpirun(EQUIVALENCE)
    assert done.returncode == 0, done.stderr
    assert all("equivalence ok" in o for o in done.ranks)
    print(done.ranks[0])


def test_an_exception_on_one_rank_aborts_the_job(mpirun):
    done = mpirun("""
        import time, numpy as np
        import glassnet.distributed as hvd
        hvd.init()
        if hvd.rank() == 1:
            time.sleep(0.5)
            raise RuntimeError("rank one fails")
        hvd.allreduce(np.ones(3))  # waits for rank 1, which never comes
        print("rank 0 went on", flush=True)
        """, timeout=60)
    assert done.returncode != 0 and done.seconds < 30
    assert "RuntimeError: rank one fails" in done.stderr
    assert "aborting the job" in done.stderr and "rank 0 went on" not in done.ranks[0]


def test_a_collective_timeout_aborts_the_job(mpirun):
    done = mpirun("""
        import time, numpy as np
        import glassnet.distributed as hvd
        hvd.init(timeout=2)
        if hvd.rank() == 1:
            time.sleep(60)
        hvd.allreduce(np.ones(3), name="grads")
        """, timeout=60)
    assert done.returncode != 0 and done.seconds < 30
    assert "allreduce 'grads' on rank 0 waited more than 2 s" in done.stderr


RESUMABLE = """
import os, sys, time
import numpy as np, glassnet
import glassnet.distributed as hvd
from glassnet import keras
hvd.init()
r = hvd.rank()
open(f"pid-{r}", "w").write(str(os.getpid()))
pause_after = int(sys.argv[1])
glassnet.seed(r)
rng = np.random.default_rng(0)
x = rng.normal(size=(128, 4)).astype("float32")
y = (x[:, 0] > 0).astype("int64")
model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                          keras.layers.Dense(2)])
model.build((None, 4))
model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.Adam(1e-2)),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
def begin(epoch, logs):
    print("begin epoch", r, epoch, flush=True)
def end(epoch, logs):
    if epoch == pause_after:
        open(f"epoch-{epoch}-done-{r}", "w").close()
        time.sleep(120)  # the test kills a rank now
model.fit(*hvd.shard(x, y), batch_size=16, epochs=4, verbose=0, callbacks=[
    keras.callbacks.BackupAndRestore("backup"), hvd.BroadcastGlobalVariablesCallback(0),
    keras.callbacks.LambdaCallback(on_epoch_begin=begin, on_epoch_end=end)])
print("finished", r, flush=True)
"""


def test_kill_9_of_one_rank_ends_the_job_and_a_rerun_resumes(mpirun, tmp_path):
    script = mpirun.script(RESUMABLE)
    job = subprocess.Popen(mpirun.command(script, args=[1]), cwd=tmp_path, env=mpirun.env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not all((tmp_path / f"epoch-1-done-{r}").exists() for r in (0, 1)):
            assert job.poll() is None and time.monotonic() < deadline, "no epoch finished"
            time.sleep(0.1)
        assert (tmp_path / "backup" / "latest.backup.npz").exists()  # written by rank 0
        os.kill(int((tmp_path / "pid-1").read_text()), signal.SIGKILL)
        killed = time.monotonic()
        out, err = job.communicate(timeout=60)
        assert time.monotonic() - killed < 60
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    assert job.returncode != 0 and "finished" not in out
    assert "signal 9" in err or "Killed" in err, err
    done = mpirun(script, args=[-1])
    assert done.returncode == 0, done.stderr
    for r, out in enumerate(done.ranks):
        assert out == f"begin epoch {r} 2\nbegin epoch {r} 3\nfinished {r}\n"  # resumed at 2
    assert not (tmp_path / "backup").exists()  # removed by rank 0 at the end


@pytest.mark.skipif(fashion_mnist.find_files() is None or
                    not (ROOT / "examples" / "distributed_cnn.py").exists(),
                    reason="needs Debian's dataset-fashion-mnist and the examples folder")
def test_the_example_trains_on_two_ranks(mpirun, tmp_path):
    from glassnet import keras

    example = ROOT / "examples" / "distributed_cnn.py"
    done = mpirun(example, args=["--epochs", "1", "--samples", "1200", "--out", tmp_path / "out"],
                  timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.ranks[0].splitlines() if line.startswith("{")]
    assert len(lines) == 1 and done.ranks[1] == ""  # rank 0 alone prints
    result = json.loads(lines[0])
    assert result["ranks"] == 2 and result["samples_per_rank"] == 600
    assert result["test_accuracy"] > 0.4  # one epoch on 1,200 images (chance: 0.1)
    model = keras.models.load_model(tmp_path / "out" / "cnn.keras")
    assert type(model.optimizer).__name__ == "Adam"
    assert np.isfinite(model.predict(np.zeros((1, 28, 28, 1), "float32"), verbose=0)).all()
