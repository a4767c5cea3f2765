"""glassnet reads back everything it writes: loss and metric objects, functions by name,
models of zeros, the shuffling generator; files get the usual permissions and interrupted
saves leave nothing behind once the next save runs."""

import json
import os
import stat
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from glassnet import keras

X = np.random.default_rng(0).random((64, 5)).astype(np.float32)
Y = np.arange(64) % 3


def model_compiled_with(**compile_args):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(5,)),
                              keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), **compile_args)
    return model


def run_python(code, *args):
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=os.getcwd())
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_loss_object_round_trips(tmp_path):
    model = model_compiled_with(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded._loss_spec, keras.losses.SparseCategoricalCrossentropy)
    assert loaded._loss_spec.get_config() == model._loss_spec.get_config()
    assert loaded._loss_spec.get_config()["from_logits"] is True
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0))


def test_metric_objects_save_and_checkpoint(tmp_path):
    model = model_compiled_with(
        loss="sparse_categorical_crossentropy",
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                 keras.metrics.SparseTopKCategoricalAccuracy(k=2), "accuracy"])
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt.keras"))
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[checkpoint])
    loaded = keras.models.load_model(tmp_path / "ckpt.keras")
    first, second, third = loaded._metrics_spec
    assert isinstance(first, keras.metrics.SparseCategoricalAccuracy) and first.name == "acc"
    assert second.get_config()["k"] == 2 and third == "accuracy"
    np.testing.assert_allclose(loaded.evaluate(X, Y, verbose=0),
                               model.evaluate(X, Y, verbose=0), rtol=1e-6)


def test_builtin_functions_as_loss_and_metric_are_saved_by_name(tmp_path):
    model = model_compiled_with(loss=keras.losses.mean_squared_error,
                                metrics=[keras.metrics.sparse_categorical_accuracy])
    model.save(tmp_path / "f.keras")
    with zipfile.ZipFile(tmp_path / "f.keras") as z:
        cc = json.loads(z.read("config.json"))["compile_config"]
    assert cc["loss"] == "mean_squared_error"
    assert cc["metrics"] == ["sparse_categorical_accuracy"]
    assert keras.models.load_model(tmp_path / "f.keras").compiled


USER_LOSS_SAVER = r"""
import sys, numpy as np
from glassnet import keras

def my_loss(y_true, y_pred):
    return keras.losses.mean_squared_error(y_true, y_pred) * 2

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.layers.Dense(3, input_shape=(5,))])
model.compile(optimizer="sgd", loss=my_loss, metrics=[my_loss])
model.save(sys.argv[1])
"""

USER_LOSS_LOADER = r"""
import sys
from glassnet import keras
try:
    keras.models.load_model(sys.argv[1])
except ValueError as err:
    print("refused:", err)

def my_loss(y_true, y_pred):
    return keras.losses.mean_squared_error(y_true, y_pred) * 2

model = keras.models.load_model(sys.argv[1], custom_objects={"my_loss": my_loss})
print("loaded:", model._loss_spec is my_loss, model._metrics_spec[0] is my_loss)
"""


def test_a_user_function_loss_is_saved_by_name_and_needs_custom_objects(tmp_path):
    path = tmp_path / "u.keras"
    run_python(USER_LOSS_SAVER, path)
    with zipfile.ZipFile(path) as z:
        cc = json.loads(z.read("config.json"))["compile_config"]
    assert cc["loss"] == {"class_name": "function", "config": "my_loss"}
    out = run_python(USER_LOSS_LOADER, path)
    assert f"refused: {path}: the model was compiled with the loss function 'my_loss'" in out
    assert "custom_objects={'my_loss': my_loss}" in out
    assert "loaded: True True" in out


def test_a_model_of_zeros_loads(tmp_path):
    model = keras.Sequential([keras.layers.Dense(4096, kernel_initializer="zeros",
                                                 input_shape=(4096,))])
    model.save(tmp_path / "zeros.keras")  # 64 MiB of zeros deflate about 1000 times
    assert os.path.getsize(tmp_path / "zeros.keras") < 1 << 20
    loaded = keras.models.load_model(tmp_path / "zeros.keras")
    assert not loaded.get_weights()[0].any() and loaded.count_params() == 4096 * 4097


def test_nan_weights_give_a_warning_naming_the_weight(tmp_path):
    model = model_compiled_with(loss="mse")
    weights = model.get_weights()
    weights[1][0] = np.nan
    model.set_weights(weights)
    model.save(tmp_path / "nan.keras")
    with pytest.warns(RuntimeWarning, match=r"nan.keras: weight 'bias' holds NaN or infinite"):
        keras.models.load_model(tmp_path / "nan.keras")
    model.save_weights(tmp_path / "nan.weights.npz")
    with pytest.warns(RuntimeWarning, match=r"nan.weights.npz: weight 'bias' holds NaN"):
        model.load_weights(tmp_path / "nan.weights.npz")


