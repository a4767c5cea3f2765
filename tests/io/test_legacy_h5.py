"""Keras 2's HDF5 layout: files written by tf.keras 2 and Keras 3 (fixtures, made by
fixtures/legacy_h5/make_fixtures.py) load with the same predictions; glassnet's .h5 files
load back; hostile files are refused."""

import glob
import importlib.util
import os

import h5py
import numpy as np
import pytest

from glassnet import keras
from glassnet.io import UnsafeFileError
from glassnet.keras import saving

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "legacy_h5")
_spec = importlib.util.spec_from_file_location("make_fixtures",
                                               os.path.join(HERE, "make_fixtures.py"))
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)
FILES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, "*_k?.h5")))


def _inputs(name):
    xs = [np.load(p) for p in sorted(glob.glob(os.path.join(HERE, f"{name}.x*.npy")))]
    return xs if len(xs) > 1 else xs[0]


def test_every_fixture_is_present():
    assert len(FILES) == 8


@pytest.mark.parametrize("filename", FILES)
def test_keras_written_files_predict_the_same(filename):
    name = filename.rsplit("_", 1)[0]
    model = keras.models.load_model(os.path.join(HERE, filename))
    expected = np.load(os.path.join(HERE, filename[:-3] + ".y.npy"))
    np.testing.assert_allclose(model.predict(_inputs(name), verbose=0), expected, atol=1e-5)


@pytest.mark.parametrize("writer", ["k2", "k3"])
def test_training_config_compiles_the_model(writer):
    model = saving.load_model(os.path.join(HERE, f"mlp_{writer}.h5"))
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert not keras.models.load_model(os.path.join(HERE, f"mlp_{writer}.h5"),
                                       compile=False).compiled


@pytest.mark.parametrize("name", ["mlp", "cnn"])
@pytest.mark.parametrize("by_name", [False, True])
def test_weights_only_files_load_into_the_same_architecture(name, by_name):
    model = make_fixtures.build(keras, name)
    keras.backend.clear_session()  # layer names as tf.keras numbered them
    path = os.path.join(HERE, f"{name}_k2.weights-only.h5")
    if by_name:
        with h5py.File(path) as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
        for layer, saved in zip([lay for lay in model.layers if lay.weights],
                                [n for n in names if n.startswith(("dense", "conv", "batch"))]):
            layer.name = saved
    model.load_weights(path, by_name=by_name)
    expected = np.load(os.path.join(HERE, f"{name}_k2.y.npy"))
    np.testing.assert_allclose(model.predict(_inputs(name), verbose=0), expected, atol=1e-5)


def test_layer_count_mismatch_is_keras_s_error():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8)])
    with pytest.raises(ValueError, match="Layer count mismatch when loading weights from "
                                         "file. Model expected 1 layers, found 2 saved"):
        model.load_weights(os.path.join(HERE, "mlp_k2.weights-only.h5"))


def test_shape_mismatch_raises_or_is_skipped():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="a"),
                              keras.layers.Dense(5, name="b")])
    path = os.path.join(HERE, "mlp_k2.weights-only.h5")
    with pytest.raises(ValueError, match=r"layer 'b': the file holds 2 weights of shapes "
                                         r"\[\(8, 3\), \(3,\)\]"):
        model.load_weights(path)
    before = model.layers[1].get_weights()[0].copy()
    with pytest.warns(UserWarning, match="Skipping loading weights for layer #b"):
        model.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], before)
    assert not np.allclose(model.layers[0].get_weights()[0], 0)


def _two_input_model():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    y = keras.layers.Dense(1)(keras.layers.Concatenate()([keras.layers.Dense(4)(a), b]))
    return keras.Model([a, b], y)


