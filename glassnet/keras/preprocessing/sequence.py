"""``keras.preprocessing.sequence``."""

from glassnet.data.preprocessing import pad_sequences

__all__ = ["pad_sequences"]
