"""``keras.activations``."""

from glassnet.io import serialization as _serialization
from glassnet.nn.activations import *  # noqa: F403
from glassnet.nn.activations import __all__ as _all

# Keras's serialize/deserialize (names for built-ins, function dicts for registered ones),
# not glassnet's internal name-or-callable serialize
serialize = _serialization.serialize_activation
deserialize = _serialization.deserialize_activation
__all__ = [*(n for n in _all if n != "serialize"), "deserialize", "serialize"]
