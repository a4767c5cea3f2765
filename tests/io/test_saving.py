import json
import zipfile

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers

X = np.random.default_rng(0).random((32, 5)).astype(np.float32)
Y = np.arange(32) % 3


def trained_sequential():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                              layers.BatchNormalization(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=2, verbose=0)
    return model


def test_sequential_round_trip_with_optimizer_state(tmp_path):
    model = trained_sequential()
    path = tmp_path / "model.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert set(archive.namelist()) == {"config.json", "metadata.json", "model.weights.npz",
                                           "optimizer.npz"}
        meta = json.loads(archive.read("metadata.json"))
        assert meta["glassnet_version"] and meta["date_saved"]
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a, b)


def test_functional_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    a = keras.Input(shape=(5,), name="a")
    shared = layers.Dense(4, activation="relu")
    h = layers.Concatenate()([shared(a), shared(a)])  # one layer called twice
    model = keras.Model(a, layers.Dense(2)(h))
    path = tmp_path / "f.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert len(loaded.weights) == len(model.weights) == 4


def test_weights_round_trip_and_shape_mismatch(tmp_path):
    model = trained_sequential()
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    other = trained_sequential()
    other.set_weights([w * 0 for w in other.get_weights()])
    other.load_weights(path)
    for x, y in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(x, y)
    wrong = keras.Sequential([layers.Dense(7, input_shape=(5,)), layers.BatchNormalization(),
                              layers.Dense(3)])
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(5, 8\) in the file but "
                                         r"\(5, 7\) in the model"):
        wrong.load_weights(path)


def test_lambda_layers_cannot_be_saved(tmp_path):
    model = keras.Sequential([layers.Lambda(lambda x: x * 2, input_shape=(5,))])
    with pytest.raises(TypeError, match="cannot save layer 'lambda.*': its argument 'function' "
                                        "holds <function .*code rather than data.*registered "
                                        "Layer subclass"):
        model.save(tmp_path / "l.keras")
    assert not list(tmp_path.iterdir())


def _empty_npz():
    import io

    buffer = io.BytesIO()
    np.savez(buffer)
    return buffer.getvalue()


def test_unregistered_class_names_are_refused(tmp_path):
    path = tmp_path / "evil.keras"
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "os.system", "config": {"command": "echo hacked"}}]}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.npz", _empty_npz())
    with pytest.raises(ValueError, match=r"names the class 'os.system', which is not a "
                                         r"glassnet layer or model.*Nothing from the file is "
                                         r"imported or executed"):
        keras.models.load_model(path)
