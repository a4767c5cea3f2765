import io
import os
import pickle

import numpy as np
import pytest

from glassnet.datasets._safe_pickle import UnsafePickleError, load_npz, loads

PLAIN = {"int": 7, "neg": -300, "big": 2 ** 80, "float": 2.5, "str": "héllo", "bytes": b"\x00y",
         "none": None, "bool": [True, False], "tuple": (1, (2, "x")), "empty": ((), [], {}),
         b"bkey": {"nested": [1, 2, 70000]}}


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_plain_data_and_arrays_read_back_at_every_protocol(protocol):
    arrays = {"u8": np.arange(12, dtype=np.uint8).reshape(3, 4),
              "be": np.arange(5, dtype=">i4"), "f": np.asfortranarray(np.ones((2, 3), "f4")),
              "obj": np.array([[1, 2], [3]], dtype=object), "scalar": np.float32(1.5),
              "zero": np.zeros((0, 3))}
    out = loads(pickle.dumps({**PLAIN, **arrays}, protocol=protocol))
    assert {k: out[k] for k in PLAIN} == PLAIN
    for name, array in arrays.items():
        assert out[name].dtype == array.dtype and np.shape(out[name]) == np.shape(array)
        if array.dtype != object:
            np.testing.assert_array_equal(out[name], array)
    assert out["obj"].tolist() == [[1, 2], [3]]
    assert out["f"].flags.f_contiguous and out["u8"].flags.writeable


def test_shared_references_stay_shared():
    inner = [1, 2]
    out = loads(pickle.dumps([inner, inner], protocol=2))
    assert out[0] is out[1]


class _Hostile:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_hostile_global_is_refused_and_nothing_runs(protocol, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = pickle.dumps({"x": [1, _Hostile()]}, protocol=protocol)
    with pytest.raises(UnsafePickleError, match=r"refusing the global (posix|os|nt)\.system"):
        loads(data)
    assert not (tmp_path / "pwned").exists()


class _Obj:
    pass


def test_other_opcodes_and_globals_are_refused():
    for protocol in (2, 4):
        with pytest.raises(UnsafePickleError, match=r"refusing the global .*\._Obj"):
            loads(pickle.dumps(_Obj(), protocol=protocol))
    with pytest.raises(UnsafePickleError, match=r"refusing pickle opcode b'\\x81'"):
        loads(b"\x80\x02N)\x81.")  # NEWOBJ
    with pytest.raises(UnsafePickleError, match=r"refusing the global (__builtin__|builtins)\.set"):
        loads(pickle.dumps({1, 2}, protocol=2))
    with pytest.raises(UnsafePickleError, match=r"refusing pickle opcode b'I'"):
        loads(b"I1\n.")  # protocol 0's text INT


def test_array_sizes_are_checked_before_allocation():
    good = pickle.dumps(np.arange(4, dtype=np.int32), protocol=2)
    payload = np.arange(4, dtype=np.int32).tobytes()
    assert payload in good
    # announce a huge shape for the same 16 bytes: refused, nothing allocated
    bad = good.replace(b"K\x04\x85", b"J\x00\x00\x00\x40\x85", 1)
    assert bad != good
    with pytest.raises(UnsafePickleError, match=r"needs \d+ bytes. Received: 16"):
        loads(bad)


def test_truncated_and_oversized_streams_are_refused():
    data = pickle.dumps(list(range(100)), protocol=4)
    with pytest.raises(UnsafePickleError, match="truncated|empty stack"):
        loads(data[:-20])
    with pytest.raises(UnsafePickleError, match="more than max_bytes=10"):
        loads(data, max_bytes=10)
    with pytest.raises(TypeError, match="expected bytes"):
        loads("not bytes")


def test_an_npz_with_object_arrays_reads_without_pickle(tmp_path):
    lists = np.empty(3, dtype=object)
    lists[:] = [[1, 2, 3], [4], [5, 6]]
    np.savez(tmp_path / "a.npz", x=lists, y=np.arange(3))
    out = load_npz(tmp_path / "a.npz")
    assert out["x"].tolist() == [[1, 2, 3], [4], [5, 6]] and out["y"].tolist() == [0, 1, 2]
    hostile = io.BytesIO()
    np.savez(hostile, x=np.array([_Hostile()], dtype=object))
    (tmp_path / "h.npz").write_bytes(hostile.getvalue())
    with pytest.raises(UnsafePickleError, match="system"):
        load_npz(tmp_path / "h.npz")
