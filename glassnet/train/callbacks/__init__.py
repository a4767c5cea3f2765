"""Callbacks with Keras's names and hooks."""

from glassnet.train.callbacks.base import Callback, CallbackList, History
from glassnet.train.callbacks.logging import CSVLogger, LambdaCallback, ModelCheckpoint, TensorBoard
from glassnet.train.callbacks.progbar import ProgbarLogger
from glassnet.train.callbacks.training import (
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger",
           "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]
