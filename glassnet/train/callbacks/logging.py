"""Callbacks that record: ModelCheckpoint, CSVLogger, LambdaCallback, TensorBoard."""

from __future__ import annotations

import csv
import os

import numpy as np

from glassnet.train.callbacks.base import Callback, warn
from glassnet.train.callbacks.training import _monitor_op


class FilepathKeyError(KeyError):
    """A KeyError (as Keras raises) whose message prints as written, not quoted."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class ModelCheckpoint(Callback):
    """Save the model (or its weights) at the end of each epoch, or only when ``monitor``
    improves (``save_best_only``). ``filepath`` may hold ``{epoch}`` and log keys, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``. Files are written atomically: a temporary
    file renamed into place, so an interrupted save leaves the previous checkpoint intact."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        filepath = os.fspath(filepath)
        if save_freq != "epoch":
            raise ValueError("ModelCheckpoint: only save_freq='epoch' is supported")
        if save_weights_only and not filepath.endswith(".weights.npz") and \
                not filepath.endswith(".weights.h5"):
            raise ValueError(f"ModelCheckpoint: with save_weights_only=True the filepath must "
                             f"end in .weights.npz (or .weights.h5). Received: {filepath}")
        if not save_weights_only and not filepath.endswith(".keras"):
            raise ValueError(f"ModelCheckpoint: the filepath must end in .keras (or use "
                             f"save_weights_only=True with .weights.npz or .weights.h5). "
                             f"Received: {filepath}")
        self.filepath, self.monitor, self.verbose = filepath, monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _monitor_op(mode, monitor, "ModelCheckpoint")
        # Keras starts from +inf (-inf for mode "max"), so the first epoch always improves.
        self.best = initial_value_threshold if initial_value_threshold is not None else \
            (-np.inf if self.mode == "max" else np.inf)

    def _file_path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise FilepathKeyError(f"ModelCheckpoint: Failed to format this callback filepath: "
                           f"\"{self.filepath}\". Reason: the key {e} is not in the "
                                   f"logs; available keys: {['epoch', *sorted(logs)]}") from None
        except (IndexError, ValueError, TypeError, AttributeError) as e:
            raise ValueError(f"ModelCheckpoint: Failed to format this callback filepath: "
                             f"\"{self.filepath}\". Reason: {type(e).__name__}: {e} "
                             f"(available keys: {['epoch', *sorted(logs)]})") from None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self._file_path(epoch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warn(f"ModelCheckpoint: can save best model only with '{self.monitor}' "
                     f"available; available: {sorted(logs)}")
                return
            better = current > self.best if self.mode == "max" else current < self.best
            if not better:
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class CSVLogger(Callback):
    """Append each epoch's logs to a CSV file (columns: epoch, then the sorted log keys)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        self._has_header = exists and os.path.getsize(self.filename) > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._writer is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, ["epoch", *self._keys],
                                          delimiter=self.separator)
            if not self._has_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self._keys}})
        self._file.flush()

    def on_train_end(self, logs=None):
        self._file.close()


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs:
    ...)``; any hook name is accepted."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook '{name}'")
            setattr(self, name, fn)



class TensorBoard(Callback):
    """Write TensorBoard event files with tensorboardX (the ``[tensorboard]`` extra):
    epoch scalars under ``log_dir/train`` and ``log_dir/validation`` (``epoch_loss``,
    ``epoch_accuracy``, ...), and every ``histogram_freq`` epochs histograms of each weight
    and of its gradient in the epoch's last batch."""

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, update_freq="epoch"):
        super().__init__()
        try:
            import tensorboardX  # noqa: F401
        except ImportError:
            raise ImportError("the TensorBoard callback needs tensorboardX: "
                              "pip install 'glassnet[tensorboard]'") from None
        self.log_dir, self.histogram_freq = os.fspath(log_dir), histogram_freq
        self.update_freq = update_freq

    def on_train_begin(self, logs=None):
        from tensorboardX import SummaryWriter

        self._train = SummaryWriter(os.path.join(self.log_dir, "train"))
        self._val = SummaryWriter(os.path.join(self.log_dir, "validation"))
        if self.histogram_freq:
            self.model._keep_last_gradients = True

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if not isinstance(value, float):
                continue
            writer, name = (self._val, key[4:]) if key.startswith("val_") else (self._train, key)
            writer.add_scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            grads = getattr(self.model, "_last_gradients", {})
            for layer in self.model._all_layers():
                for p in layer._own_parameters():
                    tag = f"{layer.name}/{p.name}"
                    self._train.add_histogram(tag, np.asarray(p.data), epoch)
                    if id(p) in grads:
                        self._train.add_histogram(f"{tag}/gradient", grads[id(p)], epoch)
        self._train.flush()
        self._val.flush()

    def on_train_end(self, logs=None):
        self.model._keep_last_gradients = False
        self._train.close()
        self._val.close()
