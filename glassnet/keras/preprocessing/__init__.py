"""``keras.preprocessing``: ``sequence.pad_sequences`` now; image preprocessing
(``ImageDataGenerator`` and friends) comes with the image augmentation work."""

from glassnet.keras.preprocessing import sequence

__all__ = ["sequence"]
