"""Sparse saving: bit-exact round trips, files that shrink with the sparsity, which
encoding each weight gets, and files save_sparse could not have written refused."""

import gzip
import io
import json
import os
import zipfile

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.compress.pruning import (
    ConstantSparsity,
    load_sparse,
    prune_low_magnitude,
    save_sparse,
)
from glassnet.compress.pruning.sparse_format import sparse_weights
from glassnet.io import UnsafeFileError


def sparse_mlp(sparsity, seed=0):
    glassnet.seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
    for layer in model.layers:
        kernel = layer.kernel.numpy()
        kernel[np.abs(kernel) < np.quantile(np.abs(kernel), sparsity)] = 0.0
        layer.kernel.assign(kernel)
    return model


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NaN in the matmul
def test_round_trip_is_bit_exact_with_negative_zero_and_nan(tmp_path):
    model = sparse_mlp(0.8)
    kernel = model.layers[1].kernel.numpy()
    kernel[0, :3] = [-0.0, np.nan, np.inf]
    model.layers[1].kernel.assign(kernel)
    save_sparse(model, tmp_path / "m.sparse")
    loaded = load_sparse(tmp_path / "m.sparse")
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
    x = np.random.default_rng(0).normal(size=(4, 64)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_the_file_shrinks_with_the_sparsity(tmp_path):
    sizes, keras_sizes = {}, {}
    for sparsity in (0.0, 0.5, 0.8, 0.9):
        model = sparse_mlp(sparsity)
        save_sparse(model, tmp_path / f"{sparsity}.sparse")
        model.save(tmp_path / f"{sparsity}.keras")
        sizes[sparsity] = os.path.getsize(tmp_path / f"{sparsity}.sparse")
        keras_sizes[sparsity] = len(gzip.compress((tmp_path / f"{sparsity}.keras").read_bytes()))
    assert sizes[0.0] < 1.05 * keras_sizes[0.0]
    assert sizes[0.9] < sizes[0.8] < sizes[0.5] < sizes[0.0]
    # 4 bytes per nonzero plus a bit per weight: about 0.2 + 1/32 of the dense size at 80 %
    assert sizes[0.8] < 0.3 * keras_sizes[0.0]
    # deflate finds the zeros of a dense file too, but not as well as a bitmask
    assert sizes[0.8] < 0.85 * keras_sizes[0.8]


def test_each_weight_gets_the_smaller_encoding():
    members = sparse_weights([np.zeros((10, 10), "float32"), np.ones(10, "float32"),
                              np.float32(3.0)])
    assert sorted(members) == ["d00001", "d00002", "m00000", "v00000"]
    assert members["m00000"].shape == (13,) and members["v00000"].shape == (0,)


def test_a_model_with_wrappers_is_stripped_first(tmp_path):
    pruned = prune_low_magnitude(sparse_mlp(0.0), ConstantSparsity(0.7, 0, frequency=1))
    for layer in pruned.layers:
        layer.pruning_step.assign(np.int64(0))
        layer.update_mask()
    save_sparse(pruned, tmp_path / "p.sparse")
    loaded = load_sparse(tmp_path / "p.sparse")
    assert [type(layer).__name__ for layer in loaded.layers] == ["Dense", "Dense"]
    x = np.random.default_rng(1).normal(size=(4, 64)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), pruned.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def rewrite(path, out, change):
    """A copy of the zip at ``path`` with ``change(members)`` applied to its members."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    change(members)
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out


def npz_change(key, value):
    def change(members):
        with np.load(io.BytesIO(members["sparse.weights.npz"]), allow_pickle=False) as f:
            arrays = dict(f)
        arrays[key] = value
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        members["sparse.weights.npz"] = buffer.getvalue()
    return change


def test_files_it_could_not_have_written_are_refused(tmp_path):
    save_sparse(sparse_mlp(0.8), tmp_path / "m.sparse")
    src = tmp_path / "m.sparse"
    cases = [
        (npz_change("v00000", np.ones(3, "float32")), "values"),
        (npz_change("m00000", np.full(2000, 255, "uint8")), "bitmask"),
        (npz_change("m00000", np.full(1024, 255, "uint8")), "values"),
        (npz_change("v00000", np.ones(3, "float64")), "values"),
        (npz_change("x00009", np.ones(3, "float32")), "unexpected"),
        (npz_change("v00000", np.array([object()], dtype=object)), "pickled"),
        (lambda m: m.update({"metadata.json": json.dumps({"format": "other"}).encode()}),
         "metadata.json"),
        (lambda m: m.update({"extra.py": b"import os"}), "more than a glassnet file has"),
        (lambda m: m.pop("config.json"), "lacks"),
    ]
    for i, (change, message) in enumerate(cases):
        try:
            bad = rewrite(src, tmp_path / f"bad{i}.sparse", change)
        except ValueError:  # np.savez refuses the object array itself: nothing to read
            continue
        with pytest.raises(UnsafeFileError, match=message):
            load_sparse(bad)


def test_a_config_asking_for_more_weights_than_the_file_holds_is_refused(tmp_path):
    save_sparse(sparse_mlp(0.8), tmp_path / "m.sparse")

    def bigger(members):
        config = json.loads(members["config.json"])
        config["config"]["layers"][1]["config"]["units"] = 10 ** 9
        members["config.json"] = json.dumps(config).encode()

    bad = rewrite(tmp_path / "m.sparse", tmp_path / "big.sparse", bigger)
    with pytest.raises(UnsafeFileError, match="more weights"):
        load_sparse(bad)


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="expected a Model"):
        save_sparse(keras.layers.Dense(2), tmp_path / "x")
    with pytest.raises(ValueError, match="compresslevel"):
        save_sparse(sparse_mlp(0.5), tmp_path / "x", compresslevel=12)
    with pytest.raises(FileNotFoundError):
        load_sparse(tmp_path / "missing.sparse")
