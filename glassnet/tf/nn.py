"""``tf.nn``: activations, losses on logits, normalization, convolution and pooling with
TensorFlow's argument names (``features``, ``logits``, ``alpha``, ``ksize``, ``strides``,
``padding="SAME"``), over the op library. ``glassnet.nn`` re-exports these, so
``import glassnet as tf; tf.nn.relu(x)`` finds them next to the layers.

Convolution and pooling are channels-last (NHWC) with tf's (height, width, in, out) filters,
which is glassnet's own layout, so they map one to one.

>>> import glassnet as tf
>>> tf.nn.relu([-1.0, 2.0]).tolist()
[0.0, 2.0]
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops import (  # noqa: F401 - re-exported under tf's names
    batch_normalization,
    elu,
    l2_normalize,
    relu,
    relu6,
    selu,
    sigmoid,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    softsign,
    sparse_softmax_cross_entropy_with_logits,
    tanh,
)
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.nn_functions import gather
from glassnet.tf.math import top_k  # noqa: F401
from glassnet.tf.random import _generator

__all__ = [
    "avg_pool", "avg_pool2d", "batch_normalization", "bias_add", "compute_average_loss",
    "conv1d", "conv2d", "depthwise_conv2d", "dropout", "elu", "embedding_lookup", "gelu",
    "l2_loss", "l2_normalize", "leaky_relu", "log_poisson_loss", "log_softmax", "max_pool",
    "max_pool2d", "moments", "relu", "relu6", "scale_regularization_loss", "selu", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "silu", "softmax", "softmax_cross_entropy_with_logits",
    "softplus", "softsign", "sparse_softmax_cross_entropy_with_logits", "swish", "tanh",
    "top_k", "weighted_cross_entropy_with_logits",
]


# -- activations ------------------------------------------------------------------------------


def softmax(logits, axis=None, name=None):
    """exp(x) / sum(exp(x)) along ``axis`` (None: the last), stable for any magnitude."""
    return ops.softmax(logits, -1 if axis is None else axis)


def log_softmax(logits, axis=None, name=None):
    """x - logsumexp(x) along ``axis`` (None: the last)."""
    return ops.log_softmax(logits, -1 if axis is None else axis)


def leaky_relu(features, alpha=0.2, name=None, negative_slope=None):
    """x for x > 0, alpha * x otherwise (``negative_slope`` is glassnet's name for alpha)."""
    return ops.leaky_relu(features, alpha if negative_slope is None else negative_slope)


def gelu(features, approximate=False, name=None):
    """x * Phi(x), Phi the standard normal CDF (``approximate``: the tanh form)."""
    return ops.gelu(features, approximate)


def silu(features, beta=1.0):
    """x * sigmoid(beta * x) (swish)."""
    return ops.silu(features) if beta == 1.0 else features * ops.sigmoid(beta * constant(
        features))


swish = silu


def softplus(features, name=None, beta=1.0, threshold=None):
    """log(1 + e**x), computed without overflow."""
    return ops.softplus(features, beta, threshold)


def dropout(x, rate=0.5, noise_shape=None, seed=None, name=None, training=True,
            generator=None):
    """Zero each entry with probability ``rate`` and scale the rest by 1 / (1 - rate).

    As tf.nn.dropout it always applies (``training=False`` returns x, as glassnet's op);
    ``seed`` draws from a generator seeded with it.
    """
    if generator is None and seed is not None:
        generator = _generator(seed)
    return ops.dropout(x, rate, training, generator, noise_shape)


# -- losses and normalization -----------------------------------------------------------------


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """The logistic loss with positives weighted by ``pos_weight``:
    (1 - z) x + (1 + (q - 1) z) (log1p(e**-|x|) + max(-x, 0)), stable form as tf."""
    x = constant(logits)
    z = constant(labels, like=x)
    log_weight = 1 + (constant(pos_weight, like=x) - 1) * z
    return (1 - z) * x + log_weight * (ops.log1p(ops.exp(-ops.abs(x))) + ops.relu(-x))


def l2_loss(t, name=None):
    """sum(t**2) / 2.

    >>> l2_loss([1.0, 2.0]).item()
    2.5
    """
    t = constant(t)
    return ops.sum(t * t) / 2


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) over ``axes``; ``shift`` is accepted and unused, as in tf 2."""
    return ops.moments(x, axes, keepdims)


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis: the last (NHWC, the default) or axis 1
    ("NC...")."""
    value, bias = constant(value), constant(bias)
    if bias.ndim != 1:
        raise ValueError(f"bias_add: bias must be 1-D; received shape {bias.shape}")
    channels_first = data_format is not None and str(data_format).startswith("NC")
    axis = 1 if channels_first else -1
    if value.ndim < 2 or value.shape[axis] != bias.shape[0]:
        raise ValueError(f"bias_add: bias of shape {bias.shape} does not match the channel "
                         f"axis of value of shape {value.shape}")
    if channels_first:
        bias = ops.reshape(bias, (-1,) + (1,) * (value.ndim - 2))
    return value + bias


def embedding_lookup(params, ids, max_norm=None, name=None):
    """The rows of ``params`` named by ``ids`` (shape ids.shape + params.shape[1:]); with
    ``max_norm``, each row is rescaled to L2 norm at most max_norm."""
    rows = gather(params, ids, axis=0)
    if max_norm is None:
        return rows
    return ops.clip_by_norm(rows, max_norm, axes=[rows.ndim - 1])


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """sum(per-example loss * weight) / global_batch_size (default: the number of examples)."""
    loss = constant(per_example_loss)
    if sample_weight is not None:
        loss = loss * sample_weight
    n = loss.shape[0] if global_batch_size is None and loss.ndim else global_batch_size
    return ops.sum(loss) / (1 if n is None else n)


