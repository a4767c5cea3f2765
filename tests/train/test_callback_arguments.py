"""Callback errors and warnings with Keras's wording (review fixes)."""

import io
import re
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import callbacks, layers

X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
Y = (X[:, 0] > 0).astype("int64")


def model():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def test_model_checkpoint_unknown_key_names_key_and_available_keys(tmp_path):
    path = str(tmp_path / "m_{nokey}.keras")
    with pytest.raises(KeyError, match=r"Failed to format this callback filepath: "
                                       r"\".*m_\{nokey\}.keras\". Reason: the key 'nokey' "
                                       r"is not in the logs; available keys: \['epoch', "
                                       r"'accuracy', 'loss'\]"):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])


def test_model_checkpoint_bad_format_spec(tmp_path):
    path = str(tmp_path / "m_{loss:d}.keras")
    with pytest.raises(ValueError, match=r"Failed to format this callback filepath: .*Reason: "
                                         r"ValueError: .*available keys"):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])


def test_model_checkpoint_keys_that_exist_still_format(tmp_path):
    path = str(tmp_path / "m_{epoch:02d}_{loss:.2f}.keras")
    model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    assert len(list(tmp_path.glob("m_01_*.keras"))) == 1


def test_model_checkpoint_filename_error_mentions_both_weight_suffixes():
    with pytest.raises(ValueError, match=r"must end in `.keras` \(Keras model format\) or "
                                         r"`.h5` \(legacy\); or use save_weights_only=True "
                                         r"with `.weights.h5` or `.weights.npz`"):
        callbacks.ModelCheckpoint("model")


@pytest.mark.parametrize("mode, start", [("min", "inf"), ("max", "-inf")])
def test_model_checkpoint_first_improvement_is_from_infinity(tmp_path, mode, start):
    ckpt = callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="loss",
                                     save_best_only=True, mode=mode, verbose=1)
    out = io.StringIO()
    with redirect_stdout(out):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[ckpt])
    assert f"loss improved from {start} to " in out.getvalue()
    assert "None" not in out.getvalue()


@pytest.mark.parametrize("returned, shown", [("x", "'x' (of type str)"),
                                             (None, "None (of type NoneType)"),
                                             ([0.1], "[0.1] (of type list)")])
def test_learning_rate_scheduler_non_number(returned, shown):
    sched = callbacks.LearningRateScheduler(lambda e: returned)
    with pytest.raises(TypeError, match=re.escape(f"LearningRateScheduler: the schedule "
                                                  f"returned {shown} for epoch 0; it must "
                                                  f"return a float learning rate")):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[sched])


def test_learning_rate_scheduler_accepts_numpy_numbers():
    m = model()
    m.fit(X, Y, epochs=1, verbose=0,
          callbacks=[callbacks.LearningRateScheduler(lambda e: np.float32(0.05))])
    assert m.optimizer.learning_rate == pytest.approx(0.05)


@pytest.mark.parametrize("make", [
    lambda folder: callbacks.EarlyStopping(monitor="nothing"),
    lambda folder: callbacks.ReduceLROnPlateau(monitor="nothing"),
    # Keras 3 warns and saves anyway, so the file goes to the test's folder
    lambda folder: callbacks.ModelCheckpoint(str(folder / "unused.keras"), monitor="nothing",
                                             save_best_only=True),
])
def test_missing_monitor_warning_points_at_the_fit_call(make, tmp_path):
    cb = make(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[cb])  # the line warned about
    relevant = [w for w in caught if "'nothing'" in str(w.message)]
    assert relevant, [str(w.message) for w in caught]
    assert relevant[0].filename == __file__
    assert "glassnet" not in relevant[0].filename.replace(__file__, "")
