"""``keras.layers``."""

from glassnet.io.serialization import deserialize_layer as deserialize
from glassnet.io.serialization import serialize_layer as serialize
from glassnet.nn.layers import *  # noqa: F403
from glassnet.nn.layers import __all__ as _layer_names

__all__ = [*_layer_names, "deserialize", "serialize"]