# -- convolution and pooling --------------------------------------------------------------------


def _spatial(value, name, op):
    """tf's strides / ksize / dilations: n, [n], [h, w] or [1, h, w, 1] -> (h, w)."""
    if value is None:
        return (1, 1)
    v = [int(n) for n in np.asarray(value).reshape(-1)]
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) == 2:
        return tuple(v)
    if len(v) == 4 and v[0] == v[3] == 1:
        return (v[1], v[2])
    raise ValueError(f"{op}: {name} must be an int, or 1, 2 or 4 ints with 1 for the batch "
                     f"and channel dimensions (NHWC); received {value!r}")


def _padding(padding, op):
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise ValueError(f"{op}: padding must be 'SAME', 'VALID' or explicit pairs; "
                             f"received {padding!r}")
        return padding.lower()
    pads = [tuple(int(v) for v in p) for p in padding]
    if len(pads) != 4 or pads[0] != (0, 0) or pads[3] != (0, 0):
        raise ValueError(f"{op}: explicit padding must be [[0, 0], [top, bottom], [left, "
                         f"right], [0, 0]]; received {padding!r}")
    return (pads[1], pads[2])


def _nhwc(data_format, op):
    if data_format not in (None, "NHWC"):
        raise ValueError(f"{op}: only data_format='NHWC' is supported (glassnet is channels-"
                         f"last); received {data_format!r}")


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,  # noqa: A002
           name=None):
    """2-D convolution of input (N, H, W, C) with filters (KH, KW, C, F)."""
    _nhwc(data_format, "conv2d")
    return ops.conv2d(input, filters, None, _spatial(strides, "strides", "conv2d"),
                      _padding(padding, "conv2d"), _spatial(dilations, "dilations", "conv2d"))


def depthwise_conv2d(input, filter, strides, padding, data_format=None,  # noqa: A002
                     dilations=None, name=None):
    """Each input channel convolved with its own M filters, filter (KH, KW, C, M) ->
    output (N, OH, OW, C * M), channel c * M + m; a grouped convolution with C groups."""
    _nhwc(data_format, "depthwise_conv2d")
    w = constant(filter)
    if w.ndim != 4:
        raise ValueError(f"depthwise_conv2d: filter must be (height, width, channels, "
                         f"multiplier); received shape {w.shape}")
    kh, kw, c, m = w.shape
    return ops.conv2d(input, ops.reshape(w, (kh, kw, 1, c * m)), None,
                      _spatial(strides, "strides", "depthwise_conv2d"),
                      _padding(padding, "depthwise_conv2d"),
                      _spatial(dilations, "dilations", "depthwise_conv2d"), groups=c)


def _pool(fn, input, ksize, strides, padding, data_format, op):  # noqa: A002
    _nhwc(data_format, op)
    padding = _padding(padding, op)
    if not isinstance(padding, str):
        raise ValueError(f"{op}: padding must be 'SAME' or 'VALID'")
    return fn(input, _spatial(ksize, "ksize", op), _spatial(strides, "strides", op), padding)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """The maximum of each ksize window of input (N, H, W, C)."""
    return _pool(ops.max_pool2d, input, ksize, strides, padding, data_format, "max_pool2d")


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """The mean of each ksize window (with "SAME", of its real, unpadded values)."""
    return _pool(ops.avg_pool2d, input, ksize, strides, padding, data_format, "avg_pool2d")


max_pool, avg_pool = max_pool2d, avg_pool2d  # tf's N-d names; here 2-D inputs only


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,  # noqa: A002
           name=None):
    """1-D convolution of input (N, W, C) with filters (K, C, F): conv2d over a height of 1."""
    if data_format not in (None, "NWC"):
        raise ValueError(f"conv1d: only data_format='NWC' is supported; received "
                         f"{data_format!r}")

    def one(value, arg):
        v = [1] if value is None else [int(n) for n in np.asarray(value).reshape(-1)]
        if len(v) == 3 and v[0] == v[2] == 1:
            v = v[1:2]
        if len(v) != 1:
            raise ValueError(f"conv1d: {arg} must be an int or [1, n, 1]; received {value!r}")
        return (1, v[0])

    x, w = constant(input), constant(filters)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(f"conv1d: expected input (batch, width, channels) and filters "
                         f"(width, in_channels, out_channels); received shapes {x.shape} "
                         f"and {w.shape}")
    out = ops.conv2d(ops.expand_dims(x, 1), ops.expand_dims(w, 0), None,
                     one(stride, "stride"), _padding(padding, "conv1d"),
                     one(dilations, "dilations"))
    return ops.squeeze(out, 1)


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """exp(c) - z c per element, with c = log_input; ``compute_full_loss`` adds Stirling's
    z log z - z + 0.5 log(2 pi z) where z > 1, as tf."""
    z, c = constant(targets), constant(log_input)
    loss = ops.exp(c) - z * c
    if compute_full_loss:
        zs = z.data
        safe = np.where(zs > 1, zs, 1.0)
        stirling = np.where(zs > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe),
                            0.0).astype(loss.dtype)
        loss = loss + stirling
    return loss


def scale_regularization_loss(regularization_loss, name=None):
    """The regularization loss as a replica's share: glassnet trains in one replica, so the
    sum of the given losses."""
    losses = regularization_loss if isinstance(regularization_loss, (list, tuple)) else \
        [regularization_loss]
    total = constant(losses[0])
    for term in losses[1:]:
        total = total + term
    return ops.sum(total)
