"""NumPy functions that Keras's ops namespace offers and that are compositions or small
additions over the rest of the library."""

__all__ = []
