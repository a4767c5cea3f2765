"""Activation functions by name (Keras's ``keras.activations``).

The differentiable ones with hand-written gradients live in ``glassnet.autograd.ops``; the
rest are composed from them here, so their gradients come from the chain rule.
"""

from __future__ import annotations

from glassnet.autograd import ops
from glassnet.autograd.ops import more_activations as _more
from glassnet.naming import lookup


def linear(x):
    """The identity (no activation)."""
    return x


def exponential(x):
    """e ** x."""
    return ops.exp(x)


relu = ops.relu
sigmoid = ops.sigmoid
tanh = ops.tanh
softmax = ops.softmax
log_softmax = ops.log_softmax
softplus = ops.softplus
elu = ops.elu
selu = ops.selu
gelu = ops.gelu
silu = ops.silu
swish = ops.silu
relu6 = _more.relu6
hard_sigmoid = _more.hard_sigmoid
hard_silu = _more.hard_silu
hard_swish = _more.hard_swish
mish = _more.mish
softsign = _more.softsign
log_sigmoid = _more.log_sigmoid
celu = _more.celu
glu = _more.glu
leaky_relu = ops.leaky_relu

ACTIVATIONS = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax, "softplus": softplus, "softsign": softsign, "elu": elu,
    "selu": selu, "gelu": gelu, "silu": silu, "swish": swish, "leaky_relu": leaky_relu,
    "relu6": relu6, "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu,
    "hard_swish": hard_silu, "exponential": exponential, "mish": mish,
    "log_sigmoid": log_sigmoid, "celu": celu, "glu": glu,
}
_NAMES = {id(fn): name for name, fn in ACTIVATIONS.items() if name not in ("swish", "hard_swish")}


def get(identifier):
    """An activation function from its name, a callable, or None (linear).

    >>> get("relu") is relu, get(None) is linear
    (True, True)
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    return lookup(ACTIVATIONS, identifier, "activation")


def serialize(fn):
    """The name of a built-in activation, or the callable itself for user functions."""
    return _NAMES.get(id(fn), fn)


__all__ = sorted(ACTIVATIONS) + ["get", "serialize"]
