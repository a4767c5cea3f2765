"""Horovod's Keras callbacks: ``BroadcastGlobalVariablesCallback``, ``MetricAverageCallback``
and ``LearningRateWarmupCallback``.

>>> import glassnet.distributed as hvd
>>> callbacks = [hvd.BroadcastGlobalVariablesCallback(0), hvd.MetricAverageCallback()]
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.distributed.collectives import agree, allgather, fingerprint, reduce_in_place
from glassnet.distributed.ops import Average
from glassnet.distributed.runtime import check_root, job
from glassnet.distributed.variables import broadcast_optimizer_state, broadcast_variables
from glassnet.train.callbacks import Callback


class BroadcastGlobalVariablesCallback(Callback):
    """Start every rank from rank ``root_rank``'s weights and optimizer state.

    The broadcast runs just before the first training batch, after every callback's
    ``on_train_begin``: a ``BackupAndRestore`` listed anywhere has restored by then, and the
    root's restored state is what every rank continues from. A model that makes its weights
    in its first call is broadcast after the first batch. The ranks also check that they
    start at the same epoch (a backup folder that only some ranks see would otherwise make
    them train for different lengths). ``device`` is accepted for Horovod's signature.
    """

    def __init__(self, root_rank=0, device=""):
        super().__init__()
        self.root_rank = check_root(root_rank, "BroadcastGlobalVariablesCallback")
        self._done = False
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._done = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if not self._done and self.model.built and self.model.weights:
            self._broadcast()

    def on_train_batch_end(self, batch, logs=None):
        if not self._done:
            self._broadcast()

    def _broadcast(self):
        self._done = True
        epochs = allgather(np.array([self._epoch], dtype=np.int64), name="epoch")
        if len(set(epochs.tolist())) > 1:
            raise ValueError(f"BroadcastGlobalVariablesCallback: the ranks start at different "
                             f"epochs {epochs.tolist()} (rank order): a BackupAndRestore "
                             f"folder must be on a filesystem every rank reads")
        broadcast_variables(self.model.weights, self.root_rank)
        if self.model.optimizer is not None:
            broadcast_optimizer_state(self.model.optimizer, self.root_rank)


class MetricAverageCallback(Callback):
    """Replace each epoch's metrics (``loss``, ``accuracy``, ``val_*`` ...) by their average
    over the ranks, so that callbacks listed after it (``ReduceLROnPlateau``,
    ``EarlyStopping``, ``ModelCheckpoint``, ``History``) see the job's values. The numbers
    are averaged in float64, in sorted key order. ``device`` is accepted for Horovod's
    signature."""

    def __init__(self, device=""):
        super().__init__()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        keys = sorted(k for k, v in logs.items() if np.ndim(v) == 0 and
                      isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
        what = "MetricAverageCallback"
        agree(fingerprint(keys), what, "the same metric names")
        values = np.array([float(logs[k]) for k in keys], dtype=np.float64)
        reduce_in_place(values, Average, what)
        for k, v in zip(keys, values.tolist()):
            logs[k] = v


class LearningRateWarmupCallback(Callback):
    """Ramp the learning rate from ``initial_lr / size()`` up to ``initial_lr`` over the
    first ``warmup_epochs`` epochs, a little every batch (Goyal et al. 2017, "Accurate,
    Large Minibatch SGD"; Horovod's callback):

        lr(e) = initial_lr / size * (e * (size - 1) / warmup_epochs + 1),
        e = epoch + (batch + 1) / steps_per_epoch

    so the last batch of the warmup runs at ``initial_lr``; afterwards the rate is left alone.

    Args:
        initial_lr: the rate after the warmup (usually the base rate times ``size()``).
        warmup_epochs: the length of the ramp, in epochs.
        steps_per_epoch: batches per epoch; by default the number fit reports.
        verbose: 1 prints a line on rank 0 when the warmup ends.
    """

    def __init__(self, initial_lr, warmup_epochs=5, steps_per_epoch=None, verbose=0):
        super().__init__()
        what = "LearningRateWarmupCallback"
        if isinstance(initial_lr, bool) or not isinstance(initial_lr, (int, float, np.number)) \
                or not initial_lr > 0:
            raise ValueError(f"{what}: `initial_lr` must be a positive number. Received: "
                             f"initial_lr={initial_lr!r}")
        self.initial_lr = float(initial_lr)
        self.warmup_epochs = checks.integer(warmup_epochs, "warmup_epochs", what, 0)
        self.steps_per_epoch = checks.integer(steps_per_epoch, "steps_per_epoch", what, 1,
                                              allow_none=True)
        self.verbose = verbose
        self._size = job(what).size
        self._epoch = 0
        self._steps = None

    def multiplier(self, epoch):
        """The factor of ``initial_lr`` at (fractional) epoch ``epoch``."""
        epoch = min(epoch, self.warmup_epochs)
        return 1.0 / self._size * (epoch * (self._size - 1) / self.warmup_epochs + 1)

    def on_train_begin(self, logs=None):
        self._steps = self.steps_per_epoch or self.params.get("steps")
        if self.warmup_epochs and not self._steps:
            raise ValueError("LearningRateWarmupCallback: the number of batches per epoch is "
                             "not known; pass steps_per_epoch=")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self._epoch >= self.warmup_epochs:
            return
        e = self._epoch + (batch + 1) / self._steps
        self.model.optimizer.learning_rate = self.initial_lr * self.multiplier(e)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and epoch < self.warmup_epochs:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        if epoch == self.warmup_epochs - 1 and self.verbose and job(type(self).__name__).rank == 0:
            print(f"\nEpoch {epoch + 1}: finished gradual learning rate warmup to "
                  f"{self.initial_lr:g}.")
