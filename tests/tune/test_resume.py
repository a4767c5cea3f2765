"""A search as its users run it, in fresh processes: killed with SIGKILL and resumed, two
processes sharing one SQLite study, and 30 trials with flat memory."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

optuna = pytest.importorskip("optuna")

SCRIPT = textwrap.dedent('''
    import json, os, sys, time
    import numpy as np
    import glassnet.tune as keras_tuner
    from glassnet import keras

    directory, max_trials, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    hang_at = int(os.environ.get("HANG_AT_TRIAL", "-1"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 32)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    class Model(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential([keras.Input((32,)),
                                      keras.layers.Dense(hp.Int("units", 4, 256), "relu"),
                                      keras.layers.Dense(2, "softmax")])
            model.compile(keras.optimizers.Adam(hp.Float("lr", 1e-4, 1e-1, sampling="log")),
                          "sparse_categorical_crossentropy", metrics=["accuracy"])
            return model

        def fit(self, hp, model, *args, **kwargs):
            n = len(os.listdir(os.path.join(directory, "log")))
            with open(os.path.join(directory, "log", f"{os.getpid()}-{time.time_ns()}"), "w") as f:
                json.dump(hp.values, f)
            if n == hang_at:
                time.sleep(600)  # killed here
            time.sleep(pause)
            history = model.fit(*args, **kwargs)
            if os.environ.get("REPORT_RSS"):
                with open("/proc/self/statm") as f:
                    rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
                print("rss", rss, flush=True)
            return history

    tuner = keras_tuner.RandomSearch(Model(), objective="val_accuracy", max_trials=max_trials,
                                     directory=directory, project_name="shared",
                                     heartbeat_interval=1, grace_period=2)
    tuner.search(x[:192], y[:192], validation_data=(x[192:], y[192:]), epochs=1, verbose=0)
    print("done", len(tuner.oracle.trials), flush=True)
''')


def _run(tmp_path, *args, env=None, wait=True):
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    (tmp_path / "log").mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    if wait:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-3000:]
        return out
    return proc


def _study(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared' / 'study.db'}"
    return optuna.load_study(study_name="shared", storage=storage)


def test_a_search_killed_by_sigkill_resumes_and_reruns_the_lost_trial(tmp_path):
    proc = _run(tmp_path, 6, 0.0, env={"HANG_AT_TRIAL": "2"}, wait=False)
    deadline = time.time() + 120
    while len(os.listdir(tmp_path / "log")) < 3:  # the third trial has started (and hangs)
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read()[-3000:]
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    states = [t.state.name for t in _study(tmp_path).get_trials()]
    assert states == ["COMPLETE", "COMPLETE", "RUNNING"]
    killed = _study(tmp_path).get_trials()[2].params

    out = _run(tmp_path, 6, 0.0)
    assert out.strip().endswith("done 7"), [  # 6 trials and the dead one
        (t.number, t.state.name, t.user_attrs, t.system_attrs)
        for t in _study(tmp_path).get_trials()]
    trials = _study(tmp_path).get_trials()
    states = [t.state.name for t in trials]
    assert states.count("COMPLETE") == 6 and states.count("FAIL") == 1
    assert states[2] == "FAIL"  # the dead trial, failed by its missing heartbeat ...
    reruns = [t for t in trials if t.number > 2 and t.params == killed]
    assert len(reruns) == 1 and reruns[0].state.name == "COMPLETE"  # ... and run again


def test_two_processes_share_one_sqlite_study(tmp_path):
    first = _run(tmp_path, 8, 0.3, wait=False)
    # The first creates the study (two processes creating one SQLite schema at once race in
    # Optuna's migration step); the second starts once the first trial has begun, and loads it
    deadline = time.time() + 120
    while not os.listdir(tmp_path / "log"):
        assert first.poll() is None and time.time() < deadline, first.stderr.read()[-3000:]
        time.sleep(0.1)
    second = _run(tmp_path, 8, 0.3, wait=False)
    for proc in (first, second):
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-3000:]
    trials = _study(tmp_path).get_trials()
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(complete) == 8
    pids = {name.split("-")[0] for name in os.listdir(tmp_path / "log")}
    assert len(pids) == 2  # both processes ran trials
    assert len(os.listdir(tmp_path / "log")) == 8  # no trial ran twice


@pytest.mark.slow
def test_memory_stays_flat_over_30_trials(tmp_path):
    out = _run(tmp_path, 30, 0.0, env={"REPORT_RSS": "1"})
    rss = [int(line.split()[1]) for line in out.splitlines() if line.startswith("rss")]
    assert len(rss) == 30
    growth = rss[-1] - rss[9]
    print(f"RSS after trial 1/10/30: {rss[0] / 2**20:.1f} / {rss[9] / 2**20:.1f} / "
          f"{rss[-1] / 2**20:.1f} MiB")
    (tmp_path / "rss.json").write_text(json.dumps(rss))
    assert growth < 8 * 2**20, [r // 2**20 for r in rss]
