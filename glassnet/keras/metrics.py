"""``keras.metrics``."""

from glassnet.metrics import *  # noqa: F403
from glassnet.metrics import __all__  # noqa: F401
