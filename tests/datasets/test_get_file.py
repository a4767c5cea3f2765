import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from glassnet import keras
from glassnet.datasets.archives import UnsafeArchiveError, extract_archive


def _tar(entries, mode="w:gz"):
    """A tar archive's bytes; ``entries`` maps a name to bytes, or to ("symlink"|"hardlink",
    target), or to "fifo"."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, body in entries.items():
            info = tarfile.TarInfo(name)
            if isinstance(body, tuple):
                info.type = tarfile.SYMTYPE if body[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = body[1]
                tar.addfile(info)
            elif body == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
            else:
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, body in entries.items():
            zf.writestr(name, body)
    return buffer.getvalue()


def test_get_file_has_keras_signature_and_caches_under_glassnet_home(home, server):
    base, files = server
    files["data.csv"] = b"a,b\n1,2\n"
    sha = hashlib.sha256(files["data.csv"]).hexdigest()
    path = keras.utils.get_file(origin=base + "data.csv", file_hash=sha)
    assert path == str(home / "data.csv") and open(path, "rb").read() == files["data.csv"]
    assert keras.utils.get_file("data.csv", base + "data.csv", file_hash=sha) == path
    assert len(files.hits) == 1  # the second call read the cache
    md5 = hashlib.md5(files["data.csv"]).hexdigest()  # Keras's older 32-digit hashes
    assert keras.utils.get_file("d2.csv", base + "data.csv", md5_hash=md5) == \
        str(home / "d2.csv")
    other = home.parent / "elsewhere"
    assert keras.utils.get_file("x.csv", base + "data.csv", cache_dir=str(other),
                                cache_subdir="sub") == str(other / "sub" / "x.csv")


def test_a_stale_cached_file_is_downloaded_again_and_force_download(home, server):
    base, files = server
    files["f.bin"] = b"fresh"
    home.mkdir(parents=True)
    (home / "f.bin").write_bytes(b"stale")
    sha = hashlib.sha256(b"fresh").hexdigest()
    assert open(keras.utils.get_file("f.bin", base + "f.bin", file_hash=sha),
                "rb").read() == b"fresh"
    files["f.bin"] = b"newer"
    keras.utils.get_file("f.bin", base + "f.bin", force_download=True)
    assert (home / "f.bin").read_bytes() == b"newer"


def test_a_corrupted_download_is_refused_and_nothing_is_kept(home, server):
    base, files = server
    files["f.bin"] = b"tampered"
    with pytest.raises(ValueError, match=r"corrupted file detected: .* has SHA-256 [0-9a-f]{64}"
                                         r", expected 0{64}"):
        keras.utils.get_file("f.bin", base + "f.bin", file_hash="0" * 64)
    assert list(home.iterdir()) == []


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='specify the "origin" argument'):
        keras.utils.get_file("x")
    with pytest.raises(ValueError, match="paths are not accepted as the `fname` argument"):
        keras.utils.get_file("a/b.txt", "http://127.0.0.1:9/b.txt")
    with pytest.raises(ValueError, match="hash_algorithm must be 'auto', 'sha256' or 'md5'"):
        keras.utils.get_file("b.txt", "http://127.0.0.1:9/b.txt", hash_algorithm="sha1")


def test_offline_error_names_the_file_and_the_folder(home, server):
    base, _ = server
    with pytest.raises(OSError, match=rf"b.tgz is not in {home} and could not be downloaded "
                                      rf"from {base}b.tgz .*put it at {home / 'b.tgz'} \(or its "
                                      rf"extracted contents in {home / 'b_extracted'}\)"):
        keras.utils.get_file("b.tgz", base + "b.tgz", extract=True)


@pytest.mark.parametrize("kind", ["tar.gz", "tar", "zip"])
def test_extract_returns_the_extracted_folder_as_keras_3(home, server, kind):
    base, files = server
    entries = {"pkg/a.txt": b"A", "pkg/sub/b.txt": b"B"}
    files["pkg." + kind] = _zip(entries) if kind == "zip" else \
        _tar(entries, "w:gz" if kind == "tar.gz" else "w")
    path = keras.utils.get_file("pkg." + kind, base + "pkg." + kind, extract=True)
    assert path == str(home / "pkg_extracted")
    assert open(os.path.join(path, "pkg", "sub", "b.txt"), "rb").read() == b"B"
    # without an extension in fname, Keras keeps the archive as <fname>_archive
    path = keras.utils.get_file("folder", base + "pkg." + kind, extract=True)
    assert path == str(home / "folder") and (home / "folder_archive").is_file()
    assert os.path.exists(os.path.join(path, "pkg", "a.txt"))


@pytest.mark.parametrize("entries, why", [
    ({"/etc/evil": b"x"}, "outside the extraction folder"),
    ({"a/../../evil": b"x"}, "outside the extraction folder"),
    ({"link": ("symlink", "/etc/passwd")}, "links to '/etc/passwd'"),
    ({"a/link": ("symlink", "../../x")}, "links to '../../x'"),
    ({"hard": ("hardlink", "../outside")}, "links to '../outside'"),
    ({"pipe": "fifo"}, "not a regular file or folder"),
])
def test_hostile_tar_members_are_refused_and_nothing_is_written(tmp_path, entries, why):
    archive = tmp_path / "bad.tar"
    archive.write_bytes(_tar({"ok.txt": b"fine", **entries}, "w"))
    with pytest.raises(UnsafeArchiveError, match=why):
        extract_archive(archive, tmp_path / "out")
    assert sorted(os.listdir(tmp_path)) == ["bad.tar"]


def test_links_inside_the_folder_and_size_bound(tmp_path):
    archive = tmp_path / "ok.tar"
    archive.write_bytes(_tar({"d/a.txt": b"A" * 100, "d/l": ("symlink", "a.txt")}, "w"))
    assert extract_archive(archive, tmp_path / "out") is True
    assert (tmp_path / "out" / "d" / "l").read_bytes() == b"A" * 100
    with pytest.raises(UnsafeArchiveError, match="declare 100 bytes, more than max_bytes=99"):
        extract_archive(archive, tmp_path / "out2", max_bytes=99)
    zipped = tmp_path / "evil.zip"
    zipped.write_bytes(_zip({"../evil.txt": b"x"}))
    with pytest.raises(UnsafeArchiveError, match="outside the extraction folder"):
        extract_archive(zipped, tmp_path / "out3")
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"not an archive")
    assert extract_archive(plain, tmp_path / "out4") is False
