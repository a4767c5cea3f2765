"""Extracting downloaded ``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz`` and ``.zip`` archives
safely.

An archive from the network may try to write outside the folder it is extracted into
(``/etc/passwd``, ``../../.bashrc``), plant a link that points outside (and then write
through it), create device files, or expand to far more bytes than it holds. Every member is
checked before anything is written, and the whole archive is refused if one fails:

- names: no absolute paths, no drive letters, no ``..`` component;
- links: a symbolic or hard link must resolve inside the folder;
- types: regular files and folders (and those links) only: no devices, FIFOs, sockets;
- size: the declared sizes add up to at most ``max_bytes``, and there are at most
  ``max_members`` entries.

Tar members are then written by ``tarfile``'s ``filter="data"`` (which re-checks all of this
and drops permission bits it should not keep), zip members by ``zipfile`` (which checks each
member's CRC and stops at its declared size). Extraction goes to a temporary folder beside the
target, renamed into place at the end: an interrupted extraction leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import PurePosixPath, PureWindowsPath

MAX_BYTES = 16 << 30  # 16 GiB
MAX_MEMBERS = 1_000_000


class UnsafeArchiveError(ValueError):
    """A member of the archive would write outside its folder, or is not a plain file."""


def _check_name(archive, name):
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or \
            ".." in posix.parts or ".." in windows.parts:
        raise UnsafeArchiveError(f"{archive}: refusing member {name!r}: it would be written "
                                 f"outside the extraction folder")


def _check_link(archive, name, target, hard):
    # a hard link's target is relative to the archive root, a symlink's to its own folder
    parts = [] if hard else list(PurePosixPath(name).parent.parts)
    inside = not (PurePosixPath(target).is_absolute() or PureWindowsPath(target).is_absolute())
    for part in PurePosixPath(target).parts if inside else ():
        if part == "..":
            inside = bool(parts)
            if not inside:
                break
            parts.pop()
        elif part != ".":
            parts.append(part)
    if not inside:
        raise UnsafeArchiveError(f"{archive}: refusing member {name!r}: it links to "
                                 f"{target!r}, outside the extraction folder")


def _check_sizes(archive, count, total, max_bytes, max_members):
    if count > max_members:
        raise UnsafeArchiveError(f"{archive}: more than max_members={max_members} entries")
    if total > max_bytes:
        raise UnsafeArchiveError(f"{archive}: the members declare {total} bytes, more than "
                                 f"max_bytes={max_bytes}")


def _tar_members(archive, tar, max_bytes, max_members):
    members, total = [], 0
    for member in tar:
        _check_name(archive, member.name)
        if member.issym() or member.islnk():
            _check_link(archive, member.name, member.linkname, member.islnk())
        elif not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(f"{archive}: refusing member {member.name!r}: not a "
                                     f"regular file or folder (a device, FIFO or the like)")
        total += member.size
        members.append(member)
        _check_sizes(archive, len(members), total, max_bytes, max_members)
    return members


def _zip_members(archive, zf, max_bytes, max_members):
    infos = zf.infolist()
    total = 0
    for info in infos:
        _check_name(archive, info.filename)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise UnsafeArchiveError(f"{archive}: refusing member {info.filename!r}: not a "
                                     f"regular file or folder (a link or special file)")
        total += info.file_size
    _check_sizes(archive, len(infos), total, max_bytes, max_members)
    return infos


def archive_type(file_path, archive_format="auto"):
    """``"tar"``, ``"zip"`` or None: which of ``archive_format``'s kinds the file is."""
    if archive_format is None:
        return None
    kinds = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    for kind in kinds:
        if kind not in ("tar", "zip"):
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip', a list of those or "
                             f"None. Received: {archive_format!r}")
        if (tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile)(file_path):
            return kind
    return None


def extract_archive(file_path, path=".", archive_format="auto", max_bytes=MAX_BYTES,
                    max_members=MAX_MEMBERS):
    """Extract ``file_path`` into the folder ``path`` (replacing it), safely.

    Args:
        file_path: the archive.
        path: the folder to extract into.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of those, or
            None (extract nothing), as Keras's.
        max_bytes, max_members: refuse archives declaring more.

    Returns:
        True when the file was an archive of one of those kinds and was extracted, False
        when it was none of them (Keras's return value).

    Raises:
        UnsafeArchiveError: a member would leave the folder, is a special file, or the
            archive is too large; nothing is written.

    >>> extract_archive("data.tar.gz", "data")  # doctest: +SKIP
    True
    """
    file_path, path = os.fspath(file_path), os.path.abspath(os.fspath(path))
    kind = archive_type(file_path, archive_format)
    if kind is None:
        return False
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".part")
    try:
        if kind == "tar":
            with tarfile.open(file_path) as tar:
                members = _tar_members(file_path, tar, max_bytes, max_members)
                tar.extractall(tmp, members=members, filter="data")
        else:
            with zipfile.ZipFile(file_path) as zf:
                zf.extractall(tmp, members=_zip_members(file_path, zf, max_bytes,
                                                        max_members))
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
        os.replace(tmp, path)
    except (tarfile.TarError, zipfile.BadZipFile) as err:
        raise UnsafeArchiveError(f"{file_path}: not a readable {kind} archive ({err})") from None
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    return True
