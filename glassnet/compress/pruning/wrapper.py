"""``PruneLowMagnitude``: a layer whose prunable weights are multiplied by 0/1 masks.

In the forward pass the wrapped layer sees ``w * mask`` for each prunable weight ``w``, so

    y = layer(x; w * mask),       dL/dw = dL/d(w * mask) * mask

and a pruned weight gets no gradient. The masks change only in ``update_mask`` (called by
the ``UpdatePruningStep`` callback at the start of each training batch): when the schedule
says so at the current ``pruning_step``, each mask is recomputed from the magnitudes of
``w * mask`` (see ``masks.magnitude_mask``) and ``w`` is set to ``w * mask``.

Prunable weights (as tfmot's registry): ``kernel`` of Dense, EinsumDense, Conv1D/2D/3D and
their transposes and DepthwiseConv1D/2D (whose depthwise kernel glassnet names ``kernel``);
``pointwise_kernel`` of SeparableConv1D/2D; ``embeddings`` of Embedding. Biases are never
pruned. A layer of your own opts in with ``get_prunable_weights()`` (subclass
``PrunableLayer``, as in tfmot), returning the weights to prune.

>>> import numpy as np
>>> from glassnet import keras
>>> layer = PruneLowMagnitude(keras.layers.Dense(4))
>>> _ = layer(np.ones((2, 8), "float32"))
>>> [w.name for w in layer.non_trainable_weights]
['mask', 'threshold', 'pruning_step']
"""

from __future__ import annotations

import inspect
import threading

import numpy as np

from glassnet.autograd import ops
from glassnet.compress.pruning import schedules
from glassnet.compress.pruning.masks import POOLING_TYPES, magnitude_mask
from glassnet.nn import layers as layers_module
from glassnet.nn.layers.wrappers import Wrapper

__all__ = ["PrunableLayer", "PruneLowMagnitude", "is_prunable", "prunable_attributes"]

# (class, names of the weights to prune); checked in order, so subclasses come first.
_PRUNABLE = (
    (layers_module.SeparableConv1D, ("pointwise_kernel",)),
    (layers_module.SeparableConv2D, ("pointwise_kernel",)),
    (layers_module.Dense, ("kernel",)),
    (layers_module.EinsumDense, ("kernel",)),
    (layers_module.Conv1D, ("kernel",)), (layers_module.Conv2D, ("kernel",)),
    (layers_module.Conv3D, ("kernel",)), (layers_module.Conv1DTranspose, ("kernel",)),
    (layers_module.Conv2DTranspose, ("kernel",)), (layers_module.Conv3DTranspose, ("kernel",)),
    (layers_module.DepthwiseConv1D, ("kernel",)), (layers_module.DepthwiseConv2D, ("kernel",)),
    (layers_module.Embedding, ("embeddings",)),
)

# Layers with weights that are left whole, as tfmot's registry lists them.
_KEPT_WHOLE = (layers_module.BatchNormalization, layers_module.LayerNormalization,
               layers_module.GroupNormalization, layers_module.UnitNormalization,
               layers_module.Normalization, layers_module.PReLU,
               layers_module.RMSNormalization, layers_module.Rescaling)

_UNSUPPORTED = (
    "please initialize `Prune` with a supported layer. Layers should either be supported by "
    "the PruneRegistry (built-in keras layers) or should be a `PrunableLayer` instance, or "
    "should be a keras layer with no weights or a layer in a list of supported layers.")

_PRUNE_CALLBACK_ERROR_MSG = (
    "Prune() wrapper requires the UpdatePruningStep callback to be provided during "
    "training. Please add it as a callback to your model.fit call.")


class PrunableLayer:
    """Mix into a layer of your own to have it pruned: ``get_prunable_weights()`` returns
    the weights (held as attributes of the layer) that ``PruneLowMagnitude`` masks."""

    def get_prunable_weights(self):
        raise NotImplementedError("PrunableLayer: define get_prunable_weights()")


