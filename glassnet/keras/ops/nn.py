"""``keras.ops.nn``: activations, convolution and pooling, normalization, losses and attention,
each a glassnet op under Keras's name, argument names and defaults.

Layout conventions follow Keras: images are channels-last (``data_format="channels_first"``
is transposed in and out), attention tensors are (batch, length, heads, head_dim), and the
losses return one value per sample (per element for ``binary_crossentropy``), unreduced.

>>> from glassnet.keras import ops
>>> ops.softmax([[0.0, 0.0]]).tolist()
[[0.5, 0.5]]
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops as _ops
from glassnet.keras.ops.core import convert_to_tensor, floating
from glassnet.losses.ctc import ctc_loss

_t = convert_to_tensor

__all__ = [
    "average_pool", "batch_normalization", "binary_crossentropy", "categorical_crossentropy",
    "celu", "conv", "ctc_loss", "conv_transpose", "depth_to_space", "depthwise_conv",
    "dot_product_attention", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid",
    "log_softmax", "max_pool", "moments", "multi_hot", "normalize", "one_hot", "psnr", "relu",
    "relu6", "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink",
    "softmax", "softplus", "softsign", "space_to_depth", "sparse_categorical_crossentropy",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink",
    "threshold",
]

# -- activations ------------------------------------------------------------------------


def relu(x):
    return _ops.relu(floating(x))


def relu6(x):
    return _ops.relu6(floating(x))


def sigmoid(x):
    return _ops.sigmoid(floating(x))


def softplus(x):
    return _ops.softplus(floating(x))


def softsign(x):
    return _ops.softsign(floating(x))


def silu(x):
    return _ops.silu(floating(x))


swish = silu


def log_sigmoid(x):
    return _ops.log_sigmoid(floating(x))


def leaky_relu(x, negative_slope=0.2):
    return _ops.leaky_relu(floating(x), negative_slope)


def hard_sigmoid(x):
    return _ops.hard_sigmoid(floating(x))


def hard_silu(x):
    return _ops.hard_silu(floating(x))


hard_swish = hard_silu


def elu(x, alpha=1.0):
    return _ops.elu(floating(x), alpha)


def selu(x):
    return _ops.selu(floating(x))


def gelu(x, approximate=True):
    """GELU; Keras's default is the tanh approximation (``approximate=True``)."""
    return _ops.gelu(floating(x), approximate=approximate)


def celu(x, alpha=1.0):
    return _ops.celu(floating(x), alpha)


def glu(x, axis=-1):
    return _ops.glu(floating(x), axis)


def softmax(x, axis=-1):
    return _ops.softmax(floating(x), axis)


def log_softmax(x, axis=-1):
    return _ops.log_softmax(floating(x), axis)


def hard_tanh(x):
    return _ops.hard_tanh(floating(x))


def hard_shrink(x, threshold=0.5):
    return _ops.hard_shrink(floating(x), threshold)


def soft_shrink(x, threshold=0.5):
    return _ops.soft_shrink(floating(x), threshold)


def tanh_shrink(x):
    return _ops.tanh_shrink(floating(x))


def squareplus(x, b=4):
    return _ops.squareplus(floating(x), b)


def sparse_plus(x):
    return _ops.sparse_plus(floating(x))


def sparse_sigmoid(x):
    return _ops.sparse_sigmoid(floating(x))


def sparsemax(x, axis=-1):
    return _ops.sparsemax(floating(x), axis)


def threshold(x, threshold, default_value):
    return _ops.threshold(floating(x), threshold, default_value)


# -- convolution and pooling (channels-last, as the library) -------------------------


def _check_format(data_format, op):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format == "channels_first"


def _images(x, data_format, op):
    x = floating(x)
    if x.ndim != 4:
        raise ValueError(f"{op}: glassnet supports 2-D (4-D input: batch, height, width, "
                         f"channels) only. Received: inputs of shape {x.shape}")
    first = _check_format(data_format, op)
    return (_ops.transpose(x, (0, 2, 3, 1)) if first else x), first


