import csv
import io
import struct
from contextlib import redirect_stdout

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import callbacks, layers

RNG = np.random.default_rng(1)
X = RNG.random((64, 4)).astype(np.float32)
Y = (X.sum(1) > 2).astype(np.int64)


def model(lr=0.01, seed=0):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                          layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def test_hooks_are_called_in_keras_order():
    calls = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"))
    model().fit(X, Y, epochs=2, batch_size=32, callbacks=[cb], verbose=0)
    assert calls == ["train_begin", "epoch_begin 0", "batch_end 0", "batch_end 1",
                     "epoch_end 0 ['accuracy', 'loss']", "epoch_begin 1", "batch_end 0",
                     "batch_end 1", "epoch_end 1 ['accuracy', 'loss']", "train_end"]
    with pytest.raises(ValueError, match="unknown hook 'on_epoch'"):
        callbacks.LambdaCallback(on_epoch=print)


def test_keras2_batch_hook_names_still_work():
    seen = []

    class Old(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    model().fit(X, Y, epochs=1, batch_size=32, callbacks=[Old()], verbose=0)
    assert seen == [0, 1]


def test_history():
    history = model().fit(X, Y, epochs=3, verbose=0, validation_split=0.25)
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())


class Feed(callbacks.Callback):
    """Puts a prepared value of the monitored quantity into each epoch's logs."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key = values, key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def test_early_stopping_patience_and_restore_best_weights():
    m = model()
    snapshots = []
    keep = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(
        m.get_weights()))
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = m.fit(X, Y, epochs=10, verbose=0,
                    callbacks=[Feed([1.0, 0.5, 0.7, 0.6, 0.4]), keep, stop])
    assert history.epoch == [0, 1, 2, 3] and stop.stopped_epoch == 3 and stop.best_epoch == 1
    for restored, best in zip(m.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_min_delta_mode_baseline_start_from_epoch():
    stop = callbacks.EarlyStopping(monitor="val_accuracy", min_delta=0.05, patience=1)
    assert stop.mode == "max"
    h = model().fit(X, Y, epochs=10, verbose=0,
                    callbacks=[Feed([0.5, 0.52, 0.53, 0.9], "val_accuracy"), stop])
    assert h.epoch == [0, 1]
    # Never beating the baseline, the first epoch does not reset the patience count.
    values = [0.5, 0.6, 0.7, 0.8, 0.9]
    stop = callbacks.EarlyStopping(monitor="val_loss", baseline=0.3, patience=2)
    h = model().fit(X, Y, epochs=5, verbose=0, callbacks=[Feed(values), stop])
    assert h.epoch == [0, 1]
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2)
    h = model().fit(X, Y, epochs=5, verbose=0, callbacks=[Feed(values), stop])
    assert h.epoch == [0, 1, 2]
    stop = callbacks.EarlyStopping(patience=0, start_from_epoch=3)
    h = model().fit(X, Y, epochs=10, verbose=0, callbacks=[Feed([1, 2, 3, 4, 5, 6]), stop])
    assert h.epoch == [0, 1, 2, 3, 4]


def test_model_checkpoint_best_only_and_weights_only(tmp_path):
    path = str(tmp_path / "best.keras")
    m = model()
    ckpt = callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    m.fit(X, Y, epochs=4, verbose=0, callbacks=[Feed([0.9, 0.5, 0.8, 0.7]), ckpt])
    assert ckpt.best == 0.5
    loaded = keras.models.load_model(path)
    assert len(loaded.get_weights()) == 4
    wpath = str(tmp_path / "w-{epoch:02d}.weights.npz")
    m.fit(X, Y, epochs=2, verbose=0,
          callbacks=[callbacks.ModelCheckpoint(wpath, save_weights_only=True)])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("w-")) == [
        "w-01.weights.npz", "w-02.weights.npz"]
    other = model(seed=5)
    other.load_weights(str(tmp_path / "w-02.weights.npz"))
    for a, b in zip(other.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(ValueError, match="must end in `.keras`"):
        callbacks.ModelCheckpoint(str(tmp_path / "model"))


def test_learning_rate_scheduler_and_reduce_on_plateau():
    m = model(lr=0.1)
    rates = []
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    record = callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: rates.append(m.optimizer.learning_rate))
    history = m.fit(X, Y, epochs=3, verbose=0, callbacks=[sched, record])
    assert rates == pytest.approx([0.05, 0.025, 0.0125])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    m = model(lr=1.0)
    plateau = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                          min_lr=0.2)
    m.fit(X, Y, epochs=6, verbose=0,
          callbacks=[Feed([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), plateau])
    assert m.optimizer.learning_rate == pytest.approx(0.2)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow is the point here
def test_terminate_on_nan_names_the_layer():
    m = model(lr=1e30)  # the first update blows the weights up
    out = io.StringIO()
    stop = callbacks.TerminateOnNaN()
    with redirect_stdout(out):
        history = m.fit(X, Y, epochs=5, batch_size=8, verbose=0, callbacks=[stop])
    assert len(history.epoch) == 1
    assert "Invalid loss, terminating training" in out.getvalue()
    assert stop.report.startswith(f"the output of layer '{m.layers[0].name}' (Dense)") or \
        stop.report.startswith(f"the output of layer '{m.layers[1].name}' (Dense)")
    bad = model()
    bad.layers[0].kernel.data[0, 0] = np.inf
    with redirect_stdout(io.StringIO()):
        bad.fit(X, Y, epochs=1, verbose=0, callbacks=[stop2 := callbacks.TerminateOnNaN()])
    assert stop2.report == f"the output of layer '{bad.layers[0].name}' (Dense) became " \
                           f"non-finite"


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    model().fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.CSVLogger(str(path))])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and set(rows[0]) == {
        "epoch", "accuracy", "loss"}
    model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(str(path),
                                                                          append=True)])
    assert len(list(csv.DictReader(open(path)))) == 4


def _read_events(folder):
    """Parse TFRecord-framed Event protos (length, crc, data, crc) from event files."""
    from tensorboardX.proto import event_pb2

    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos:pos + 8])
            event = event_pb2.Event()
            event.ParseFromString(data[pos + 12:pos + 12 + length])
            events.append(event)
            pos += 12 + length + 4
    return events


def test_tensorboard_writes_scalars_and_histograms(tmp_path):
    pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
    tb = callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1)
    model().fit(X, Y, epochs=2, verbose=0, validation_split=0.25, callbacks=[tb])
    train = _read_events(tmp_path / "train")
    val = _read_events(tmp_path / "validation")
    scalars = {(v.tag, e.step) for e in train for v in e.summary.value
               if v.HasField("simple_value")}
    assert {("epoch_loss", 0), ("epoch_loss", 1), ("epoch_accuracy", 1)} <= scalars
    val_tags = {v.tag for e in val for v in e.summary.value}
    assert {"epoch_loss", "epoch_accuracy"} <= val_tags
    histos = {v.tag for e in train for v in e.summary.value if v.HasField("histo")}
    assert any(t.endswith("/kernel") for t in histos)
    assert any(t.endswith("/kernel/gradient") for t in histos)


# -- ProgbarLogger ------------------------------------------------------------------------------

FIT_SCRIPT = """
import sys
import numpy as np
{before}
from glassnet import keras
rng = np.random.default_rng(0)
x = rng.random((256, 4)).astype("float32")
y = (x.sum(1) > 2).astype("int64")
model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                          keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25{verbose})
"""


def _run_fit(before="", verbose="", env=None, **popen):
    import os
    import subprocess
    import sys

    code = FIT_SCRIPT.format(before=before, verbose=verbose)
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=120, check=True, **popen)


def _epoch_lines(text):
    return [line for line in text.splitlines() if "val_loss" in line]


@pytest.mark.parametrize("verbose", ["", ", verbose=1", ", verbose=2"])
def test_progbar_to_a_pipe_prints_one_clean_line_per_epoch(verbose):
    pytest.importorskip("tqdm", reason="the bar is drawn by tqdm (the [progress] extra)")
    out = _run_fit(verbose=verbose).stdout  # stdout is a pipe: no bar, whatever the verbose
    assert "\r" not in out
    lines = _epoch_lines(out)
    assert len(lines) == 3, out
    assert all(line.startswith("12/12 - ") and "val_accuracy: " in line for line in lines)
    assert [line for line in out.splitlines() if line.startswith("Epoch")] == \
        ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]


def test_progbar_without_tqdm_prints_the_epoch_lines():
    out = _run_fit(before="sys.modules['tqdm'] = None  # as if the extra were absent").stdout
    assert "\r" not in out and len(_epoch_lines(out)) == 3


def _run_in_terminal(columns, verbose=""):
    """Run the fit with its output on a pseudo-terminal ``columns`` wide; return the text."""
    import fcntl
    import os
    import pty
    import subprocess
    import sys
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    code = FIT_SCRIPT.format(before="", verbose=verbose)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=slave, stderr=slave,
                            env={**os.environ, "COLUMNS": str(columns)})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode()


def test_progbar_on_a_terminal_draws_a_bar_then_a_closing_line():
    pytest.importorskip("tqdm", reason="the bar is drawn by tqdm (the [progress] extra)")
    out = _run_in_terminal(200)
    assert "\r" in out and "/step" in out  # redrawn in place
    closing = [line.split("\r")[-1] for line in out.split("\r\n") if "val_loss" in line]
    assert len(closing) == 3 and all(line.startswith("12/12 ") for line in closing)


def test_progbar_on_a_narrow_terminal_wraps_instead_of_dropping_metrics():
    pytest.importorskip("tqdm", reason="the bar is drawn by tqdm (the [progress] extra)")
    out = _run_in_terminal(40)
    pieces = [p for line in out.split("\r\n") for p in line.split("\r")]
    assert max(len(p) for p in pieces) <= 40
    assert out.count("val_loss: ") == 3 and out.count("val_accuracy: ") == 3


def test_progbar_lines_are_wrapped_at_the_separators():
    from glassnet.train.callbacks.progbar import _wrap

    line = "12/12 - 0s 3ms/step - accuracy: 0.5000 - loss: 0.6931 - val_loss: 0.7000"
    assert _wrap(line, 100) == line
    wrapped = _wrap(line, 40).splitlines()
    assert wrapped == ["12/12 - 0s 3ms/step - accuracy: 0.5000",
                       "    loss: 0.6931 - val_loss: 0.7000"]
