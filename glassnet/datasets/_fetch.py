"""Finding a file: the cache folder first, then a download, verified and atomic.

One implementation, :func:`keras_get_file`, is Keras's ``keras.utils.get_file``: the cache is
``$GLASSNET_HOME`` (default ``~/.glassnet``; ``cache_dir=`` overrides) plus ``cache_subdir``
(``"datasets"``). A download is written to a temporary name, checked against ``file_hash``
(SHA-256, or MD5 for Keras's older 32-digit hashes) and only then renamed into place, so an
interrupted or corrupted download leaves nothing. ``extract=True`` unpacks tar/zip archives
safely (:mod:`glassnet.datasets.archives`) and returns the extracted folder, as Keras 3 does.

The dataset loaders use it through :func:`fetch`, which trusts a file already in the cache
(a person may have put their own copy or subset there, e.g. on a machine without network)
and says, when offline, which file to put in which folder.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from glassnet.data.progbar import Progbar
from glassnet.datasets.archives import extract_archive

CHUNK = 1 << 20


def glassnet_home() -> Path:
    """``$GLASSNET_HOME``, default ``~/.glassnet`` (read at each call)."""
    return Path(os.environ.get("GLASSNET_HOME") or
                os.path.join(os.path.expanduser("~"), ".glassnet"))


def cache_dir() -> Path:
    """The folder datasets are read from and downloaded into."""
    return glassnet_home() / "datasets"


def _hasher(algorithm, file_hash):
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5'. "
                         f"Received: hash_algorithm={algorithm!r}")
    if algorithm == "sha256" or (algorithm == "auto" and file_hash and len(file_hash) == 64):
        return "sha256", hashlib.sha256()
    return "md5", hashlib.md5()  # Keras's legacy 32-digit hashes


def hash_file(fpath, algorithm="sha256", chunk_size=CHUNK):
    """The hex digest of a file (``"sha256"``, ``"md5"``, or ``"auto"``: SHA-256)."""
    _, hasher = _hasher(algorithm, None if algorithm != "auto" else "0" * 64)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=CHUNK):
    """Whether the file's SHA-256 (64 hex digits) or MD5 (32) equals ``file_hash``."""
    name, _ = _hasher(algorithm, file_hash)
    return hash_file(fpath, name, chunk_size) == str(file_hash)


def _targets(datadir, fname, origin, extract):
    """``(download target, extraction folder or None)`` with Keras's naming: an archive
    fetched as ``"name.tar.gz"`` extracts into ``name_extracted``; one fetched as ``"name"``
    is kept as ``name_archive`` and extracts into ``name``."""
    provided = fname is not None
    fname = os.fspath(fname) if provided else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: can't parse the file name from the origin provided: "
                         f"{origin!r}. Please specify the `fname` argument.")
    if os.sep in fname or "/" in fname:
        raise ValueError(f"get_file: paths are not accepted as the `fname` argument; use "
                         f"`cache_dir` for the file's parent folder. Received: fname={fname}")
    if fname in (".", ".."):
        raise ValueError(f"get_file: fname must name a file. Received: fname={fname!r}")
    if not extract:
        return datadir / fname, None
    if provided and "." in fname:
        return datadir / fname, datadir / f"{fname[:fname.find('.')]}_extracted"
    return datadir / f"{fname}_archive", datadir / fname


def keras_get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
                   cache_subdir="datasets", hash_algorithm="auto", extract=False,
                   archive_format="auto", cache_dir=None, force_download=False, *,
                   trust_cache=False, timeout=30):
    """Download a file from a URL unless it is already in the cache (``keras.utils.get_file``).

    Args:
        fname: the file's name in the cache (default: the last part of ``origin``).
        origin: the URL.
        untar: deprecated, ``extract=True`` with ``archive_format="tar"``.
        md5_hash: deprecated, ``file_hash``.
        file_hash: the expected SHA-256 (64 hex digits) or MD5 (32).
        cache_subdir: folder under ``cache_dir`` (an absolute path is used as it is).
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        extract: unpack a tar/zip archive (safely) and return the extracted folder.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list, or None.
        cache_dir: default ``$GLASSNET_HOME`` (``~/.glassnet``).
        force_download: download even if the file is in the cache.
        trust_cache: (glassnet) use a cached file without checking its hash.
        timeout: (glassnet) seconds to wait for the server.

    Returns:
        The path (a string) of the file, or of the extracted folder when extracting.

    Raises:
        ValueError: the download does not match ``file_hash`` (nothing is kept), or a bad
            argument.
        OSError: the file is absent and cannot be downloaded; the message names the file,
            the URL and the folder to put it in.

    >>> path = get_file(origin="https://example.com/data.csv",
    ...                 file_hash="e3b0c442...")  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (URL of the file '
                         'to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm, _ = _hasher(hash_algorithm, file_hash)
    base = Path(os.path.expanduser(os.fspath(cache_dir))) if cache_dir is not None \
        else glassnet_home()
    datadir = base / cache_subdir
    target, extraction_dir = _targets(datadir, fname, origin, extract or untar)
    if trust_cache and not force_download and extraction_dir is not None and \
            extraction_dir.is_dir():
        return str(extraction_dir)
    download = force_download or not target.exists()
    if not download and file_hash is not None and not trust_cache and \
            not validate_file(target, file_hash, algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because "
              f"the {algorithm} file hash does not match the original value of {file_hash} "
              f"so we will re-download the data.")
        download = True
    if download:
        try:
            datadir.mkdir(parents=True, exist_ok=True)
            _download(origin, target, file_hash, algorithm, timeout)
        except ValueError:
            raise
        except (OSError, urllib.error.URLError) as err:
            extracted = f" (or its extracted contents in {extraction_dir})" \
                if extraction_dir is not None else ""
            raise OSError(
                f"{target.name} is not in {datadir} and could not be downloaded from {origin} "
                f"({err}). Download it on a machine with internet access and put it at "
                f"{target}{extracted}") from None
    if extraction_dir is None:
        return str(target)
    if download or not extraction_dir.is_dir():
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            raise ValueError(f"get_file: {target} is not a {archive_format} archive, so it "
                             f"could not be extracted")
    return str(extraction_dir)


def _download(origin, target, file_hash, algorithm, timeout):
    print(f"Downloading data from {origin}")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    _, digest = _hasher(algorithm, file_hash)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin, timeout=timeout) as src:
            size = src.headers.get("Content-Length")
            bar = Progbar(int(size) if size and size.isdigit() else None) \
                if sys.stdout.isatty() else None
            done = 0
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
                done += len(chunk)
                if bar is not None:
                    bar.update(done)
        if file_hash is not None and digest.hexdigest() != str(file_hash):
            raise ValueError(
                f"Incomplete or corrupted file detected: the file downloaded from {origin} "
                f"has {'SHA-256' if algorithm == 'sha256' else 'MD5'} {digest.hexdigest()}, "
                f"expected {file_hash}: it is corrupted or not the published file, so it was "
                f"discarded")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch(fname, origin, file_hash, subdir="", timeout=30):
    """The loaders' lookup: the cached ``datasets/<subdir>/<fname>`` as it is, else a verified
    download (``Path``). A thin use of :func:`keras_get_file`."""
    return Path(keras_get_file(fname, origin, file_hash=file_hash,
                               cache_subdir=os.path.join("datasets", subdir),
                               trust_cache=True, timeout=timeout))


# The name mnist.py and fashion_mnist.py import (positional: fname, origin, file_hash, subdir).
get_file = fetch
