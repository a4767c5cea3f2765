"""``prune_low_magnitude`` wraps layers for magnitude pruning; ``strip_pruning`` takes the
wrappers off again, with the masks baked into the weights (tfmot's two entry points).

A pruned weight ends as an exact zero: after ``strip_pruning``, ``w = w * mask``, so the
stripped model computes what the pruned one did, with plain layers that save and load as any
model. (A dense file does not shrink by holding zeros: see ``save_sparse``.)

>>> import numpy as np
>>> from glassnet import keras
>>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4),
...                           keras.layers.Dense(2)])
>>> pruned = prune_low_magnitude(model)
>>> [type(layer).__name__ for layer in pruned.layers]
['PruneLowMagnitude', 'PruneLowMagnitude']
>>> [type(layer).__name__ for layer in strip_pruning(pruned).layers]
['Dense', 'Dense']
"""

from __future__ import annotations

from glassnet.compress.pruning import schedules
from glassnet.compress.pruning.wrapper import PruneLowMagnitude, check_supported, is_prunable
from glassnet.io import clone_model, custom_object_scope
from glassnet.io.model_config import layer_from_config, layer_to_config
from glassnet.io.serialization import all_custom_objects
from glassnet.nn.layer import Layer
from glassnet.train import Model, Sequential

__all__ = ["prune_low_magnitude", "prune_scope", "strip_pruning"]


def prune_scope():
    """``with prune_scope(): keras.models.load_model(path)`` loads a model saved with its
    ``PruneLowMagnitude`` wrappers (tfmot's name)."""
    return custom_object_scope({"PruneLowMagnitude": PruneLowMagnitude})


def _copy_layer(layer, copies):
    """A new layer of ``layer``'s class and config; its weights are copied once the model
    around it is built (``copies`` collects the pairs)."""
    new = layer_from_config(layer_to_config(layer), all_custom_objects(
        {type(layer).__name__: type(layer)}))
    copies.append((layer, new))
    return new


def _check_model(model, caller):
    if not isinstance(model, (Sequential,)) and model._graph is None:
        raise ValueError(f"{caller}: subclassed models are not supported; only Sequential "
                         f"and functional models can be pruned. Received: '{model.name}' of "
                         f"type {type(model).__name__}")


def _copy_weights(copies):
    for old, new in copies:
        if old.built and new.built:
            new.set_weights(old.get_weights())


def prune_low_magnitude(to_prune, pruning_schedule=None, block_size=(1, 1),
                        block_pooling_type="AVG", pruning_policy=None, sparsity_m_by_n=None,
                        **kwargs):
    """Wrap ``to_prune`` for magnitude pruning during training.

    Args:
        to_prune: a layer (wrapped as it is), a list of layers (each wrapped), or a
            Sequential / functional model: a copy is returned (same weights; the original is
            left alone) in which every prunable layer is a ``PruneLowMagnitude``; layers
            without weights and normalization layers stay plain, any other layer with
            weights is refused.
        pruning_schedule: when and how much to prune (default ``ConstantSparsity(0.5, 0)``).
        block_size, block_pooling_type: prune ``block_size`` blocks of 2-D kernels together,
            pooled by "AVG" or "MAX".

    Returns:
        the wrapped layer, list or model. Train it with ``UpdatePruningStep()`` among
        ``fit``'s callbacks, then ``strip_pruning``.
    """
    if pruning_schedule is None:
        pruning_schedule = schedules.ConstantSparsity(0.5, 0)
    params = {"pruning_schedule": pruning_schedule, "block_size": block_size,
              "block_pooling_type": block_pooling_type, "pruning_policy": pruning_policy,
              "sparsity_m_by_n": sparsity_m_by_n, **kwargs}

    def wrap(layer):
        if isinstance(layer, PruneLowMagnitude):
            return layer
        return PruneLowMagnitude(layer, **params)

    if isinstance(to_prune, list):
        return [wrap(layer) for layer in to_prune]
    if isinstance(to_prune, Model):
        _check_model(to_prune, "prune_low_magnitude")
        copies = []

        def clone(layer):
            if isinstance(layer, Model):
                nested = prune_low_magnitude(layer, **params)
                return nested
            if isinstance(layer, PruneLowMagnitude):  # pruned already: kept as it is
                return _copy_layer(layer, copies)
            check_supported(layer)
            if not is_prunable(layer):
                return _copy_layer(layer, copies)
            return wrap(_copy_layer(layer, copies))

        if kwargs:
            raise ValueError(f"prune_low_magnitude: keyword arguments {sorted(kwargs)} apply "
                             f"to one layer; they cannot be given for a whole model")
        with custom_object_scope({"PruneLowMagnitude": PruneLowMagnitude}):
            pruned = clone_model(to_prune, clone_function=clone)
        _copy_weights(copies)
        return pruned
    if isinstance(to_prune, Layer):
        check_supported(to_prune)
        return wrap(to_prune)
    raise ValueError(f"`prune_low_magnitude` can only prune an object of the following "
                     f"types: keras.models.Sequential, keras functional model, "
                     f"keras.layers.Layer, list of keras.layers.Layer. You passed an object "
                     f"of type: {type(to_prune).__name__}.")


def strip_pruning(model):
    """A copy of ``model`` without ``PruneLowMagnitude`` wrappers: each wrapped layer is
    replaced by a copy of the layer inside, its pruned weights set to ``w * mask``.

    Args:
        model: a Sequential or functional model (possibly with nested models).

    Returns:
        a model of plain layers computing what ``model`` computes.
    """
    if not isinstance(model, Model):
        raise ValueError(f"Expected model to be a `keras.Model` instance but got: "
                         f"{type(model).__name__}")
    _check_model(model, "strip_pruning")
    copies = []

    def clone(layer):
        if isinstance(layer, Model):
            return strip_pruning(layer)
        if isinstance(layer, PruneLowMagnitude):
            if layer.built:
                layer.apply_masks()
            return _copy_layer(layer.layer, copies)
        return _copy_layer(layer, copies)

    with custom_object_scope({"PruneLowMagnitude": PruneLowMagnitude}):
        stripped = clone_model(model, clone_function=clone)
    _copy_weights(copies)
    return stripped