def prunable_attributes(layer):
    """The attribute names of ``layer``'s prunable weights, or None if it is not prunable."""
    if hasattr(layer, "get_prunable_weights"):
        return "custom"
    for cls, names in _PRUNABLE:
        if isinstance(layer, cls):
            return names
    return None


def is_prunable(layer) -> bool:
    """Whether ``prune_low_magnitude`` would wrap ``layer``."""
    return prunable_attributes(layer) is not None


# Layers known to make weights that are not pruned, to refuse them before they are built.
_WEIGHTED = (layers_module.RNN, layers_module.Bidirectional, layers_module.Wrapper,
             layers_module.MultiHeadAttention, layers_module.GroupedQueryAttention,
             layers_module.ConvLSTM1D, layers_module.ConvLSTM2D, layers_module.ConvLSTM3D)


def _has_own_weights(layer):
    """Whether ``layer`` made weights (not built yet: whether it is of a weighted kind)."""
    if layer.built:
        return bool(layer.weights)
    return isinstance(layer, _WEIGHTED)


def check_supported(layer, caller="prune_low_magnitude"):
    """Refuse a layer that has weights but no rule for pruning them."""
    if is_prunable(layer) or isinstance(layer, _KEPT_WHOLE):
        return
    if not _has_own_weights(layer):
        return
    raise ValueError(f"{caller}: {_UNSUPPORTED} Received: {type(layer).__name__} "
                     f"'{layer.name}'")


