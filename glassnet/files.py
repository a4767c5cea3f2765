"""Atomic file writes: write to a temporary file beside the target, then rename over it, so a
reader (or a crash) never sees a half-written file.

The temporary file's name carries the writer's process id, so the next save to the same path
removes what an interrupted (killed) save left behind without touching a save in progress in
another live process. The saved file gets the permissions ``open`` would give it: those of
the file it replaces, else 0666 less the umask.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile


def _umask():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it (briefly)
    os.umask(mask)
    return mask


def _alive(pid):
    if pid == os.getpid():
        return False  # an earlier save of ours that did not finish
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(path):
    """Remove temporary files that interrupted saves to ``path`` left behind."""
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(re.escape(f".{os.path.basename(path)}.") + r"(\d+)\.[^/]*\.tmp\Z")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        if match and not _alive(int(match.group(1))):
            full = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(full).st_mode):
                    os.remove(full)


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """``with atomic_write(path) as f:`` writes ``path`` all at once or not at all."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(path)
    try:
        permissions = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        permissions = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.{os.getpid()}.",
                               suffix=".tmp")
    try:
        os.fchmod(fd, permissions)
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