def _restore(y, first):
    return _ops.transpose(y, (0, 3, 1, 2)) if first else y


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (2-D here); kernel (KH, KW, C_in / groups, C_out) as Keras stores it,
    groups inferred from the channel counts."""
    x, first = _images(inputs, data_format, "conv")
    w = floating(kernel)
    groups = x.shape[-1] // w.shape[2] if w.ndim == 4 and w.shape[2] else 1
    y = _ops.conv2d(x, w, strides=strides, padding=padding, dilation=dilation_rate,
                    groups=groups)
    return _restore(y, first)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution; kernel (KH, KW, C_out, C_in) as Keras."""
    if output_padding is not None:
        raise ValueError(f"conv_transpose: output_padding is not supported. Received: "
                         f"output_padding={output_padding!r}")
    x, first = _images(inputs, data_format, "conv_transpose")
    y = _ops.conv2d_transpose(x, floating(kernel), strides=strides, padding=padding,
                              dilation=dilation_rate)
    return _restore(y, first)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution; kernel (KH, KW, C, multiplier) becomes a grouped kernel
    (KH, KW, 1, C * multiplier) with one group per input channel."""
    x, first = _images(inputs, data_format, "depthwise_conv")
    w = floating(kernel)
    if w.ndim != 4 or w.shape[2] != x.shape[-1]:
        raise ValueError(f"depthwise_conv: expected a kernel (KH, KW, {x.shape[-1]}, "
                         f"multiplier) for {x.shape[-1]} channels. Received: kernel of shape "
                         f"{w.shape}")
    kh, kw, c, m = w.shape
    y = _ops.conv2d(x, _ops.reshape(w, (kh, kw, 1, c * m)), strides=strides, padding=padding,
                    dilation=dilation_rate, groups=c)
    return _restore(y, first)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution."""
    first = _check_format(data_format, "separable_conv")
    x, _ = _images(inputs, data_format, "separable_conv")
    y = depthwise_conv(x, depthwise_kernel, strides, padding, None, dilation_rate)
    return _restore(_ops.conv2d(y, floating(pointwise_kernel)), first)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x, first = _images(inputs, data_format, "max_pool")
    return _restore(_ops.max_pool2d(x, pool_size, strides, padding), first)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x, first = _images(inputs, data_format, "average_pool")
    return _restore(_ops.avg_pool2d(x, pool_size, strides, padding), first)


def depth_to_space(x, block_size, data_format="channels_last"):
    x, first = _images(x, data_format, "depth_to_space")
    return _restore(_ops.depth_to_space(x, block_size), first)


def space_to_depth(x, block_size, data_format="channels_last"):
    x, first = _images(x, data_format, "space_to_depth")
    return _restore(_ops.space_to_depth(x, block_size), first)


