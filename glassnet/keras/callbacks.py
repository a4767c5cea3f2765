"""``keras.callbacks``."""

from glassnet.train.callbacks import *  # noqa: F403
from glassnet.train.callbacks import __all__  # noqa: F401
