"""``keras.preprocessing``: ``image`` (ImageDataGenerator and the Pillow helpers),
``sequence`` (pad_sequences), and the dataset makers Keras keeps here too."""

from glassnet.data.image_generator import image_dataset_from_directory
from glassnet.data.text_files import text_dataset_from_directory
from glassnet.data.timeseries import timeseries_dataset_from_array
from glassnet.keras.preprocessing import image, sequence

__all__ = ["image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
