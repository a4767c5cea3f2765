"""Structured pruning: remove whole units of Dense layers and filters of Conv layers, with
the matching input rows of the layer that reads them, so the model itself gets smaller.

A unit ``j`` of a layer with kernel ``W`` (its last axis indexes the units) is scored by the
norm of the weights that make it (Li et al., 2017, "Pruning Filters for Efficient ConvNets"):

    score_j = sum |W[..., j]|            (norm="l1")
    score_j = sqrt(sum W[..., j] ** 2)   (norm="l2")

and the ``round(units * sparsity)`` lowest-scoring units go (at least one stays). What is
removed: the unit's kernel slice and bias; its channel in every BatchNormalization between
it and the next Dense/Conv layer (pooling, activations, dropout, padding and Flatten pass
channels through); and the next layer's input rows (after Flatten, the rows of that channel
at every position). A unit whose kernel slice and bias are zero contributes nothing, so
removing it leaves the predictions unchanged; any other removal changes them, which is what
fine-tuning then repairs.

The model's output layer keeps its units; a layer whose output reaches anything else (a
merge, a reshape, the model's output, a ``PruneLowMagnitude`` wrapper: ``strip_pruning``
first) is left whole.

>>> import numpy as np
>>> from glassnet import keras
>>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, activation="relu"),
...                           keras.layers.Dense(3)])
>>> small = prune_structured(model, 0.5)
>>> small.layers[0].units, small.count_params(), model.count_params()
(5, 63, 123)
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.io import clone_model
from glassnet.io.model_config import layer_from_config, layer_to_config
from glassnet.io.serialization import all_custom_objects
from glassnet.nn import layers as L
from glassnet.train import Model, Sequential

__all__ = ["prune_structured", "unit_scores"]

_PRUNED = (L.Dense, L.Conv1D, L.Conv2D, L.Conv3D)
_NOT_PRUNED = (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose, L.DepthwiseConv1D,
               L.DepthwiseConv2D, L.SeparableConv1D, L.SeparableConv2D)
# Layers that act on each channel alone, keeping channels on the last axis.
_PASS = (L.Activation, L.ReLU, L.LeakyReLU, L.ELU, L.Softmax, L.Dropout, L.SpatialDropout1D,
         L.SpatialDropout2D, L.SpatialDropout3D, L.GaussianDropout, L.GaussianNoise,
         L.AlphaDropout, L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D, L.AveragePooling1D,
         L.AveragePooling2D, L.AveragePooling3D, L.GlobalAveragePooling1D,
         L.GlobalAveragePooling2D, L.GlobalAveragePooling3D, L.GlobalMaxPooling1D,
         L.GlobalMaxPooling2D, L.GlobalMaxPooling3D, L.ZeroPadding1D, L.ZeroPadding2D,
         L.ZeroPadding3D, L.Cropping1D, L.Cropping2D, L.Cropping3D, L.UpSampling1D,
         L.UpSampling2D, L.UpSampling3D, L.Identity, L.ActivityRegularization)
NORMS = ("l1", "l2")


def unit_scores(kernel, norm="l1"):
    """The norm of each unit's weights: ``kernel[..., j]`` over every other axis."""
    if norm not in NORMS:
        raise ValueError(f"unit_scores: norm must be one of {list(NORMS)}. Received: "
                         f"norm={norm!r}")
    flat = np.asarray(kernel, np.float64).reshape(-1, kernel.shape[-1])
    if norm == "l1":
        return np.abs(flat).sum(axis=0)
    return np.sqrt((flat * flat).sum(axis=0))


def _chain(model):
    """The model's layers in call order, if each one feeds only the next; else a ValueError."""
    if isinstance(model, Sequential):
        return list(model.layers)
    graph = model._graph
    if graph is None:
        raise ValueError(f"prune_structured: subclassed models are not supported; received "
                         f"'{model.name}' of type {type(model).__name__}")
    nodes = graph.nodes
    previous = graph.inputs[0] if len(graph.inputs) == 1 else None
    layers = []
    for node in nodes:
        if node.inputs is not previous or node.args or node.layer in layers:
            raise ValueError(f"prune_structured: only models whose layers form a chain (each "
                             f"layer called once, on the previous layer's output) are "
                             f"supported; '{model.name}' branches at layer '{node.layer.name}'")
        layers.append(node.layer)
        previous = node
    return layers


def _channel_bn(layer):
    """Whether ``layer`` is a BatchNormalization over the last axis only."""
    return (isinstance(layer, L.BatchNormalization) and len(layer.axes) == 1
            and layer.axes[0] == len(layer.reduce_axes))


def _prunable(layer):
    return (isinstance(layer, _PRUNED) and not isinstance(layer, _NOT_PRUNED)
            and getattr(layer, "groups", 1) == 1
            and getattr(layer, "data_format", "channels_last") == "channels_last")


