"""Callbacks with Keras's names and hooks."""

from glassnet.train.callbacks.backup import BackupAndRestore
from glassnet.train.callbacks.base import Callback, CallbackList, History
from glassnet.train.callbacks.checkpoint import ModelCheckpoint
from glassnet.train.callbacks.logging import CSVLogger, LambdaCallback, TensorBoard
from glassnet.train.callbacks.progbar import ProgbarLogger
from glassnet.train.callbacks.training import (
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger",
           "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]
