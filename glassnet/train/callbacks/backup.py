"""``BackupAndRestore``: resume training after a crash, as Keras 3's callback does.

At each epoch's end (or every ``save_freq`` batches) the callback writes one file,
``backup_dir/latest.backup.npz``: the weights, the optimizer's state, the epoch to resume at
and the random generators' states (the shuffling one and ``glassnet.seed``'s), so a resumed
run draws what an uninterrupted one would have. The file is written to a temporary name and
renamed into place (``files.atomic_write``): a kill at any moment leaves either the previous
backup or the new one, never half of one. The next ``fit`` with a callback on the same
folder restores it all before the first batch and starts at the saved epoch (Keras: the
backup's epoch overrides ``initial_epoch``); a ``fit`` that ends normally deletes the folder
(``delete_checkpoint``). In a distributed job only rank 0 writes (and deletes) the backup
and every rank restores from it: the folder must be on a filesystem all ranks share. With
``double_checkpoint`` the previous backup is kept beside the
latest (``.bkp``) and used when the latest cannot be read.

With an integer ``save_freq`` a backup taken in the middle of an epoch resumes at the start
of that epoch (Keras's rule), with that epoch's shuffling replayed and the weights of the
backup.

Reading a backup goes through ``glassnet.io``'s checked ``.npz`` reader (sizes declared in
each header are checked before anything is allocated, nothing is unpickled).

>>> BackupAndRestore("/tmp/backup").save_freq
'epoch'
"""

from __future__ import annotations

import io
import json
import os
import shutil
import types

import numpy as np

from glassnet import backend
from glassnet.files import atomic_write
from glassnet.train.callbacks.base import Callback, is_chief
from glassnet.train.callbacks.checkpoint import BatchCounter
from glassnet.train.upward import io as io_package

FORMAT = "glassnet-backup-1"
MAX_METADATA_BYTES = 1 << 16


