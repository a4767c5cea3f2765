"""``keras.preprocessing``: ``image`` (ImageDataGenerator and the Pillow helpers) and
``sequence`` (pad_sequences)."""

from glassnet.data.image_generator import image_dataset_from_directory
from glassnet.keras.preprocessing import image, sequence

__all__ = ["image", "image_dataset_from_directory", "sequence"]
