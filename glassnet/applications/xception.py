"""Xception (Chollet, 2017): depthwise separable convolutions with residual connections.

Entry flow: two 3x3 convs, then three blocks of two separable convs + strided max pooling,
each added to a strided 1x1-conv shortcut (128, 256, 728 filters). Middle flow: eight
residual blocks of three 728-filter separable convs. Exit flow: one more pooled block
(728 -> 1024), then separable convs of 1536 and 2048 filters. Default input 299x299, at
least 71x71. Keras's layer names (``block4_sepconv1`` ...); the shortcut convolutions are
unnamed in Keras too.

>>> from glassnet import keras
>>> m = keras.applications.Xception(weights=None, include_top=False, input_shape=(71, 71, 3))
>>> m.output_shape
(None, 3, 3, 2048)
"""

from __future__ import annotations

from glassnet.applications import common
from glassnet.applications.imagenet_utils import decode_predictions as _decode
from glassnet.applications.imagenet_utils import preprocess_input as _preprocess
from glassnet.applications.weights import load_weights, weights_file
from glassnet.nn.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    MaxPooling2D,
    SeparableConv2D,
    add,
)
from glassnet.train import Model


def _sep_bn(x, filters, name):
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return BatchNormalization(axis=-1, name=f"{name}_bn")(x)


def _shortcut(x, filters):
    residual = Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return BatchNormalization(axis=-1)(residual)


def _pooled_block(x, block, filters, relu_first=True):
    """Two separable convs and a stride-2 max pool, added to a strided 1x1 shortcut."""
    first, second = filters if isinstance(filters, tuple) else (filters, filters)
    residual = _shortcut(x, second)
    if relu_first:
        x = Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sep_bn(x, first, f"block{block}_sepconv1")
    x = Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sep_bn(x, second, f"block{block}_sepconv2")
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="xception"):
    """Xception: 22,910,480 parameters with the classifier (20,861,480 without).
    Inputs: ``xception.preprocess_input`` ("tf": into [-1, 1])."""
    who = "Xception"
    common.check_arguments(weights, include_top, classes, pooling, classifier_activation,
                           who)
    input_shape = common.obtain_input_shape(input_shape, default_size=299, min_size=71,
                                            require_flatten=include_top, weights=weights)
    path = weights_file(weights, "xception", include_top, who)
    inputs, x = common.model_input(input_tensor, input_shape, who)
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(x)
    x = BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    x = _pooled_block(x, 2, 128, relu_first=False)
    x = _pooled_block(x, 3, 256)
    x = _pooled_block(x, 4, 728)
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
            x = _sep_bn(x, 728, f"block{block}_sepconv{i}")
        x = add([x, residual])
    x = _pooled_block(x, 13, (728, 1024))
    x = _sep_bn(x, 1536, "block14_sepconv1")
    x = Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2")
    x = Activation("relu", name="block14_sepconv2_act")(x)
    x = common.top(x, include_top, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    return load_weights(model, path)


def preprocess_input(x, data_format=None):
    """ImageNet "tf" preprocessing: ``x / 127.5 - 1``."""
    return _preprocess(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """``[[(class_id, name, score), ...], ...]``: the ``top`` classes of each prediction."""
    return _decode(preds, top=top)
