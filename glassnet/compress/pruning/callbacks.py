"""The callbacks that drive pruning during ``fit`` (tfmot's names and behaviour).

``UpdatePruningStep`` must be passed to ``fit`` for a model with ``PruneLowMagnitude``
layers: at each training batch's start it sets every wrapper's ``pruning_step`` to the
running step (0, 1, 2, ... continuing across fits) and updates the masks the schedule asks
for; at each epoch's end it sets the pruned weights to ``w * mask``.

``PruningSummaries(log_dir)``, passed with it, writes each wrapper's sparsity (the
fraction of zeros in its masks) and threshold to ``<log_dir>/pruning_summaries.jsonl``, one
JSON line per epoch (a plain text file: TensorBoard is not needed).

>>> import numpy as np
>>> from glassnet import keras
>>> from glassnet.compress.pruning import prune_low_magnitude, ConstantSparsity
>>> model = prune_low_magnitude(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]),
...                             pruning_schedule=ConstantSparsity(0.5, 0, frequency=1))
>>> model.compile("sgd", "mse")
>>> _ = model.fit(np.ones((8, 4)), np.ones((8, 2)), verbose=0,
...               callbacks=[UpdatePruningStep()])
>>> float((model.layers[0].masks[0].numpy() == 0).mean())
0.5
"""

from __future__ import annotations

import json
import os

import numpy as np

from glassnet.compress.pruning.wrapper import PruneLowMagnitude
from glassnet.train.callbacks import Callback

__all__ = ["PruningSummaries", "UpdatePruningStep", "collect_prunable_layers"]


def collect_prunable_layers(model):
    """Every ``PruneLowMagnitude`` layer in ``model``, nested models included."""
    found, stack, seen = [], [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, PruneLowMagnitude):
            found.append(layer)
            continue
        stack.extend(reversed(layer.layers))
    return found


class UpdatePruningStep(Callback):
    """Advances the pruning step of every ``PruneLowMagnitude`` layer and updates its masks
    at the start of each training batch.

    Outside ``fit`` (a custom loop), call ``set_model(model)`` once, then
    ``on_train_batch_begin(batch=-1)`` before each step and ``on_epoch_end(-1)`` at the end.
    """

    def __init__(self):
        super().__init__()
        self.prunable_layers = []
        self.step = 0
        self._collected = False

    def set_model(self, model):
        super().set_model(model)
        self._collected = False

    def _collect(self):
        if self._collected:
            return
        self.prunable_layers = collect_prunable_layers(self.model)
        self._collected = True
        built = [layer for layer in self.prunable_layers if layer.built]
        # a new model starts at 0; one trained before (or loaded) carries on after its last
        # step (tfmot would run that step again)
        self.step = int(built[0].pruning_step.data) + 1 if built else 0

    def on_train_begin(self, logs=None):
        self._collect()

    def on_train_batch_begin(self, batch, logs=None):
        self._collect()
        for layer in self.prunable_layers:
            if layer.built:
                layer.pruning_step.assign(np.int64(self.step))
                layer.update_mask()
        self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        self._collect()
        # pruned weights end each epoch at zero, so a model saved now is sparse
        for layer in self.prunable_layers:
            if layer.built:
                layer.apply_masks()


class PruningSummaries(Callback):
    """Logs, at each epoch's end, every wrapper's sparsity and threshold to
    ``<log_dir>/pruning_summaries.jsonl`` (and into ``logs`` as ``<layer>/sparsity``, so
    ``History`` records them). Pass it with ``UpdatePruningStep``, which does the pruning.

    Args:
        log_dir: the folder to write to (made if missing).
        update_freq: kept for tfmot's signature; one line is written per epoch.
    """

    def __init__(self, log_dir, update_freq="epoch"):
        super().__init__()
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"PruningSummaries: log_dir must be a path. Received: "
                            f"log_dir={log_dir!r}")
        self.log_dir = os.fspath(log_dir)
        self.update_freq = update_freq

    def on_train_begin(self, logs=None):
        os.makedirs(self.log_dir, exist_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        layers = collect_prunable_layers(self.model)
        step = max((int(layer.pruning_step.data) for layer in layers if layer.built),
                   default=-1)
        record = {"epoch": int(epoch), "step": step}
        for layer in layers:
            if not layer.built:
                continue
            zeros = sum(int((m.data == 0).sum()) for m in layer.masks)
            total = sum(m.data.size for m in layer.masks)
            record[f"{layer.name}/sparsity"] = zeros / total
            record[f"{layer.name}/threshold"] = float(layer.thresholds[0].data)
        if logs is not None:
            logs.update({k: v for k, v in record.items() if k.endswith("/sparsity")})
        with open(os.path.join(self.log_dir, "pruning_summaries.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
