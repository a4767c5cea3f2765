"""The one error a loader raises for a file it will not read."""

from __future__ import annotations


class UnsafeFileError(ValueError):
    """A model or weights file that glassnet refuses to read (nothing in it was run)."""
