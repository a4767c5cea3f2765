"""The trick: a graph's calls of built-in layers made straight to ``layer.call``.

``Layer.__call__`` is general: symbolic inputs, masks in and out, input conversion and
``input_spec``, building on the first call, forgetting the previous call's ``add_loss``
terms, activity regularizers and the per-layer call trace. Inside a compiled graph, for the
layers below, none of that changes anything once the tensor arriving is a ``Tensor`` of the
layer's dtype with no mask: their ``call`` adds no losses and reads no mask, and the graph
built them. What remains is ``check_input`` (it names the layer in a shape error) and
``call``. That is about 7 us a layer of Python, a third of a one-sample predict of the
Fashion-MNIST MLP, which a server pays on every request.

Where no gradient is wanted (``predict``, ``predict_on_batch``, a server, ``model(x)``
under ``no_grad``) and the model is not training, Dense, Flatten and Dropout skip the op
objects as well and compute on the arrays: Dense's ``x @ w + b`` with its ReLU or softmax done
in place on the fresh product (the same formulas as the readable ops ``Linear``, ``ReLU`` and
``Softmax``, in the same order, so the same bits), Flatten's reshape, Dropout's identity. A
one-sample predict of that MLP then costs about what PyTorch's does
(``benchmarks/mlp_training.py``).

The replacement is decided when the graph is compiled, from the layer's exact type (a
subclass may override ``call`` with anything), and checked at each call: anything else (a
mask, another dtype, an activity regularizer set since, a ``trace_calls`` block open) runs
the call as it was.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import _grad_mode
from glassnet.autograd.tensor import Tensor
from glassnet.nn import activations
from glassnet.nn.context import _call_trace
from glassnet.nn.layers.convolutional import Conv2D
from glassnet.nn.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from glassnet.nn.layers.normalization import BatchNormalization
from glassnet.nn.layers.pooling import AveragePooling2D, MaxPooling2D

# Exact types whose ``call`` only computes: no add_loss/add_metric, no mask read, no state
# beyond their weights (BatchNormalization's moving averages are weights).
DIRECT_TYPES = frozenset({Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense,
                          Dropout, Flatten, MaxPooling2D, Reshape})


def _relu_in_place(y):
    return np.maximum(y, 0, out=y)  # ReLU.forward: max(x, 0)


def _softmax_in_place(y):
    # Softmax.forward along the last axis: e = exp(x - max); e /= sum(e).
    y -= y.max(axis=-1, keepdims=True)
    np.exp(y, out=y)
    y /= y.sum(axis=-1, keepdims=True)
    return y


# Activations computed in place on an array the layer has just allocated.
_IN_PLACE = {activations.linear: lambda y: y, activations.relu: _relu_in_place,
             activations.softmax: _softmax_in_place}


def _dense(layer, x):
    w, b = layer.kernel.data, layer.bias
    act = _IN_PLACE.get(layer.activation)
    if (act is None or x.__class__ is not w.__class__  # a host input for a GPU layer
            or x.ndim < 2 or x.shape[-1] != w.shape[0] or w.dtype != x.dtype
            or b is not None and b.data.dtype != x.dtype):
        return None  # the general call: its check_input names the layer in a shape error
    y = x @ w  # Linear.forward: x @ w + b
    if b is not None:
        y += b.data
    return Tensor._from_op(act(y), None)


def _flatten(layer, x):
    if layer.data_format == "channels_first" and x.ndim > 2:
        return None
    return Tensor._from_op(x.reshape(x.shape[0], -1), None)


def _dropout(layer, x):
    return Tensor._from_op(x, None)  # not training: the identity


# The array computations of a call that needs no gradient and is not training, by exact type;
# each returns None where it does not apply (the call then runs as usual).
WITHOUT_GRADIENT = {Dense: _dense, Flatten: _flatten, Dropout: _dropout}


def may_call_directly(step) -> bool:
    """Whether ``step`` (a plain ``graph.Step``) may become a ``DirectStep``."""
    return type(step.layer) in DIRECT_TYPES and not step.kwargs and not isinstance(
        step.args, list)


class DirectStep:
    """``slots[out] = layer.call(slots[args])`` when the call qualifies, else the ``Step``."""

    __slots__ = ("step", "layer", "args", "out", "training", "takes_training", "array_call")

    def __init__(self, step):
        self.step, self.layer, self.args, self.out = step, step.layer, step.args, step.out
        self.training = step.training
        self.takes_training = step.layer._call_takes_training
        self.array_call = WITHOUT_GRADIENT.get(type(step.layer))

    def run(self, slots, training):
        layer, x = self.layer, slots[self.args]
        if (x.__class__ is not Tensor or x.data.dtype != layer.dtype
                or getattr(x, "_keras_mask", None) is not None or not layer.built
                or layer.activity_regularizer is not None or _call_trace.get() is not None):
            self.step.run(slots, training)
            return
        mode = training if self.training is None else self.training
        if self.array_call is not None and not mode and not _grad_mode.enabled:
            out = self.array_call(layer, x.data)  # None where the input does not fit
            if out is not None:
                slots[self.out] = out
                return
        layer.check_input(x)
        if self.takes_training:
            slots[self.out] = layer.call(x, training=mode)
        else:
            slots[self.out] = layer.call(x)


def rewrite(steps, step_type):
    """``steps`` with each plain ``step_type`` step of a qualifying layer as a
    ``DirectStep``."""
    return [DirectStep(s) if s.__class__ is step_type and may_call_directly(s) else s
            for s in steps]
