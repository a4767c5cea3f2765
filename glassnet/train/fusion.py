"""Rewrites of a model's list of layer calls (``graph.LayerGraph.steps``) that run several
calls as one op. The layers stay what they are for everything else: weights, summary,
saving, symbolic tracing (``layer.output``), export.

Conv2D(activation="relu") followed by MaxPooling2D(2): ``kernels.conv2d_relu_max_pool``
computes exactly what the two layers compute (the same values and gradients, bit for bit), in
one pass over each slice of the batch while the convolution's output is in cache. A pair is
fused only when nothing else reads the convolution's output (no other consumer, not a model
output) and, checked at each call since a layer's settings may change, when nothing needs
that output: no activity regularizer, no per-layer output trace (the one ``TerminateOnNaN``
uses to name a layer), channels-last, no groups.
"""

from __future__ import annotations

from glassnet import backend, kernels
from glassnet.autograd.ops.activation import relu_rule_in_effect
from glassnet.nn import activations
from glassnet.nn import layer as layer_module
from glassnet.nn.layers.convolutional import Conv2D
from glassnet.nn.layers.pooling import MaxPooling2D


def may_fuse(first, second) -> bool:
    """The cheap first test (layer types only), made once when the graph is compiled."""
    return type(first) is Conv2D and type(second) is MaxPooling2D


def conv_relu_pool(conv, pool) -> bool:
    """Whether ``conv`` then ``pool`` can run as one ``conv2d_relu_max_pool`` op now."""
    return (conv.activation is activations.relu and conv.groups == 1
            and conv.data_format == "channels_last" and pool.data_format == "channels_last"
            and pool.pool_size == (2, 2) and pool.strides == (2, 2) and pool.padding == "valid"
            and conv.activity_regularizer is None and pool.activity_regularizer is None
            and conv.dtype == pool.dtype and not layer_module.tracing_calls()
            and relu_rule_in_effect() == "standard")


class ConvReluPoolStep:
    """The calls ``conv`` then ``pool`` of a graph, as one op when they qualify."""

    __slots__ = ("conv", "pool")

    def __init__(self, conv, pool):
        self.conv, self.pool = conv, pool

    def run(self, slots, training):
        conv, pool = self.conv.layer, self.pool.layer
        x = slots[self.conv.args]
        # Tracing built both layers; a tensor of the conv's dtype needs no conversion. Any
        # other case runs the two calls as they are, and so does a GPU tensor: the fused
        # kernel is a CPU one (cache-sized slices on the thread pool).
        if not (self.conv.training is None and self.pool.training is None
                and conv.built and pool.built and getattr(x, "dtype", None) == conv.dtype
                and not backend.on_device(conv.kernel.data) and conv_relu_pool(conv, pool)):
            self.conv.run(slots, training)
            self.pool.run(slots, training)
            return
        slots[self.pool.out] = call_conv_relu_pool(conv, pool, x)


def rewrite(steps, output_slots):
    """``steps`` with each Conv2D -> MaxPooling2D pair whose convolution output only the pool
    reads replaced by one ``ConvReluPoolStep`` (at the pool's place: everything the
    convolution reads is ready by then)."""
    readers = {}
    for step in steps:
        for a in step.args if isinstance(step.args, list) else [step.args]:
            readers.setdefault(a, []).append(step)
    fused_convs, out = set(), []
    pairs = {}
    for step in steps:
        users = readers.get(step.out, [])
        if (len(users) == 1 and step.out not in output_slots and users[0].args == step.out
                and not step.kwargs and not users[0].kwargs
                and may_fuse(step.layer, users[0].layer)):
            pairs[id(users[0])] = step
            fused_convs.add(id(step))
    for step in steps:
        if id(step) in fused_convs:
            continue
        conv = pairs.get(id(step))
        out.append(step if conv is None else ConvReluPoolStep(conv, step))
    return out


def call_conv_relu_pool(conv, pool, x):
    """``pool(conv(x))`` as one op, for built layers and a tensor ``x`` of the conv's dtype:
    the conv's own shape check, then the fused kernel."""
    conv.check_input(x)
    return kernels.conv2d_relu_max_pool(x, conv.kernel, conv.bias, conv.strides, conv.padding,
                                        conv.dilation_rate)