class PruneLowMagnitude(Wrapper):
    """Wraps ``layer`` so that its prunable weights are masked (tfmot's class of the same
    name).

    Args:
        layer: a prunable layer (see the module's docstring).
        pruning_schedule: a ``PruningSchedule`` (or its config dict); default
            ``ConstantSparsity(0.5, 0)``.
        block_size: (rows, columns) of the blocks pruned together (2-D kernels only).
        block_pooling_type: "AVG" or "MAX": how a block's magnitude is pooled.

    Weights: the layer's own, then per pruned weight a ``mask`` (its shape) and a
    ``threshold`` (the smallest kept magnitude), then ``pruning_step`` (int64, -1 until
    training starts): all non-trainable.
    """

    def __init__(self, layer, pruning_schedule=None, block_size=(1, 1),
                 block_pooling_type="AVG", pruning_policy=None, sparsity_m_by_n=None,
                 **kwargs):
        if pruning_policy is not None or sparsity_m_by_n is not None:
            raise ValueError(f"PruneLowMagnitude: pruning_policy and sparsity_m_by_n are not "
                             f"supported. Received: pruning_policy={pruning_policy!r}, "
                             f"sparsity_m_by_n={sparsity_m_by_n!r}")
        if isinstance(layer, PruneLowMagnitude):
            raise ValueError(f"PruneLowMagnitude: the layer '{layer.name}' is already wrapped "
                             f"for pruning")
        if not is_prunable(layer):
            raise ValueError(f"PruneLowMagnitude: {_UNSUPPORTED} Received: "
                             f"{type(layer).__name__} '{getattr(layer, 'name', layer)}'")
        kwargs.setdefault("name", f"prune_low_magnitude_{layer.name}")
        super().__init__(layer, **kwargs)
        if pruning_schedule is None:
            pruning_schedule = schedules.ConstantSparsity(0.5, 0)
        if isinstance(pruning_schedule, dict):
            pruning_schedule = schedules.deserialize(pruning_schedule)
        if not isinstance(pruning_schedule, schedules.PruningSchedule):
            raise TypeError(f"PruneLowMagnitude: pruning_schedule must be a PruningSchedule. "
                            f"Received: {type(pruning_schedule).__name__}")
        self.pruning_schedule = pruning_schedule
        if (not isinstance(block_size, (tuple, list)) or len(block_size) != 2
                or any(isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1
                       for b in block_size)):
            raise ValueError(f"PruneLowMagnitude: block_size must be two positive integers. "
                             f"Received: block_size={block_size!r}")
        self.block_size = (int(block_size[0]), int(block_size[1]))
        if block_pooling_type not in POOLING_TYPES:
            raise ValueError(f"PruneLowMagnitude: block_pooling_type must be one of "
                             f"{list(POOLING_TYPES)}. Received: "
                             f"block_pooling_type={block_pooling_type!r}")
        self.block_pooling_type = block_pooling_type
        self._lock = threading.Lock()  # the swap of masked weights is one call at a time
        self._takes_training = "training" in inspect.signature(layer.call).parameters

    # -- weights --------------------------------------------------------------------------

    def build(self, input_shape):
        super().build(input_shape)
        names = prunable_attributes(self.layer)
        if names == "custom":
            wanted = list(self.layer.get_prunable_weights())
            found = {id(v): name for name, v in vars(self.layer).items()
                     if any(v is w for w in wanted)}
            if len(found) != len(wanted):
                raise ValueError(f"PruneLowMagnitude: get_prunable_weights() of "
                                 f"'{self.layer.name}' must return weights held as "
                                 f"attributes of the layer")
            names = tuple(found[id(w)] for w in wanted)
        self._pruned_names = tuple(names)
        self.masks, self.thresholds = [], []
        for name in self._pruned_names:
            weight = getattr(self.layer, name)
            self.masks.append(self.add_weight("mask", weight.shape, "ones", trainable=False))
            self.thresholds.append(self.add_weight("threshold", (), "zeros", trainable=False))
        self.pruning_step = self.add_weight("pruning_step", (), "zeros", trainable=False,
                                            dtype="int64")
        self.pruning_step.assign(np.int64(-1))

    @property
    def weights(self):
        own = [*self.masks, *self.thresholds, self.pruning_step] if self.built else []
        return [*self.layer.weights, *own]

    @property
    def trainable_weights(self):
        return self.layer.trainable_weights if self.trainable else []

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        own = [*self.masks, *self.thresholds, self.pruning_step] if self.built else []
        return [*self.layer.non_trainable_weights, *own]

    def prunable_weights(self):
        """The wrapped layer's weights that are masked, in mask order."""
        return [getattr(self.layer, name) for name in self._pruned_names]

    # -- masks ----------------------------------------------------------------------------

    def update_mask(self):
        """Recompute the masks when the schedule prunes at the current ``pruning_step``, then
        set each pruned weight to ``w * mask``. Returns whether the masks were recomputed."""
        step = int(self.pruning_step.data)
        if step < 0:
            raise ValueError(_PRUNE_CALLBACK_ERROR_MSG)
        should_prune, sparsity = self.pruning_schedule(step)
        if should_prune:
            for weight, mask, threshold in zip(self.prunable_weights(), self.masks,
                                               self.thresholds):
                # magnitudes of the masked weight: what was pruned stays at the bottom
                new, smallest = magnitude_mask(weight.data * mask.data, sparsity,
                                               self.block_size, self.block_pooling_type)
                mask.assign(new)
                threshold.assign(np.float32(smallest))
        self.apply_masks()
        return should_prune

    def apply_masks(self):
        """``w <- w * mask``: a momentum optimizer may have moved pruned weights off zero
        (they take no part in the forward pass, but would in a stripped model)."""
        for weight, mask in zip(self.prunable_weights(), self.masks):
            # np.where, not w * mask: a pruned negative weight becomes +0.0, not -0.0
            weight.assign(np.where(mask.data != 0, weight.data, 0).astype(weight.data.dtype))

    # -- compute --------------------------------------------------------------------------

    def call(self, inputs, training=None):
        if training and int(self.pruning_step.data) < 0:
            raise ValueError(_PRUNE_CALLBACK_ERROR_MSG)
        with self._lock:
            saved = [getattr(self.layer, name) for name in self._pruned_names]
            try:
                for name, weight, mask in zip(self._pruned_names, saved, self.masks):
                    setattr(self.layer, name, ops.mul(weight, mask))
                if self._takes_training:
                    return self.layer(inputs, training=training)
                return self.layer(inputs)
            finally:
                for name, weight in zip(self._pruned_names, saved):
                    setattr(self.layer, name, weight)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "pruning_schedule": self.pruning_schedule.get_config(),
                "block_size": self.block_size, "block_pooling_type": self.block_pooling_type}