def test_saved_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        model = model_compiled_with(loss="mse")
        model.save(tmp_path / "p.keras")
        model.save_weights(tmp_path / "p.weights.npz")
        model.save_weights(tmp_path / "p.weights.h5")
        for name in ("p.keras", "p.weights.npz", "p.weights.h5"):
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o644, name
        os.chmod(tmp_path / "p.keras", 0o600)  # an existing file keeps its permissions
        model.save(tmp_path / "p.keras")
        assert stat.S_IMODE(os.stat(tmp_path / "p.keras").st_mode) == 0o600
    finally:
        os.umask(old)


def test_temporaries_of_an_interrupted_save_are_removed_by_the_next(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".m.keras.{dead.pid}.abcd1234.tmp"
    stale.write_bytes(b"half a model")
    live = tmp_path / f".m.keras.{os.getppid()}.abcd1234.tmp"  # a save still running
    live.write_bytes(b"being written")
    other = tmp_path / f".n.keras.{dead.pid}.abcd1234.tmp"  # another file's
    other.write_bytes(b"not ours")
    model_compiled_with(loss="mse").save(tmp_path / "m.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.keras", live.name,
                                                                 other.name])


def test_temporaries_left_by_sigkill_go_on_the_next_save(tmp_path):
    code = r"""
import os, signal, sys
from glassnet import keras
from glassnet import files as atomic
model = keras.Sequential([keras.layers.Dense(3, input_shape=(5,))])
real = atomic.os.replace
def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)
atomic.os.replace = die
model.save(sys.argv[1])
"""
    path = tmp_path / "k.keras"
    done = subprocess.run([sys.executable, "-c", code, str(path)], timeout=300)
    assert done.returncode == -9
    assert [p.name.endswith(".tmp") for p in tmp_path.iterdir()] == [True]
    model_compiled_with(loss="mse").save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["k.keras"]


# -- resuming fit(shuffle=True) in a new process ------------------------------------------
# fit shuffles with ``model._shuffle_rng``, a PCG64 Generator created on the first fit and
# reused after; saving stores its state and loading restores it, so a resumed fit draws the
# same orders as an uninterrupted one.

RESUME = r"""
import sys, numpy as np
from glassnet import keras
mode, path = sys.argv[1], sys.argv[2]
x = np.random.default_rng(0).random((64, 5)).astype(np.float32)
y = np.arange(64) % 3
def fresh():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(5,)),
                          keras.layers.Dropout(0.0), keras.layers.Dense(3)])
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m
if mode == "whole":
    m = fresh(); m.fit(x, y, epochs=2, batch_size=8, shuffle=True, verbose=0)
elif mode == "first":
    m = fresh(); m.fit(x, y, epochs=1, batch_size=8, shuffle=True, verbose=0)
    print("has_rng", getattr(m, "_shuffle_rng", None) is not None)
    m.save(path)
    raise SystemExit
else:
    keras.utils.set_random_seed(12345)  # a new process seeds differently: must not matter
    m = keras.models.load_model(path)
    m.fit(x, y, epochs=1, batch_size=8, shuffle=True, verbose=0)
np.savez(path + "." + mode + ".npz", *m.get_weights())
"""


def test_a_resumed_shuffled_fit_in_a_new_process_continues_exactly(tmp_path):
    path = str(tmp_path / "resume.keras")
    run_python(RESUME, "whole", path)
    first = run_python(RESUME, "first", path)
    assert "has_rng True" in first, "fit must shuffle with model._shuffle_rng"
    with zipfile.ZipFile(path) as z:
        assert json.loads(z.read("metadata.json"))["shuffle_rng"]["bit_generator"] == "PCG64"
    run_python(RESUME, "resumed", path)
    whole, resumed = np.load(path + ".whole.npz"), np.load(path + ".resumed.npz")
    for key in whole.files:
        np.testing.assert_array_equal(whole[key], resumed[key])


def test_the_shuffling_generator_state_round_trips(tmp_path):
    model = model_compiled_with(loss="mse")
    model._shuffle_rng = np.random.Generator(np.random.PCG64(7))
    model._shuffle_rng.integers(10, size=3)
    model._shuffle_rng.integers(2**32, dtype=np.uint32)  # leaves a buffered half word
    model.save(tmp_path / "r.keras")
    loaded = keras.models.load_model(tmp_path / "r.keras")
    assert loaded._shuffle_rng.bit_generator.state == model._shuffle_rng.bit_generator.state
    assert loaded._shuffle_rng.permutation(50).tolist() == \
        model._shuffle_rng.permutation(50).tolist()
