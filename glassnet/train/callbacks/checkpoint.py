"""``ModelCheckpoint``: save the model (or its weights) during training, as Keras 3 does.

When: at each epoch's end (``save_freq="epoch"``) or every ``save_freq`` training batches,
counted across epochs (Keras's counter: it carries over an epoch boundary). What: every time,
or with ``save_best_only`` only when ``monitor`` improves on the best value so far (which
starts from ``initial_value_threshold``, else from +inf, or -inf in mode "max"). Where:
``filepath`` formatted with ``epoch`` (1-based), ``batch`` (1-based, batch saves only) and
the logs, e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``.

Files are written atomically (``model.save`` / ``save_weights`` write a temporary file and
rename it into place), so an interrupted save leaves the previous checkpoint intact.

>>> ModelCheckpoint("best.keras", save_best_only=True).mode
'min'
"""

from __future__ import annotations

import os

import numpy as np

from glassnet import checks
from glassnet.train.callbacks.base import Callback, is_chief, warn
from glassnet.train.callbacks.training import _monitor_op

_FULL_SUFFIXES = (".keras", ".h5")
_WEIGHT_SUFFIXES = (".weights.h5", ".weights.npz")


class FilepathKeyError(KeyError):
    """A KeyError (as Keras raises) whose message prints as written, not quoted."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


def check_save_freq(save_freq, cls):
    """``"epoch"`` or a positive number of batches; Keras's error otherwise."""
    if save_freq == "epoch":
        return save_freq
    if not isinstance(save_freq, (int, np.integer)) or isinstance(save_freq, bool):
        raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                         f"'epoch' or integer values")
    return checks.integer(save_freq, "save_freq", cls, 1)


class BatchCounter:
    """Keras's count of training batches since the last save, which carries over epochs:
    a batch index not above the previous one starts a new epoch, whose batches all count."""

    def __init__(self, every):
        self.every, self.seen, self.last = every, 0, None

    def step(self, batch):
        """Count ``batch``; whether a save is due."""
        added = batch + 1 if self.last is None or batch <= self.last else batch - self.last
        self.seen += added
        self.last = batch
        if self.seen >= self.every:
            self.seen = 0
            return True
        return False


class ModelCheckpoint(Callback):
    """Save the model or its weights at some frequency (see the module docstring).

    Args:
        filepath: where to save; ``.keras`` (or a legacy ``.h5``) for the whole model,
            ``.weights.h5`` or ``.weights.npz`` with ``save_weights_only=True``.
        monitor: the log key ``save_best_only`` watches.
        verbose: 1 prints a line for each save (and each epoch that does not improve).
        save_best_only: save only when ``monitor`` improves.
        save_weights_only: save the weights alone.
        mode: "auto", "min" or "max": whether smaller or larger ``monitor`` is better.
        save_freq: "epoch", or an integer number of batches.
        initial_value_threshold: the value ``monitor`` must beat for the first save.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        try:
            filepath = os.fsdecode(os.fspath(filepath))
        except TypeError:
            raise TypeError(f"ModelCheckpoint: filepath must be a path (a str or "
                            f"os.PathLike). Received: filepath={filepath!r}") from None
        self.save_freq = check_save_freq(save_freq, "ModelCheckpoint")
        if save_weights_only:
            if not filepath.endswith(_WEIGHT_SUFFIXES):
                raise ValueError(f"When using `save_weights_only=True` in `ModelCheckpoint`, "
                                 f"the filepath provided must end in `.weights.h5` (Keras "
                                 f"weights format) or `.weights.npz`. Received: "
                                 f"filepath={filepath}")
        elif not filepath.endswith(_FULL_SUFFIXES):
            raise ValueError(f"The filepath provided must end in `.keras` (Keras model "
                             f"format) or `.h5` (legacy); or use save_weights_only=True with "
                             f"`.weights.h5` or `.weights.npz`. Received: filepath={filepath}")
        self.filepath, self.monitor, self.verbose = filepath, monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _monitor_op(mode, monitor, "ModelCheckpoint")
        # As tf.keras 2: the best starts from +inf (-inf for mode "max"), so the first value
        # always improves unless initial_value_threshold is given.
        self.best = initial_value_threshold if initial_value_threshold is not None else \
            (float("-inf") if self.mode == "max" else float("inf"))
        self._counter = BatchCounter(self.save_freq) if self.save_freq != "epoch" else None
        self._current_epoch = 0

    # -- hooks ----------------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._counter is not None and self._counter.step(batch):
            self._save(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    # -- saving ---------------------------------------------------------------------------

    def _file_path(self, epoch, batch, logs):
        values = dict(logs)
        if batch is not None and "batch" not in logs:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**{**values, "epoch": epoch + 1})
        except KeyError as e:
            raise FilepathKeyError(
                f"Failed to format this callback filepath: \"{self.filepath}\". Reason: the "
                f"key {e} is not in the logs; available keys: "
                f"{['epoch', *(['batch'] if batch is not None else []), *sorted(logs)]}"
            ) from None
        except (IndexError, ValueError, TypeError, AttributeError) as e:
            raise ValueError(f"Failed to format this callback filepath: \"{self.filepath}\". "
                             f"Reason: {type(e).__name__}: {e} (available keys: "
                             f"{['epoch', *sorted(logs)]})") from None

    def _should_save(self, epoch, logs, path):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        current = logs.get(self.monitor)
        if current is None:  # Keras 3 warns and saves all the same
            warn(f"Can save best model only with '{self.monitor}' available (the logs hold "
                 f"{sorted(logs)}); saving anyway.")
            return True
        if getattr(current, "ndim", 0):
            warn(f"Can save best model only when `monitor` is a scalar value. Received: "
                 f"{current}. Falling back to `save_best_only=False`.")
            return True
        better = current > self.best if self.mode == "max" else current < self.best
        if not better:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                      f"{self.best:.5f}")
            return False
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                  f"{current:.5f}, saving model to {path}")
        self.best = current
        return True

    def _save(self, epoch, batch, logs):
        if not is_chief():  # one rank of a distributed job writes the files
            return
        path = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, path):
            return
        if os.path.isdir(path):
            raise OSError(f"Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {path}")
