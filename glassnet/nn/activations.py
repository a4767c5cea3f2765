"""Activation functions by name (Keras's ``keras.activations``).

The differentiable ones with hand-written gradients live in ``glassnet.autograd.ops``; the
rest are composed from them here, so their gradients come from the chain rule.
"""

from __future__ import annotations

from glassnet.autograd import ops
from glassnet.naming import lookup


def linear(x):
    """The identity (no activation)."""
    return x


def softsign(x):
    """x / (1 + |x|)."""
    return x / (ops.abs(x) + 1.0)


def relu6(x):
    """min(max(x, 0), 6)."""
    return ops.clip(x, 0.0, 6.0)


def hard_sigmoid(x):
    """relu6(x + 3) / 6, a piecewise-linear sigmoid (Keras 3's definition)."""
    return relu6(x + 3.0) * (1.0 / 6.0)


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    return x * hard_sigmoid(x)


def exponential(x):
    """e ** x."""
    return ops.exp(x)


def mish(x):
    """x * tanh(softplus(x))."""
    return x * ops.tanh(ops.softplus(x))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable."""
    return -ops.softplus(-x)


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
hard_swish = hard_silu
leaky_relu = ops.leaky_relu

ACTIVATIONS = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax, "softplus": softplus, "softsign": softsign, "elu": elu,
    "selu": selu, "gelu": gelu, "silu": silu, "swish": swish, "leaky_relu": leaky_relu,
    "relu6": relu6, "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu,
    "hard_swish": hard_silu, "exponential": exponential, "mish": mish,
    "log_sigmoid": log_sigmoid,
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