def _plan(layers):
    """For each prunable layer index: (between: indices of the BatchNormalization layers to
    slice, consumer index, whether a Flatten comes between)."""
    plans = {}
    for i, layer in enumerate(layers):
        if not _prunable(layer):
            continue
        between, flattened = [], False
        for j in range(i + 1, len(layers)):
            nxt = layers[j]
            if _prunable(nxt):
                if not (flattened and not isinstance(nxt, L.Dense)):
                    plans[i] = (between, j, flattened)
                break
            if _channel_bn(nxt):
                between.append(j)
            elif isinstance(nxt, L.Flatten):
                flattened = True
            elif not isinstance(nxt, _PASS):
                break
    return plans


def _sparsity_for(sparsity, layer):
    value = sparsity.get(layer.name, 0.0) if isinstance(sparsity, dict) else sparsity
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= value < 1.0:
        raise ValueError(f"prune_structured: sparsity must be in range [0,1). Received: "
                         f"sparsity={value!r} for layer '{layer.name}'")
    return float(value)


def _kept(layer, sparsity, norm):
    units = layer.kernel.shape[-1]
    removed = min(int(np.round(units * sparsity)), units - 1)
    order = np.argsort(unit_scores(layer.kernel.data, norm), kind="stable")
    return np.sort(order[removed:])


def _input_rows(consumer, keep, channels, flattened):
    if not flattened:
        return keep
    rows = consumer.kernel.shape[0]
    positions = rows // channels  # Flatten puts channels fastest: row = p * channels + c
    return (np.arange(positions)[:, None] * channels + keep[None, :]).reshape(-1)


def prune_structured(model, sparsity=0.5, norm="l1"):
    """A smaller copy of ``model`` without the lowest-norm units of its Dense layers and
    filters of its Conv1D/2D/3D layers (see the module's docstring for what is removed).

    Args:
        model: a built Sequential or functional model whose layers form a chain.
        sparsity: the fraction of units to remove in each prunable layer, in [0, 1); or a
            dict {layer name: fraction} (layers not named keep all their units).
        norm: "l1" or "l2", how units are scored.

    Returns:
        a new model (same class) with the weights that remain; ``model`` is left alone.
    """
    if not isinstance(model, Model):
        raise TypeError(f"prune_structured: expected a Sequential or functional Model. "
                        f"Received: {type(model).__name__}")
    if not model.built:
        raise ValueError(f"prune_structured: the model '{model.name}' is not built; give it "
                         f"an Input or call it on data first")
    if norm not in NORMS:
        raise ValueError(f"prune_structured: norm must be one of {list(NORMS)}. Received: "
                         f"norm={norm!r}")
    if not isinstance(sparsity, dict):
        _sparsity_for(sparsity, model)  # checked even when no layer is prunable
    if isinstance(sparsity, dict):
        names = {layer.name for layer in model.layers}
        unknown = sorted(set(sparsity) - names)
        if unknown:
            raise ValueError(f"prune_structured: sparsity names layers the model does not "
                             f"have: {unknown}")
    layers = [layer for layer in _chain(model) if not isinstance(layer, L.InputLayer)]
    out_keep, in_keep = {}, {}
    for i, (between, j, flattened) in _plan(layers).items():
        layer = layers[i]
        keep = _kept(layer, _sparsity_for(sparsity, layer), norm)
        if len(keep) == layer.kernel.shape[-1]:
            continue
        out_keep[id(layer)] = keep
        for b in between:
            out_keep[id(layers[b])] = keep
        in_keep[id(layers[j])] = _input_rows(layers[j], keep, layer.kernel.shape[-1],
                                             flattened)
    copies = []

    def clone(layer):
        config = layer_to_config(layer)
        keep = out_keep.get(id(layer))
        if keep is not None and not isinstance(layer, L.BatchNormalization):
            config["config"]["units" if isinstance(layer, L.Dense) else "filters"] = len(keep)
        new = layer_from_config(config, all_custom_objects({type(layer).__name__: type(layer)}))
        copies.append((layer, new))
        return new

    small = clone_model(model, clone_function=clone)
    for old, new in copies:
        if old.built:
            new.set_weights(_sliced(old, out_keep.get(id(old)), in_keep.get(id(old))))
    return small


def _sliced(layer, keep, rows):
    """``layer``'s weights with units ``keep`` (last axis) and input rows ``rows`` kept."""
    if keep is None and rows is None:
        return layer.get_weights()
    if isinstance(layer, L.BatchNormalization):
        return [w[keep] for w in layer.get_weights()]
    weights = []
    for w in layer.weights:
        value = w.data
        if w is layer.kernel:
            if rows is not None:  # the input axis: first for Dense, second to last for Conv
                value = value[rows] if isinstance(layer, L.Dense) else value[..., rows, :]
            if keep is not None:
                value = value[..., keep]
        elif keep is not None and w is getattr(layer, "bias", None):
            value = value[keep]
        weights.append(np.ascontiguousarray(value))
    return weights
