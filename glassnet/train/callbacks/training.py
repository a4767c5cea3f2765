"""Callbacks that steer training: EarlyStopping, LearningRateScheduler, ReduceLROnPlateau,
TerminateOnNaN."""

from __future__ import annotations

import math

import numpy as np

from glassnet.train.callbacks.base import Callback, warn


def _monitor_op(mode, monitor, cls):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{cls}: mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
    if mode == "auto":
        # Keras: accuracy-like quantities improve upwards, everything else downwards.
        mode = "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall",
                                                   "f1", "r2")) else "min"
    return mode


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``baseline``: stop unless the quantity beats it; ``restore_best_weights``: put back the
    weights of the best epoch when stopping; ``start_from_epoch``: epochs of warm-up that are
    not watched.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = _monitor_op(mode, monitor, "EarlyStopping")
        self.min_delta = abs(min_delta) * (1 if self.mode == "max" else -1)

    def _better(self, current, reference):
        if reference is None:
            return True
        if self.mode == "max":
            return current - self.min_delta > reference
        return current - self.min_delta < reference

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warn(f"EarlyStopping: the monitored quantity '{self.monitor}' is not available; "
                 f"available: {sorted(logs or {})}")
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)``)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        returned = new
        try:
            if isinstance(new, (str, bytes, bool, np.bool_)):
                raise TypeError
            new = float(new)
        except (TypeError, ValueError):
            raise TypeError(f"LearningRateScheduler: the schedule returned {returned!r} (of "
                            f"type {type(returned).__name__}) for epoch {epoch}; it must "
                            f"return a float learning rate") from None
        if not math.isfinite(new) or new <= 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned {new} for epoch "
                             f"{epoch}; a learning rate must be a positive number")
        self.model.optimizer.learning_rate = new
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr``."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1. Received: factor={factor}")
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.verbose, self.min_delta, self.cooldown, self.min_lr = verbose, min_delta, \
            cooldown, min_lr
        self.mode = _monitor_op(mode, monitor, "ReduceLROnPlateau")

    def on_train_begin(self, logs=None):
        self.best = -np.inf if self.mode == "max" else np.inf
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = self.model.optimizer.learning_rate
        current = logs.get(self.monitor)
        if current is None:
            warn(f"ReduceLROnPlateau: the monitored quantity '{self.monitor}' is not "
                 f"available; available: {sorted(logs)}")
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        improved = current > self.best + self.min_delta if self.mode == "max" else \
            current < self.best - self.min_delta
        if improved:
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = self.model.optimizer.learning_rate
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite, naming the first layer whose
    output (or, if every output is finite, whose gradient) became non-finite."""

    def on_train_begin(self, logs=None):
        self.model._diagnose_non_finite = True
        self.model.non_finite_report = None
        self.report = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.report = self.model.non_finite_report or "no layer could be named"
            print(f"Batch {batch}: Invalid loss, terminating training: {self.report}")
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.model._diagnose_non_finite = False
