"""``keras.losses``."""

from glassnet.losses import *  # noqa: F403
from glassnet.losses import (  # noqa: F401
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    __all__,  # noqa: F401
    kld,
    kullback_leibler_divergence,  # noqa: F401
    logcosh,
    mae,
    mape,
    mse,
    msle,
)
