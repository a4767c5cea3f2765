"""Crafted files are refused with a clear error and no side effect; resume is exact; a
checkpoint survives a SIGKILL mid-write."""

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from glassnet import keras
from glassnet.io import archive, saving

X = np.random.default_rng(0).random((64, 5)).astype(np.float32)
Y = np.arange(64) % 3


def small_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(5,)),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def saved(tmp_path):
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0)
    path = tmp_path / "good.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    return path, members


def write(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_pickled_object_in_the_weights_is_refused(saved, tmp_path, monkeypatch):
    _, members = saved
    buffer = io.BytesIO()
    np.savez(buffer, **{"00000": np.array([object()], dtype=object)})
    members["model.weights.npz"] = buffer.getvalue()
    path = write(tmp_path / "pickle.keras", members)
    with pytest.raises(saving.UnsafeFileError, match="contain pickled Python objects"):
        keras.models.load_model(path)
    # the same for a weights file on its own
    with open(tmp_path / "p.weights.npz", "wb") as f:
        f.write(members["model.weights.npz"])
    with pytest.raises(saving.UnsafeFileError, match="pickled"):
        small_model().load_weights(str(tmp_path / "p.weights.npz"))


@pytest.mark.parametrize("where,value,message", [
    ("class", "os.system", r"names the class 'os.system'"),
    ("class", "builtins.eval", r"names the class 'builtins.eval'"),
    ("activation", "builtins.eval", r"Unknown activation: 'builtins.eval'"),
    ("initializer", {"class_name": "subprocess.Popen", "config": {"args": "touch /tmp/x"}},
     r"Unknown initializer: 'subprocess.Popen'"),
    ("loss", "os.system", r"Unknown loss: 'os.system'"),
])
def test_configs_naming_code_are_refused(saved, tmp_path, where, value, message):
    _, members = saved
    config = json.loads(members["config.json"])
    layer = config["config"]["layers"][1]
    if where == "class":
        layer["class_name"] = value
    elif where == "activation":
        layer["config"]["activation"] = value
    elif where == "initializer":
        layer["config"]["kernel_initializer"] = value
    else:
        config["compile_config"]["loss"] = value
    members["config.json"] = json.dumps(config)
    marker = tmp_path / "side_effect"
    path = write(tmp_path / "evil.keras", members)
    with pytest.raises(ValueError, match=message):
        keras.models.load_model(path)
    assert not marker.exists()


def test_path_traversal_member_is_refused(saved, tmp_path):
    _, members = saved
    members["../../x"] = b"owned"
    with pytest.raises(saving.UnsafeFileError, match=r"unexpected member '\.\./\.\./x'"):
        keras.models.load_model(write(tmp_path / "trav.keras", members))
    assert not (tmp_path.parent.parent / "x").exists()


def test_zip_bombs_are_refused(saved, tmp_path, monkeypatch):
    _, members = saved
    bomb = dict(members, **{"metadata.json": b"0" * 5_000_000})  # deflates ~1000x
    with pytest.raises(saving.UnsafeFileError, match=r"member 'metadata.json' declares 5000000 "
                                                     r"bytes, over the \d+-byte limit"):
        keras.models.load_model(write(tmp_path / "bomb.keras", bomb, zipfile.ZIP_DEFLATED))
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 1000)  # a declared size over the limit
    with pytest.raises(saving.UnsafeFileError, match="over the 1000-byte limit"):
        keras.models.load_model(write(tmp_path / "big.keras", members))


def test_member_larger_than_it_declares_is_refused(saved, tmp_path):
    path, _ = saved
    data = bytearray(path.read_bytes())
    # Understate config.json's size in its central directory entry: reading must stop.
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("config.json")
    central = data.rfind(b"PK\x01\x02" + data[data.find(b"PK\x01\x02") + 4:][:0])
    index = data.find(b"config.json", data.find(b"PK\x01\x02"))
    entry = index - 46
    struct_offset = entry + 24  # uncompressed size field of the central directory entry
    data[struct_offset:struct_offset + 4] = (info.file_size - 10).to_bytes(4, "little")
    assert central >= 0
    bad = tmp_path / "lies.keras"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="holds more than|damaged"):
        keras.models.load_model(bad)


def test_truncated_file_and_shape_mismatch(saved, tmp_path):
    path, members = saved
    data = path.read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a glassnet .keras file|damaged or truncated"):
        keras.models.load_model(tmp_path / "cut.keras")
    shapes = [(8, 5), (8,), (8, 3), (3,)]  # as many elements as the model's, transposed
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{i:05d}": np.zeros(shape, np.float32) for i, shape in enumerate(shapes)})
    members["model.weights.npz"] = buffer.getvalue()
    with pytest.raises(ValueError, match=r"has shape \(8, 5\) in the file but \(5, 8\) in the "
                                         r"model"):
        keras.models.load_model(write(tmp_path / "shape.keras", members))


def test_fit_save_load_fit_equals_uninterrupted_fit(tmp_path):
    whole = small_model()
    whole.fit(X, Y, epochs=3, batch_size=16, verbose=0)
    part = small_model()
    part.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    part.save(tmp_path / "resume.keras")
    resumed = keras.models.load_model(tmp_path / "resume.keras")
    resumed.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


CHECKPOINT_WRITER = r"""
import sys, numpy as np
from glassnet import keras
path = sys.argv[1]
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.layers.Dense(512, input_shape=(512,)), keras.layers.Dense(512)])
model.compile(optimizer="adam", loss="mse")
x = np.random.rand(64, 512).astype(np.float32)
ckpt = keras.callbacks.ModelCheckpoint(path)
print("ready", flush=True)
model.fit(x, x, epochs=100000, batch_size=64, verbose=0, callbacks=[ckpt])
"""


def test_a_checkpoint_survives_sigkill_during_writes(tmp_path):
    path = tmp_path / "ckpt.keras"
    proc = subprocess.Popen([sys.executable, "-c", CHECKPOINT_WRITER, str(path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.time() + 60
        while not path.exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.7)  # several more checkpoints are being written now
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    model = keras.models.load_model(path)  # the last complete checkpoint
    assert model.count_params() == 2 * (512 * 512 + 512)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "ckpt.keras"]
    assert all(name.endswith(".tmp") for name in leftovers)


def test_h5_weights_round_trip(tmp_path):
    model = small_model()
    model.save_weights(tmp_path / "w.weights.h5")
    other = small_model(seed=9)
    other.load_weights(str(tmp_path / "w.weights.h5"))
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
