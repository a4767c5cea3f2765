"""Finding a dataset file: the cache folder first, then a download, verified and atomic.

The cache is ``$GLASSNET_HOME/datasets`` (default ``~/.glassnet/datasets``). A file found
there is used as it is: a person may have put their own copy or subset in place. A file
fetched from the network must match its published SHA-256 before it is moved into the cache
(written to a temporary name, then renamed, so an interrupted download leaves nothing).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

CHUNK = 1 << 20


def cache_dir() -> Path:
    """The folder datasets are read from and downloaded into."""
    home = os.environ.get("GLASSNET_HOME") or os.path.join(os.path.expanduser("~"), ".glassnet")
    return Path(home) / "datasets"


def get_file(fname, origin, file_hash, subdir="", timeout=30):
    """Path of ``fname`` in the cache, downloading it from ``origin`` if it is absent.

    Raises:
        ValueError: the downloaded bytes do not match ``file_hash`` (nothing is kept).
        OSError: the file is absent and cannot be downloaded; the message names the file,
            where it comes from and the folder to put it in.
    """
    folder = cache_dir() / subdir
    target = folder / fname
    if target.exists():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _download(origin, target, file_hash, timeout)
    except ValueError:
        raise
    except (OSError, urllib.error.URLError) as err:
        raise OSError(
            f"{fname} is not in {folder} and could not be downloaded from {origin} ({err}). "
            f"Download it on a machine with internet access and put it at {target}"
        ) from None
    return target


def _download(origin, target, file_hash, timeout):
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin, timeout=timeout) as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != file_hash:
            raise ValueError(
                f"the file downloaded from {origin} has SHA-256 {digest.hexdigest()}, expected "
                f"{file_hash}: it is corrupted or not the published file, so it was discarded"
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
