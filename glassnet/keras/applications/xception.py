"""``keras.applications.xception``."""

from glassnet.applications.xception import Xception, decode_predictions, preprocess_input

__all__ = ["Xception", "decode_predictions", "preprocess_input"]
