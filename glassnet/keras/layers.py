"""``keras.layers``."""

from glassnet.nn.layers import *  # noqa: F403
from glassnet.nn.layers import __all__  # noqa: F401
