"""Crafted files: every declared size is checked before allocating, every malformed part is an
``UnsafeFileError`` (or ValueError) naming the file and the member, never a raw KeyError,
RecursionError, BadZipFile, UnicodeDecodeError or NumPy message."""

import io
import json
import os
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from glassnet import keras
from glassnet.io import archive
from glassnet.io.errors import UnsafeFileError

X = np.random.default_rng(0).random((16, 5)).astype(np.float32)
Y = np.arange(16) % 3


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(5,)),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def members(tmp_path):
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as z:
        return {n: z.read(n) for n in z.namelist()}


def write(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npy_with_header(shape, data=b"\0" * 16, descr="<f4"):
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def raw_npz(members):
    """An .npz whose members are given as raw bytes (headers that lie)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def peak_while(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def refuse(path, match, error=UnsafeFileError, **kwargs):
    with pytest.raises(error, match=match) as info:
        keras.models.load_model(path, **kwargs)
    assert str(path) in str(info.value)
    return info.value


# -- allocations are bounded by what the file declares ------------------------------------

def test_a_config_asking_for_a_huge_layer_fails_fast_with_little_memory(members, tmp_path):
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 10**12  # 29 TiB of float32
    members["config.json"] = json.dumps(config)
    path = write(tmp_path / "huge.keras", members)
    peak = peak_while(lambda: refuse(path, r"config.json asks for more weights than "
                                           r"model.weights.npz holds.*kernel.*\(5, "
                                           r"1000000000000\)"))
    assert peak < 20 << 20


def test_a_huge_npy_header_is_refused_before_allocating(members, tmp_path):
    members["model.weights.npz"] = raw_npz({"00000.npy": npy_with_header((10**6, 10**6))})
    path = write(tmp_path / "npy.keras", members)
    peak = peak_while(lambda: refuse(path, r"model.weights.npz: member '00000.npy' declares an "
                                           r"array of shape \(1000000, 1000000\)"))
    assert peak < 20 << 20


@pytest.mark.parametrize("header,match", [
    (npy_with_header((2,), descr="|O"), "pickled Python objects"),
    (npy_with_header((2,), descr="<c8"), "declares dtype '<c8'"),
    (npy_with_header((-1,)), r"declares the shape \(-1,\)"),
    (npy_with_header((True,)), r"declares the shape \(True,\)"),
    (b"\x93NUMPY\x01\x00\xff\xff{", "header"),
    (b"not an array", "not a .npy array"),
    (b"\x93NUMPY\x01\x00\x10\x00" + b"((((((((((((((((", "unreadable .npy header"),
])
def test_malformed_npy_headers_are_refused(members, tmp_path, header, match):
    members["model.weights.npz"] = raw_npz({"00000.npy": header})
    refuse(write(tmp_path / "h.keras", members), match)


def test_optimizer_state_is_size_and_shape_checked(members, tmp_path):
    state = dict(np.load(io.BytesIO(members["optimizer.npz"])))
    # a header declaring far more than its member holds
    lying = {f"{k}.npy": npy_with_header(v.shape, v.astype(np.float32).tobytes())
             for k, v in state.items()}
    lying["0__momentum.npy"] = npy_with_header((10**9,))
    members["optimizer.npz"] = raw_npz(lying)
    peak = peak_while(lambda: refuse(write(tmp_path / "o1.keras", members),
                                     r"optimizer.npz: member '0__momentum.npy' declares an "
                                     r"array of shape \(1000000000,\)"))
    assert peak < 20 << 20
    # a slot that NumPy would broadcast into the weight's shape
    members["optimizer.npz"] = npz(**dict(state, **{"0__momentum": np.zeros(1)}))
    refuse(write(tmp_path / "o2.keras", members),
           r"optimizer.npz: '0/momentum' declares shape \(1,\).*\(5, 8\).*never broadcast")
    # state for a weight the model does not have, and a slot Adam does not keep
    members["optimizer.npz"] = npz(**dict(state, **{"9__momentum": np.zeros((5, 8))}))
    refuse(write(tmp_path / "o3.keras", members), r"'9/momentum' is state for trainable "
                                                  r"weight 9, but the model has 4")
    members["optimizer.npz"] = npz(**dict(state, **{"0__evil": np.zeros((5, 8))}))
    refuse(write(tmp_path / "o4.keras", members), r"'0/evil' is not state that Adam keeps")
    # without compile the optimizer state is not read at all
    assert keras.models.load_model(tmp_path / "o4.keras", compile=False).built


def test_weights_of_another_dtype_are_refused_not_converted(members, tmp_path):
    weights = dict(np.load(io.BytesIO(members["model.weights.npz"])))
    weights["00000"] = weights["00000"].astype(np.float64)
    members["model.weights.npz"] = npz(**weights)
    refuse(write(tmp_path / "d.keras", members),
           r"weight 'kernel' has dtype float64 in the file but float32 in the model", ValueError)


def test_total_and_json_limits(members, tmp_path, monkeypatch):
    path = write(tmp_path / "ok.keras", members)
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 2000)
    refuse(path, r"the members declare \d+ bytes in all, over the 2000-byte limit")
    monkeypatch.undo()
    monkeypatch.setattr(archive, "MAX_JSON_BYTES", 100)
    refuse(path, r"member 'config.json' declares \d+ bytes, over the 100-byte limit")
    monkeypatch.undo()
    members["config.json"] = b"[" * 100_000 + b"]" * 100_000
    refuse(write(tmp_path / "deep.keras", members), r"config.json nests 100000 levels deep")
    members["config.json"] = b'{"a": 1' + b"1" * 10_000 + b"}"
    refuse(write(tmp_path / "int.keras", members), r"config.json is not valid JSON")
    members["config.json"] = b'{"class_name": "Sequential", "class_name": "Functional"}'
    refuse(write(tmp_path / "dup.keras", members), r"config.json is not valid JSON.*"
                                                   r"'class_name' appears twice")
    members["config.json"] = b"\xff\xfe{}"
    refuse(write(tmp_path / "utf.keras", members), r"config.json is not UTF-8 text")


# -- the container ---------------------------------------------------------------------------

def test_duplicate_members_are_refused(members, tmp_path):
    path = tmp_path / "dup.keras"
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(path, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
            z.writestr("config.json", b'{"class_name": "Sequential"}')
    refuse(path, r"member 'config.json' appears 2 times")


def _patch_central_flag(data, name, offset, value):
    """Change a 2-byte field of ``name``'s central directory entry."""
    end = data.rfind(b"PK\x05\x06")
    entry = struct.unpack("<L", data[end + 16:end + 20])[0]  # where the central directory starts
    while True:
        name_length = struct.unpack("<H", data[entry + 28:entry + 30])[0]
        if data[entry + 46:entry + 46 + name_length] == name.encode():
            break
        extra, comment = struct.unpack("<HH", data[entry + 30:entry + 34])
        entry += 46 + name_length + extra + comment
    data[entry + offset:entry + offset + 2] = struct.pack("<H", value)


def test_encrypted_and_oddly_compressed_members_are_refused(members, tmp_path):
    data = bytearray(write(tmp_path / "plain.keras", members).read_bytes())
    _patch_central_flag(data, "config.json", 8, 0x1)  # general-purpose flag: encrypted
    (tmp_path / "enc.keras").write_bytes(bytes(data))
    refuse(tmp_path / "enc.keras", r"member 'config.json' is encrypted")
    refuse(write(tmp_path / "bz.keras", members, zipfile.ZIP_BZIP2),
           r"member 'config.json' uses compression method 12")


def test_crc_errors_and_garbage_are_refused(members, tmp_path):
    path = write(tmp_path / "crc.keras", members)
    data = bytearray(path.read_bytes())
    at = data.find(b'"class_name"')
    data[at + 1:at + 2] = b"C"  # same length, wrong CRC
    path.write_bytes(bytes(data))
    refuse(path, r"member 'config.json' is damaged or truncated \(Bad CRC-32")
    (tmp_path / "noise.keras").write_bytes(os.urandom(5000))
    refuse(tmp_path / "noise.keras", r"not a zip archive")
    members["model.weights.npz"] = b"PK\x05\x06 not really"
    refuse(write(tmp_path / "inner.keras", members), r"model.weights.npz is not a zip archive")


def test_links_and_devices_are_refused(members, tmp_path):
    real = write(tmp_path / "real.keras", members)
    os.symlink(real, tmp_path / "link.keras")
    refuse(tmp_path / "link.keras", r"is a symbolic link")
    with pytest.raises(UnsafeFileError, match=r"/dev/zero is a device"):
        keras.models.load_model("/dev/zero")
    model = small_model()
    model.save_weights(tmp_path / "w.weights.npz")
    os.symlink(tmp_path / "w.weights.npz", tmp_path / "l.weights.npz")
    with pytest.raises(UnsafeFileError, match=r"l.weights.npz is a symbolic link"):
        model.load_weights(str(tmp_path / "l.weights.npz"))
    pytest.importorskip("h5py")
    model.save_weights(tmp_path / "w.weights.h5")
    os.symlink(tmp_path / "w.weights.h5", tmp_path / "l.weights.h5")
    with pytest.raises(UnsafeFileError, match=r"l.weights.h5 is a symbolic link"):
        model.load_weights(str(tmp_path / "l.weights.h5"))


@pytest.mark.parametrize("mangle,match", [
    (lambda c: c.pop("config"), r"the entry of class 'Sequential' has no 'config'"),
    (lambda c: c["config"].__setitem__("layers", {"a": 1}), r"expected a list"),
    (lambda c: c["config"]["layers"][0].pop("class_name"), r"no class_name"),
    (lambda c: c["config"]["layers"][1]["config"].__setitem__("bogus", 1),
     r"layer 'dense.*' \(Dense\) cannot be made from its config"),
    (lambda c: c.__setitem__("class_name", "Functional"), r"a layer entry has no 'calls'"),
    (lambda c: c["config"].pop("layers") and c.__setitem__("class_name", "Functional"),
     r"the model '.*' has no 'layers'"),
    (lambda c: c["compile_config"].pop("optimizer"), r"compile_config must hold"),
    (lambda c: c["compile_config"]["optimizer"]["config"].__setitem__("bogus", 1),
     r"the optimizer 'Adam' cannot be made from its config"),
    (lambda c: c["compile_config"].__setitem__("metrics", [
        {"class_name": "AUC", "config": {"num_thresholds": 10**12}}]),
     r"num_thresholds=1000000000000"),
    (lambda c: c["compile_config"].__setitem__("loss", {"class_name": "Huber",
                                                       "config": {"bogus": 1}}),
     r"the loss 'Huber' cannot be made from its config"),
])
def test_malformed_configs_are_value_errors_naming_the_file(members, tmp_path, mangle, match):
    config = json.loads(members["config.json"])
    mangle(config)
    members["config.json"] = json.dumps(config)
    refuse(write(tmp_path / "m.keras", members), match, ValueError)


def test_a_malformed_shuffle_state_is_refused(members, tmp_path):
    members["metadata.json"] = json.dumps({"shuffle_rng": {"bit_generator": "MT19937"}})
    refuse(write(tmp_path / "rng.keras", members), r"metadata.json: 'shuffle_rng' is not the "
                                                   r"state of a PCG64 generator")


# -- .weights.h5 --------------------------------------------------------------------------

h5py = pytest.importorskip("h5py")


def _h5(path, fill):
    with h5py.File(path, "w") as h5:
        fill(h5)
    return str(path)


def _good_datasets(h5, skip=()):
    for i, w in enumerate(small_model().get_weights()):
        if i not in skip:
            h5.create_dataset(f"{i:05d}", data=w)


def test_h5_external_storage_and_links_are_refused(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(bytes(range(160)))
    model = small_model()

    def external(h5):
        _good_datasets(h5, skip=(0,))
        h5.create_dataset("00000", shape=(5, 8), dtype="<f4", external=[(str(secret), 0, 160)])

    path = _h5(tmp_path / "ext.weights.h5", external)
    with pytest.raises(UnsafeFileError, match=r"ext.weights.h5: dataset '00000' keeps its data "
                                              r"in external files"):
        model.load_weights(path)

    def soft(h5):
        _good_datasets(h5, skip=(1,))
        h5["00001"] = h5py.SoftLink("/00003")

    with pytest.raises(UnsafeFileError, match=r"dataset '00001' is a soft link"):
        model.load_weights(_h5(tmp_path / "soft.weights.h5", soft))

    def external_link(h5):
        _good_datasets(h5, skip=(1,))
        h5["00001"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/x")

    with pytest.raises(UnsafeFileError, match=r"dataset '00001' is an external link"):
        model.load_weights(_h5(tmp_path / "xl.weights.h5", external_link))


def test_h5_shapes_are_checked_before_reading(tmp_path):
    def huge(h5):
        _good_datasets(h5, skip=(0,))
        h5.create_dataset("00000", shape=(10**6, 10**6), dtype="<f4", chunks=(1, 1024),
                          compression="gzip")  # a few KB on disk, 4 TB declared

    path = _h5(tmp_path / "huge.weights.h5", huge)
    model = small_model()
    peak = peak_while(lambda: _expect_h5_error(model, path))
    assert peak < 20 << 20

    def wrong_dtype(h5):
        _good_datasets(h5, skip=(0,))
        h5.create_dataset("00000", data=np.zeros((5, 8), np.float64))

    with pytest.raises(ValueError, match=r"dtype float64 in the file but \(5, 8\) and float32"):
        model.load_weights(_h5(tmp_path / "f64.weights.h5", wrong_dtype))

    def extra(h5):
        _good_datasets(h5)
        h5.create_group("evil")

    with pytest.raises(UnsafeFileError, match=r"unexpected entry 'evil'"):
        model.load_weights(_h5(tmp_path / "grp.weights.h5", extra))


def _expect_h5_error(model, path):
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(1000000, 1000000\) and "
                                         r"dtype float32 in the file but \(5, 8\)"):
        model.load_weights(path)
