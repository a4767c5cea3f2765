"""Callbacks that record: CSVLogger, LambdaCallback, TensorBoard (and ModelCheckpoint, from
``checkpoint``)."""

from __future__ import annotations

import csv
import os

from glassnet import backend
from glassnet.train.callbacks.base import Callback
from glassnet.train.callbacks.checkpoint import FilepathKeyError, ModelCheckpoint  # noqa: F401


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
                    self._train.add_histogram(tag, backend.to_host(p.data), epoch)
                    if id(p) in grads:
                        self._train.add_histogram(f"{tag}/gradient", grads[id(p)], epoch)
        self._train.flush()
        self._val.flush()

    def on_train_end(self, logs=None):
        self.model._keep_last_gradients = False
        self._train.close()
        self._val.close()