class BackupAndRestore(Callback):
    """Back up the training state to ``backup_dir`` and restore it in the next ``fit``.

    Args:
        backup_dir: the folder of the backup (created; deleted at the end of training).
        save_freq: ``"epoch"``, or back up every this many training batches.
        double_checkpoint: keep the previous backup too, used if the latest is unreadable.
        delete_checkpoint: delete ``backup_dir`` when training ends normally.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        try:
            backup_dir = os.fsdecode(os.fspath(backup_dir))
        except TypeError:
            raise TypeError(f"BackupAndRestore: backup_dir must be a path (a str or "
                            f"os.PathLike). Received: backup_dir={backup_dir!r}") from None
        if save_freq != "epoch" and (not isinstance(save_freq, (int, np.integer))
                                     or isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                             f"value.")
        self.backup_dir, self.save_freq = backup_dir, save_freq
        self.double_checkpoint, self.delete_checkpoint = double_checkpoint, delete_checkpoint
        self._path = os.path.join(backup_dir, "latest.backup.npz")
        self._previous_path = self._path + ".bkp"
        self._counter = BatchCounter(int(save_freq)) if save_freq != "epoch" else None
        self._current_epoch = 0
        self._epoch_start_rng = None

    # -- hooks ----------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        if self._counter is not None:
            self._counter = BatchCounter(self._counter.every)
        if os.path.exists(self._path):
            try:
                self._restore(self._path)
                return
            except (OSError, ValueError):
                if not os.path.exists(self._previous_path):
                    raise
        if os.path.exists(self._previous_path):  # the latest is missing or unreadable
            self._restore(self._previous_path)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        # The shuffling state before this epoch's permutation: a backup taken during the
        # epoch resumes by replaying the same permutation.
        self._epoch_start_rng = _io("state").shuffle_state(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if self._counter is not None and self._counter.step(batch):
            self._save(self._current_epoch, batch, self._epoch_start_rng)

    def on_epoch_end(self, epoch, logs=None):
        if self._counter is None:
            self._save(epoch + 1, None, _io("state").shuffle_state(self.model))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and is_chief() and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    # -- writing --------------------------------------------------------------------------

    def _save(self, epoch, batch, shuffle_rng):
        if not is_chief():  # one rank of a distributed job writes; every rank restores
            return
        model = self.model
        arrays = {f"weights__{i:05d}": w for i, w in enumerate(model.get_weights())}
        if model.optimizer is not None:
            for key, value in model.optimizer.state_dict().items():
                arrays[f"optimizer__{key.replace('/', '__')}"] = np.asarray(value)
        holder = types.SimpleNamespace(_shuffle_rng=backend.generator())
        metadata = {"format": FORMAT, "epoch": int(epoch), "batch": batch,
                    "shuffle_rng": shuffle_rng,
                    "generator": _io("state").shuffle_state(holder)}
        arrays["metadata"] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, self._previous_path)  # a kill now leaves the previous one
        with atomic_write(self._path) as f:
            f.write(buffer.getvalue())

    # -- reading --------------------------------------------------------------------------

    def _restore(self, path):
        model = self.model
        archive, state = _io("archive"), _io("state")
        with archive.open_regular_file(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size > archive.MAX_TOTAL_BYTES:
                raise _io("errors").UnsafeFileError(
                    f"{path} is {size} bytes, over the {archive.MAX_TOTAL_BYTES}-byte "
                    f"limit; refused")
            reader = archive.NpzReader(f, path, "the backup")
            try:
                metadata = self._metadata(reader, path)
                self._check_weights(reader, path)
                optimizer = {k[len("optimizer__"):].replace("__", "/"): k
                             for k in reader.headers if k.startswith("optimizer__")}
                if optimizer and model.optimizer is not None:
                    state.check_optimizer_headers(
                        {k: reader.headers[v] for k, v in optimizer.items()}, model,
                        model.optimizer, f"{path}: the optimizer state")
                model.set_weights([reader.array(f"weights__{i:05d}")
                                   for i in range(len(model.weights))])
                if optimizer and model.optimizer is not None:
                    model.optimizer.load_state_dict(
                        {k: np.array(reader.array(v)) for k, v in optimizer.items()})
            finally:
                reader.close()
        label = f"{path}: metadata"
        if metadata.get("shuffle_rng") is not None:
            # In place: this fit's batches already hold the model's generator.
            _restore_generator(model._shuffle_generator(), metadata["shuffle_rng"], label)
        if metadata.get("generator") is not None:
            _restore_generator(backend.generator(), metadata["generator"], label)
        model._initial_epoch = metadata["epoch"]

    def _metadata(self, reader, path):
        header = reader.headers.get("metadata")
        if header is None or header.dtype != np.uint8 or len(header.shape) != 1 \
                or header.size > MAX_METADATA_BYTES:
            raise _io("errors").UnsafeFileError(f"{path} has no readable metadata (a glassnet "
                                                f"backup holds one); refused")
        metadata = _io("archive").parse_json(reader.array("metadata").tobytes(), path,
                                             "metadata")
        epoch = metadata.get("epoch") if isinstance(metadata, dict) else None
        if metadata.get("format") != FORMAT or type(epoch) is not int or epoch < 0:
            raise _io("errors").UnsafeFileError(f"{path}: the metadata {metadata!r} is not "
                                                f"that of a {FORMAT} file; refused")
        return metadata

    def _check_weights(self, reader, path):
        weights = self.model.weights
        if not self.model.built or not weights:
            raise ValueError(f"To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model {self.model.name} is unbuilt. "
                             f"You can build it beforehand by calling it on a batch of data.")
        keys = sorted(k for k in reader.headers if k.startswith("weights__"))
        if keys != [f"weights__{i:05d}" for i in range(len(weights))]:
            raise ValueError(f"{path} holds {len(keys)} weight arrays but the model has "
                             f"{len(weights)}: it is the backup of another model")
        for p, key in zip(weights, keys):
            header = reader.headers[key]
            if tuple(header.shape) != p.data.shape or header.dtype != p.data.dtype:
                raise ValueError(f"{path}: weight '{p.name}' has shape {tuple(header.shape)} "
                                 f"and dtype {header.dtype} in the backup but "
                                 f"{p.data.shape} and {p.data.dtype} in the model")


def _restore_generator(generator, saved, label):
    """Set ``generator`` to the PCG64 state ``saved`` (checked as a loaded model's is)."""
    holder = types.SimpleNamespace()
    _io("state").restore_shuffle_state(holder, saved, label)
    generator.bit_generator.state = holder._shuffle_rng.bit_generator.state


def _io(name):
    """A module of ``glassnet.io`` (above ``train``), reached through the one upward hook."""
    return getattr(io_package(), name)
