"""The one error a loader raises for a file it will not read."""

from __future__ import annotations

import struct
import zipfile
import zlib

# What reading a damaged or crafted archive can raise, each turned into UnsafeFileError.
READ_ERRORS = (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError,
                RuntimeError, ValueError, struct.error)



class UnsafeFileError(ValueError):
    """A model or weights file that glassnet refuses to read (nothing in it was run)."""
