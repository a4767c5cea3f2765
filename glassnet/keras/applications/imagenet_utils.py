"""``keras.applications.imagenet_utils``."""

from glassnet.applications.imagenet_utils import decode_predictions, preprocess_input

__all__ = ["decode_predictions", "preprocess_input"]
