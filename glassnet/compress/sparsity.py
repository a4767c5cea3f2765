"""TensorFlow Model Optimization's path to the pruning API, so its guides run with the import
changed: ``import glassnet.compress as tfmot``, then ``tfmot.sparsity.keras.prune_low_magnitude``,
``tfmot.sparsity.keras.PolynomialDecay``, ``tfmot.sparsity.keras.UpdatePruningStep``,
``tfmot.sparsity.keras.strip_pruning``.

>>> import glassnet.compress as tfmot
>>> tfmot.sparsity.keras.ConstantSparsity(0.5, 0)(0)
(True, 0.5)
"""

from glassnet.compress import pruning as keras

__all__ = ["keras"]
