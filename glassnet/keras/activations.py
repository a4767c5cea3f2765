"""``keras.activations``."""

from glassnet.nn.activations import *  # noqa: F403
from glassnet.nn.activations import __all__  # noqa: F401
