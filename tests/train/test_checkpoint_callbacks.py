"""ModelCheckpoint as Keras 3: save_freq in batches counted across epochs, {epoch}/{batch}
in the path, every mode, the suffix rules and their error texts, atomic files."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest

from glassnet import keras

callbacks = keras.callbacks
X = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
Y = np.zeros((20, 2), "float32")


def model(seed=0):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    return m


class Feed(callbacks.Callback):
    """Puts a given value of 'score' in each epoch's logs."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]


def test_integer_save_freq_counts_batches_across_epochs(tmp_path):
    # 20 samples, batch 8: 3 batches an epoch; every 2 batches -> after global batches 2, 4, 6
    path = str(tmp_path / "m-{epoch}-{batch}.weights.npz")
    model().fit(X, Y, batch_size=8, epochs=2, verbose=0, shuffle=False,
                callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True,
                                                     save_freq=2)])
    # batch is 1-based within the epoch (Keras): epoch 1 batch 2, epoch 2 batch 1 and 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m-1-2.weights.npz", "m-2-1.weights.npz", "m-2-3.weights.npz"]


def test_integer_save_freq_saves_the_weights_of_that_batch(tmp_path):
    path = str(tmp_path / "b{batch}.keras")
    seen = {}
    m = model()
    m.fit(X, Y, batch_size=10, epochs=1, verbose=0, shuffle=False,
          callbacks=[callbacks.ModelCheckpoint(path, save_freq=1),
                     callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.setdefault(
                         b, m.get_weights()))])
    for batch in (0, 1):
        loaded = keras.models.load_model(str(tmp_path / f"b{batch + 1}.keras"))
        for a, b in zip(loaded.get_weights(), seen[batch]):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode, values, saved_at", [
    ("min", [3.0, 1.0, 2.0, 0.5], [1, 2, 4]),
    ("max", [3.0, 1.0, 4.0, 0.5], [1, 3]),
    ("auto", [3.0, 1.0, 2.0, 0.5], [1, 2, 4]),  # 'score' is not accuracy-like: min
])
def test_save_best_only_in_every_mode(tmp_path, mode, values, saved_at):
    path = str(tmp_path / "e{epoch}.weights.npz")
    ckpt = callbacks.ModelCheckpoint(path, monitor="score", mode=mode, save_best_only=True,
                                     save_weights_only=True)
    model().fit(X, Y, epochs=4, verbose=0, callbacks=[Feed(values), ckpt])
    assert sorted(int(p.name[1]) for p in tmp_path.iterdir()) == saved_at
    assert ckpt.best == (min if mode != "max" else max)(values)


def test_auto_mode_maximizes_accuracy_and_initial_threshold_must_be_beaten(tmp_path):
    assert callbacks.ModelCheckpoint("a.keras", monitor="val_accuracy").mode == "max"
    path = str(tmp_path / "e{epoch}.keras")
    ckpt = callbacks.ModelCheckpoint(path, monitor="score", save_best_only=True,
                                     initial_value_threshold=1.5)
    model().fit(X, Y, epochs=3, verbose=0, callbacks=[Feed([2.0, 1.0, 1.2]), ckpt])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e2.keras"]


def test_verbose_messages_as_keras(tmp_path):
    out = io.StringIO()
    with redirect_stdout(out):
        model().fit(X, Y, epochs=1, verbose=0,
                    callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), verbose=1)])
    text = out.getvalue()
    assert f"Epoch 1: saving model to {tmp_path / 'm.keras'}" in text
    assert f"Epoch 1: finished saving model to {tmp_path / 'm.keras'}" in text


def test_missing_monitor_warns_and_saves_as_keras_3(tmp_path):
    path = tmp_path / "m.keras"
    with pytest.warns(UserWarning, match="Can save best model only with 'nothing' available"):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(
            str(path), monitor="nothing", save_best_only=True)])
    assert path.exists()


def test_suffix_rules(tmp_path):
    callbacks.ModelCheckpoint("m.keras")
    callbacks.ModelCheckpoint("legacy.h5")  # Keras 3 accepts a legacy .h5 full save
    callbacks.ModelCheckpoint("w.weights.h5", save_weights_only=True)
    callbacks.ModelCheckpoint(tmp_path / "w.weights.npz", save_weights_only=True)
    with pytest.raises(ValueError, match=r"The filepath provided must end in `.keras` \(Keras "
                                         r"model format\) .*Received: filepath=model$"):
        callbacks.ModelCheckpoint("model")
    with pytest.raises(ValueError, match=r"When using `save_weights_only=True` in "
                                         r"`ModelCheckpoint`, the filepath provided must end "
                                         r"in `.weights.h5` .*Received: filepath=w.keras"):
        callbacks.ModelCheckpoint("w.keras", save_weights_only=True)


@pytest.mark.parametrize("save_freq, error, message", [
    ("banana", ValueError, r"Unrecognized save_freq: banana. Expected save_freq are 'epoch' "
                           r"or integer values"),
    (1.5, ValueError, "Unrecognized save_freq: 1.5"),
    (True, ValueError, "Unrecognized save_freq: True"),
    (0, ValueError, r"`save_freq` must be a positive integer. Received: save_freq=0"),
])
def test_bad_save_freq(save_freq, error, message):
    with pytest.raises(error, match=message):
        callbacks.ModelCheckpoint("m.keras", save_freq=save_freq)


def test_a_legacy_h5_full_save_loads_back(tmp_path):
    path = tmp_path / "m.h5"
    m = model()
    m.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    np.testing.assert_allclose(keras.models.load_model(str(path)).predict(X, verbose=0),
                               m.predict(X, verbose=0), rtol=1e-6)


def test_batch_key_only_in_batch_saves(tmp_path):
    with pytest.raises(KeyError, match=r"Failed to format this callback filepath: .*the key "
                                       r"'batch' is not in the logs"):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(
            str(tmp_path / "m{batch}.keras"))])


def test_folders_are_made_and_a_directory_path_is_refused(tmp_path):
    model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(
        str(tmp_path / "run" / "{epoch}" / "m.keras"))])
    assert (tmp_path / "run" / "1" / "m.keras").exists()
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(OSError, match="Please specify a non-directory filepath for "
                                      "ModelCheckpoint"):
        model().fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(
            str(tmp_path / "d.keras"))])
    assert not [p for p in tmp_path.rglob("*.tmp")]
