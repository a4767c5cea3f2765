"""Layer pairs that ``Sequential`` runs as one op when it runs eagerly.

Conv2D(activation="relu") followed by MaxPooling2D(2): ``ops.conv2d_relu_max_pool`` computes
exactly what the two layers compute (the same values and gradients, bit for bit), in one pass
over each slice of the batch while the convolution's output is in cache (see
``autograd/ops/conv_pool.py``). Both layers stay what they are for everything else: weights,
summary, saving, symbolic tracing (``layer.output``), export. A pair is fused only when
nothing needs the convolution's own output: no activity regularizer, no per-layer output
trace (the one ``TerminateOnNaN`` uses to name a layer), channels-last, no groups.
"""

from __future__ import annotations

from glassnet.autograd import ops
from glassnet.nn import activations
from glassnet.nn import layer as layer_module
from glassnet.nn.layers.convolutional import Conv2D
from glassnet.nn.layers.pooling import MaxPooling2D


def may_fuse(first, second) -> bool:
    """The cheap first test (layer types only), so that models without such pairs pay
    nothing more per call."""
    return type(first) is Conv2D and type(second) is MaxPooling2D


def conv_relu_pool(conv, pool) -> bool:
    """Whether ``conv`` then ``pool`` can run as one ``conv2d_relu_max_pool`` op."""
    return (type(conv) is Conv2D and type(pool) is MaxPooling2D
            and conv.activation is activations.relu and conv.groups == 1
            and conv.data_format == "channels_last" and pool.data_format == "channels_last"
            and pool.pool_size == (2, 2) and pool.strides == (2, 2) and pool.padding == "valid"
            and conv.activity_regularizer is None and pool.activity_regularizer is None
            and conv.dtype == pool.dtype and not layer_module.tracing_calls())


def call_conv_relu_pool(conv, pool, x):
    """``pool(conv(x))`` as one op, with the checks and building the two calls would do."""
    x = conv._convert_inputs(x)
    if not conv.built:
        conv._build_for(tuple(x.shape))
    conv.check_input(x)
    if not pool.built:
        pool._build_for(tuple(conv.compute_output_shape(tuple(x.shape))))
    return ops.conv2d_relu_max_pool(x, conv.kernel, conv.bias, conv.strides, conv.padding,
                                    conv.dilation_rate)