@pytest.mark.parametrize("suffix", [".h5", ".hdf5"])
def test_glassnet_h5_round_trip(tmp_path, suffix):
    model = _two_input_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    xs = [np.ones((2, 3), "float32"), np.ones((2, 2), "float32")]
    path = tmp_path / f"m{suffix}"
    model.save(path)
    with h5py.File(path) as f:
        assert f.attrs["backend"] and f.attrs["keras_version"]
        assert "model_config" in f.attrs and "training_config" in f.attrs
        group = f["model_weights"]
        dense = next(layer.name for layer in model.layers if layer.weights)
        assert list(group[dense].attrs["weight_names"]) == [f"{dense}/kernel:0".encode(),
                                                           f"{dense}/bias:0".encode()]
        assert group[dense][f"{dense}/kernel:0"].shape == (3, 4)
    loaded = keras.models.load_model(path)
    assert loaded.compiled and type(loaded.optimizer).__name__ == "SGD"
    np.testing.assert_allclose(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_save_weights_h5_is_the_keras_2_layout(tmp_path):
    model = make_fixtures.build(keras, "cnn")
    make_fixtures.set_weights(model, 3)
    path = tmp_path / "w.h5"
    model.save_weights(path)
    with h5py.File(path) as f:
        assert "layer_names" in f.attrs and "model_config" not in f.attrs
    other = make_fixtures.build(keras, "cnn")
    other.load_weights(path)
    x = _inputs("cnn")
    np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_save_without_suffix_points_to_keras(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"Invalid filepath extension for saving. Please add "
                                         r"either a `.keras` extension"):
        model.save(str(tmp_path / "dir"))
    with pytest.raises(ValueError, match=r"not supported: \['foo'\]"):
        keras.models.save_model(model, str(tmp_path / "m.h5"), foo=1)
    model.save(str(tmp_path / "m.h5"))
    with pytest.raises(FileExistsError):
        model.save(str(tmp_path / "m.h5"), overwrite=False)


def test_weights_only_file_is_not_a_model():
    with pytest.raises(ValueError, match="No model config found"):
        keras.models.load_model(os.path.join(HERE, "mlp_k2.weights-only.h5"))


def _copy(tmp_path, name="mlp_k2.h5"):
    path = tmp_path / name
    path.write_bytes(open(os.path.join(HERE, name), "rb").read())
    return path


def test_soft_and_external_links_are_refused(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights/dense/dense"]
        del group["kernel:0"]
        group["kernel:0"] = h5py.SoftLink("/model_weights/dense/dense/bias:0")
    with pytest.raises(UnsafeFileError, match="is a link"):
        keras.models.load_model(path)
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights/dense"]
        del group["dense"]
        group["dense"] = h5py.ExternalLink("/etc/passwd", "/x")
    with pytest.raises(UnsafeFileError, match="is a link"):
        keras.models.load_model(path)


def test_unknown_filters_and_external_storage_are_refused(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights/dense/dense"]
        data = group["bias:0"][()]
        del group["bias:0"]
        (tmp_path / "raw").write_bytes(data.tobytes())
        group.create_dataset("bias:0", shape=data.shape, dtype=data.dtype,
                             external=[(str(tmp_path / "raw"), 0, data.nbytes)])
    with pytest.raises(UnsafeFileError, match="external files"):
        keras.models.load_model(path)


def test_hostile_model_configs_are_refused(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = '{"class_name": "Sequential", "class_name": "os.system"}'
    with pytest.raises(UnsafeFileError, match="appears twice"):
        keras.models.load_model(path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = ('{"class_name": "Sequential", "config": {"layers": '
                                   '[{"class_name": "EvilLayer", "config": {}}]}}')
    with pytest.raises(ValueError, match="'EvilLayer', which is not a glassnet layer"):
        keras.models.load_model(path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = ('{"class_name": "Sequential", "config": {"layers": '
                                   '[{"class_name": "Dense", "config": {"units": 100000000, '
                                   '"batch_input_shape": [null, 4000]}}]}}')
    with pytest.raises(UnsafeFileError, match="more weights than the file holds"):
        keras.models.load_model(path)


def test_lambda_layers_are_refused(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = (
            '{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", '
            '"config": {"function": ["4wEAAAAAAAAA", null, null], "function_type": "lambda", '
            '"batch_input_shape": [null, 4]}}]}}')
    with pytest.raises(ValueError, match="Lambda.*code"):
        keras.models.load_model(path)


def test_unsupported_keras_arguments_are_named(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as f:
        config = f.attrs["model_config"]
        f.attrs["model_config"] = config.replace('"kernel_constraint": null',
                                                 '"kernel_constraint": "non_neg"', 1)
    with pytest.raises(ValueError, match=r"layer 'dense' \(Dense\): the config sets "
                                         r"kernel_constraint='non_neg'"):
        keras.models.load_model(path)
