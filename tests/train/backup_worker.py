"""Trains a small model with BackupAndRestore; run by test_backup_and_restore.py.

    python backup_worker.py BACKUP_DIR OUT.npz EPOCHS [die-after-epoch N | die-writing N]

``die-after-epoch N`` kills the process (SIGKILL, no clean-up) at the end of epoch N, after
the backup of that epoch is written; ``die-writing N`` kills it halfway through writing the
backup of epoch N. The final weights go to OUT.npz.
"""

import contextlib
import os
import signal
import sys

import numpy as np

from glassnet import keras
from glassnet.train.callbacks import backup


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def main(backup_dir, out, epochs, how=None, when=None):
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.2),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    callbacks = [keras.callbacks.BackupAndRestore(backup_dir)]
    if how == "die-after-epoch":
        callbacks.append(keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: die() if epoch + 1 == when else None))
    if how == "die-writing":
        real = backup.atomic_write
        saves = []

        @contextlib.contextmanager
        def dying(path, mode="wb"):
            saves.append(path)
            with real(path, mode) as f:
                if len(saves) < when:
                    yield f
                    return

                class HalfThenDie:
                    def write(self, data):
                        f.write(data[: len(data) // 2])
                        f.flush()
                        die()

                yield HalfThenDie()

        backup.atomic_write = dying
    history = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=True, verbose=0,
                        callbacks=callbacks)
    np.savez(out, *model.get_weights(), epochs=np.asarray(history.epoch))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], int(args[2]), *(args[3:4]), *(int(a) for a in args[4:5]))
