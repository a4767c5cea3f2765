"""Magnitude pruning with TensorFlow Model Optimization's names (``tfmot.sparsity.keras``).

Unstructured: ``prune_low_magnitude`` wraps prunable layers in ``PruneLowMagnitude``, whose
masks zero the smallest-magnitude weights on a schedule (``PolynomialDecay``,
``ConstantSparsity``) while ``fit`` runs with the ``UpdatePruningStep`` callback;
``strip_pruning`` bakes the masks in. ``save_sparse`` / ``load_sparse`` store the zeros as a
bitmask, so the file shrinks with the sparsity.

Structured: ``prune_structured`` removes whole units of Dense layers and filters of Conv
layers (lowest L1 or L2 norm), giving a smaller, faster model.

>>> import numpy as np
>>> from glassnet import keras
>>> from glassnet.compress import pruning
>>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
...                           keras.layers.Dense(2)])
>>> pruned = pruning.prune_low_magnitude(model, pruning.PolynomialDecay(
...     0.0, 0.75, begin_step=0, end_step=4, frequency=1))
>>> pruned.compile("adam", "mse")
>>> _ = pruned.fit(np.ones((40, 8)), np.ones((40, 2)), batch_size=8, verbose=0,
...                callbacks=[pruning.UpdatePruningStep()])
>>> stripped = pruning.strip_pruning(pruned)
>>> float((stripped.layers[0].kernel.numpy() == 0).mean())
0.75
"""

from glassnet.compress.pruning.callbacks import PruningSummaries, UpdatePruningStep
from glassnet.compress.pruning.masks import magnitude_mask
from glassnet.compress.pruning.prune import prune_low_magnitude, prune_scope, strip_pruning
from glassnet.compress.pruning.schedules import (
    ConstantSparsity,
    PolynomialDecay,
    PruningSchedule,
)
from glassnet.compress.pruning.sparse_format import load_sparse, save_sparse
from glassnet.compress.pruning.structured import prune_structured, unit_scores
from glassnet.compress.pruning.wrapper import PrunableLayer, PruneLowMagnitude

__all__ = ["ConstantSparsity", "PolynomialDecay", "PrunableLayer", "PruneLowMagnitude",
           "PruningSchedule", "PruningSummaries", "UpdatePruningStep", "load_sparse",
           "magnitude_mask", "prune_low_magnitude", "prune_scope", "prune_structured",
           "save_sparse", "strip_pruning", "unit_scores"]
