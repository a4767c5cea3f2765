"""Naming the layer where training went non-finite (used by TerminateOnNaN)."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.nn import layer as layer_module


def first_non_finite(model, xs):
    """The first layer (in call order) whose output on ``xs`` is not finite; else the first
    whose weights' gradient is not finite; else a word that the loss alone went non-finite.

    Runs only after a non-finite loss, on the same batch and the weights before the update.
    """
    with no_grad(), layer_module.trace_calls() as calls:
        model._forward(xs, training=True)
    for layer, out in calls:
        values = out if isinstance(out, list) else [out]
        if layer is not model and any(not np.isfinite(v.data).all() for v in values):
            return f"the output of layer '{layer.name}' ({type(layer).__name__}) became " \
                   f"non-finite"
    for layer in model._all_layers():
        for p in layer._own_parameters():
            if p.grad is not None and not np.isfinite(p.grad).all():
                return f"the gradient of layer '{layer.name}' ({type(layer).__name__}) " \
                       f"became non-finite"
    return "the loss became non-finite while every layer output was finite: check the " \
           "labels and the loss"
