"""``keras.preprocessing.image``."""

from glassnet.data.image import apply_affine_transform
from glassnet.data.image_generator import (
    DirectoryIterator,
    ImageDataGenerator,
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)

__all__ = ["DirectoryIterator", "ImageDataGenerator", "apply_affine_transform", "array_to_img",
           "img_to_array", "load_img", "save_img"]