# -- normalization ------------------------------------------------------------------------


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of ``x`` over ``axes``."""
    return _ops.moments(floating(x), axes, keepdims=keepdims)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, the 1-D statistics laid along
    ``axis`` of ``x``."""
    x = floating(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def along(v):
        return None if v is None else _ops.reshape(floating(v), shape)

    return _ops.batch_normalization(x, along(mean), along(variance), along(offset),
                                    along(scale), epsilon)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    return _ops.layer_normalization(floating(x), None if gamma is None else floating(gamma),
                                    None if beta is None else floating(beta), axis, epsilon)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    return _ops.rms_normalization(floating(x), None if scale is None else floating(scale),
                                  axis, epsilon)


def normalize(x, axis=-1, order=2, epsilon=None):
    return _ops.normalize(floating(x), axis, order, epsilon)


# -- encodings, losses, metrics -------------------------------------------------------------


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported (glassnet tensors are dense)")
    x = _t(x)
    if x.dtype.kind == "f":  # Keras casts float labels (y_train as float32) to integers
        x = _ops.cast(x, "int64")
    return _ops.one_hot(x, num_classes, axis=axis, dtype=dtype)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported (glassnet tensors are dense)")
    num_classes = kwargs.pop("num_tokens", num_classes)  # Keras 2's spelling
    if num_classes is None:
        raise ValueError("multi_hot: num_classes is required")
    return _ops.multi_hot(_t(inputs), num_classes, axis=axis, dtype=dtype)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no reduction), as Keras."""
    target, output = floating(target), floating(output)
    if target.shape != output.shape:
        raise ValueError(f"binary_crossentropy: target and output must have the same shape. "
                         f"Received: target.shape={target.shape}, output.shape={output.shape}")
    # Each element is its own sample: a trailing axis of size 1 makes the library's
    # per-sample loss the elementwise one.
    per = _ops.binary_crossentropy(_ops.reshape(target, (-1, 1)),
                                   _ops.reshape(output, (-1, 1)),
                                   from_logits=from_logits, reduction="none")
    return _ops.reshape(per, output.shape)


def _per_sample_classes(fn, target, output, axis, from_logits, sparse):
    output = floating(output)
    if axis not in (-1, output.ndim - 1):
        output = _ops.moveaxis(output, axis, -1)
    lead, classes = output.shape[:-1], output.shape[-1]
    flat_target = _ops.reshape(target, (-1,) if sparse else (-1, classes))
    per = fn(flat_target, _ops.reshape(output, (-1, classes)), from_logits=from_logits,
             reduction="none")
    return _ops.reshape(per, lead)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy per sample over the class ``axis`` (no batch reduction), as Keras."""
    target = floating(target)
    if axis not in (-1, target.ndim - 1):
        target = _ops.moveaxis(target, axis, -1)
    return _per_sample_classes(_ops.categorical_crossentropy, target, output, axis,
                               from_logits, sparse=False)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy per sample with integer class labels (no batch reduction)."""
    return _per_sample_classes(_ops.sparse_categorical_crossentropy, _t(target), output, axis,
                               from_logits, sparse=True)


def psnr(x1, x2, max_val):
    return _ops.psnr(floating(x1), floating(x2), max_val)


# -- attention --------------------------------------------------------------------------


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """softmax(q k^T * scale + bias, masked) v with Keras's layout: query (B, T, N, H), key and
    value (B, S, N, H) -> (B, T, N, H); ``mask`` (True = attend) and ``bias`` broadcast to
    (B, N, T, S). ``scale`` defaults to 1 / sqrt(H).
    """
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: attn_logits_soft_cap is not supported")
    q, k, v = floating(query), floating(key), floating(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"dot_product_attention: expected 4-D query, key and value (batch, "
                         f"length, heads, head_dim). Received shapes {q.shape}, {k.shape}, "
                         f"{v.shape}")
    heads = (0, 2, 1, 3)  # (B, T, N, H) <-> (B, N, T, H), the library's (..., L, E) layout
    attn_mask = None
    if bias is not None:
        attn_mask = floating(bias)
        if mask is not None:
            attn_mask = _ops.where(_t(mask).numpy().astype(bool), attn_mask, float("-inf"))
    elif mask is not None:
        attn_mask = _t(mask).numpy().astype(bool)
    if is_causal and attn_mask is not None:  # Keras combines both: the mask and the causal
        causal = np.tril(np.ones((q.shape[1], k.shape[1]), bool))
        attn_mask = (causal & attn_mask if isinstance(attn_mask, np.ndarray)
                     else _ops.where(causal, attn_mask, float("-inf")))
        is_causal = False
    out = _ops.scaled_dot_product_attention(
        _ops.transpose(q, heads), _ops.transpose(k, heads), _ops.transpose(v, heads),
        attn_mask=attn_mask, is_causal=is_causal, scale=scale)
    return _ops.transpose(out, heads)
