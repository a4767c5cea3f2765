"""Image ops: resize, extract_patches."""

__all__ = []
