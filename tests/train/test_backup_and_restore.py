"""BackupAndRestore: a run killed with SIGKILL resumes where its backup left it, and ends with
the weights of a run that was never interrupted (same seed, shuffled batches, dropout)."""

import json
import os
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from glassnet import keras

WORKER = os.path.join(os.path.dirname(__file__), "backup_worker.py")


def run(*args):
    return subprocess.run([sys.executable, WORKER, *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def weights(path):
    with np.load(path) as f:
        return [f[k] for k in f.files if k != "epochs"], list(f["epochs"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    done = run(folder / "backup", folder / "out.npz", 6)
    assert done.returncode == 0, done.stderr
    assert not (folder / "backup").exists()
    return weights(folder / "out.npz")


def test_a_killed_run_resumes_at_its_epoch_and_ends_as_an_uninterrupted_one(tmp_path,
                                                                             reference):
    backup = tmp_path / "backup"
    killed = run(backup, tmp_path / "unused.npz", 6, "die-after-epoch", 3)
    assert killed.returncode == -signal.SIGKILL
    assert os.listdir(backup) == ["latest.backup.npz"]
    resumed = run(backup, tmp_path / "out.npz", 6)
    assert resumed.returncode == 0, resumed.stderr
    final, epochs = weights(tmp_path / "out.npz")
    assert epochs == [3, 4, 5]  # epochs 0-2 were done before the kill
    for a, b in zip(final, reference[0]):
        np.testing.assert_array_equal(a, b)
    assert not backup.exists()  # deleted once training ended normally


def test_a_kill_while_writing_leaves_the_previous_backup(tmp_path, reference):
    backup = tmp_path / "backup"
    killed = run(backup, tmp_path / "unused.npz", 6, "die-writing", 2)
    assert killed.returncode == -signal.SIGKILL
    names = sorted(os.listdir(backup))
    assert names[1] == "latest.backup.npz" and names[0].endswith(".tmp")  # half a file
    with zipfile.ZipFile(backup / "latest.backup.npz") as z:  # the whole epoch-1 backup
        meta = json.loads(np.load(z.open("metadata.npy")).tobytes())
    assert meta["epoch"] == 1
    resumed = run(backup, tmp_path / "out.npz", 6)
    assert resumed.returncode == 0, resumed.stderr
    final, epochs = weights(tmp_path / "out.npz")
    assert epochs == [1, 2, 3, 4, 5]
    for a, b in zip(final, reference[0]):
        np.testing.assert_array_equal(a, b)
    assert not backup.exists()


def _model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


X, Y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")


def test_integer_save_freq_backs_up_mid_epoch_and_resumes_at_that_epoch(tmp_path):
    backup = tmp_path / "b"

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == 7:  # epoch 1 (4 batches an epoch), batch 2
                raise KeyboardInterrupt

    at_backup = []

    class Keep(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == 6:  # the backup's batch
                at_backup.extend(self.model.get_weights())

        def on_train_begin(self, logs=None):
            restored.extend(self.model.get_weights())

    restored = []
    cb = keras.callbacks.BackupAndRestore(str(backup), save_freq=3, delete_checkpoint=False)
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y, batch_size=2, epochs=4, verbose=0, callbacks=[cb, Keep(), Stop()])
    restored.clear()
    again = _model()
    history = again.fit(X, Y, batch_size=2, epochs=2, verbose=0,
                        callbacks=[keras.callbacks.BackupAndRestore(str(backup)), Keep()])
    assert history.epoch == [1]  # Keras: a mid-epoch backup resumes at its epoch's start
    for a, b in zip(restored, at_backup):
        np.testing.assert_array_equal(a, b)
    assert again.optimizer.iterations == 6 + 4
    assert not backup.exists()


def test_double_checkpoint_keeps_the_previous_backup_and_falls_back_to_it(tmp_path):
    backup = tmp_path / "b"
    cb = keras.callbacks.BackupAndRestore(backup, double_checkpoint=True,
                                          delete_checkpoint=False)
    _model().fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    assert sorted(os.listdir(backup)) == ["latest.backup.npz", "latest.backup.npz.bkp"]
    (backup / "latest.backup.npz").write_bytes(b"not a zip")
    history = _model().fit(X, Y, epochs=3, verbose=0,
                           callbacks=[keras.callbacks.BackupAndRestore(backup)])
    assert history.epoch == [1, 2]  # the previous backup is the end of epoch 0


def test_a_backup_of_another_model_is_refused(tmp_path):
    cb = keras.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    _model().fit(X, Y, epochs=1, verbose=0, callbacks=[cb])
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"weight '.*' has shape \(3, 2\) .* in the backup but "
                                         r"\(3, 5\)"):
        other.fit(X, np.zeros((8, 5)), epochs=2, verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(tmp_path)])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"backup_dir": ""}, ValueError, "Empty `backup_dir` argument passed"),
    ({"backup_dir": None}, ValueError, "Empty `backup_dir` argument passed"),
    ({"backup_dir": "b", "save_freq": "banana"}, ValueError,
     r"Invalid value for argument `save_freq`. Received: save_freq=banana. Expected either "
     r"'epoch' or an integer value."),
    ({"backup_dir": "b", "save_freq": 0}, ValueError, "save_freq=0"),
    ({"backup_dir": 3}, TypeError, r"backup_dir must be a path .* Received: backup_dir=3"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        keras.callbacks.BackupAndRestore(**kwargs)


def test_backup_and_restore_needs_a_backup_dir():
    with pytest.raises(TypeError, match="backup_dir"):
        keras.callbacks.BackupAndRestore()
