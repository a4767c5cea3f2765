"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks with linear bottlenecks.

A block expands ``c`` channels to ``t * c`` with a 1x1 conv (BN, ReLU6), filters them with a
3x3 depthwise conv (BN, ReLU6), projects to ``filters * alpha`` (rounded to a multiple of 8)
with a 1x1 conv and BN and no activation; it adds its input when shapes allow. ``alpha``
scales every width. Keras's layer names (``block_3_expand``, ``Conv_1_bn`` ...).

>>> from glassnet import keras
>>> m = keras.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
...                                    classes=10)
>>> m.output_shape
(None, 10)
"""

from __future__ import annotations

import numbers
import warnings

from glassnet.applications import common
from glassnet.applications.imagenet_utils import decode_predictions as _decode
from glassnet.applications.imagenet_utils import preprocess_input as _preprocess
from glassnet.applications.weights import load_weights, weights_file
from glassnet.nn.layers import (
    Add,
    BatchNormalization,
    Conv2D,
    DepthwiseConv2D,
    ReLU,
    ZeroPadding2D,
)
from glassnet.train import Model

# (filters, stride, expansion) of blocks 0..16
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
           (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6),
           (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))
_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)


def make_divisible(v, divisor=8, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor``, never 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(x, name):
    return BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)(x)


def inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """One inverted residual block; block 0 has no expansion and Keras names it
    ``expanded_conv_*``."""
    in_channels = inputs.shape[-1]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                   name=f"{prefix}expand")(x)
        x = ReLU(6.0, name=f"{prefix}expand_relu")(_bn(x, f"{prefix}expand_BN"))
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = ZeroPadding2D(padding=common.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                        padding="same" if stride == 1 else "valid",
                        name=f"{prefix}depthwise")(x)
    x = ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(x, f"{prefix}depthwise_BN"))
    x = Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
               name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_BN")
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=f"{prefix}add")([inputs, x])
    return x


def _default_size(input_shape, input_tensor):
    """Keras picks the weight file's resolution from a square input of a published size."""
    shape = input_shape
    if shape is None and input_tensor is not None:
        shape = tuple(input_tensor.shape[1:])
    if shape is not None and len(shape) == 3 and shape[0] == shape[1] and shape[0] in _SIZES:
        return shape[0]
    return 224


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",  # noqa: N802
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """MobileNetV2: 3,538,984 parameters with the classifier at ``alpha=1.0``.

    Args (beyond the common ones):
        alpha: width multiplier (ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3,
            1.4). The model is named ``mobilenetv2_{alpha:.2f}_{rows}`` unless ``name``.
    """
    who = "MobileNetV2"
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha > 0:
        raise ValueError(f"{who}: `alpha` must be a positive number. Received: alpha={alpha!r}")
    common.check_arguments(weights, include_top, classes, pooling, classifier_activation,
                           who)
    if input_tensor is not None and input_shape is not None:
        common.model_input(input_tensor, None, who)  # checks its type and rank
        if input_tensor.shape[2] != tuple(input_shape)[1]:
            raise ValueError("input_tensor.shape[2] must equal input_shape[1]; Received "
                             f"`input_tensor.shape={input_tensor.shape}`, "
                             f"`input_shape={input_shape}`")
    input_shape = common.obtain_input_shape(
        input_shape, default_size=_default_size(input_shape, input_tensor), min_size=32,
        require_flatten=include_top, weights=weights)
    rows = input_shape[0]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha must be one of "
                             "`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; "
                             f"Received `alpha={alpha}`")
        if rows != input_shape[1] or rows not in _SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) "
                          "will be loaded as the default.", stacklevel=2)
    path = weights_file(weights, f"mobilenet_v2_{float(alpha)}_{rows}", include_top, who)
    inputs, x = common.model_input(input_tensor, input_shape, who)
    x = Conv2D(make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
               use_bias=False, name="Conv1")(x)
    x = ReLU(6.0, name="Conv1_relu")(_bn(x, "bn_Conv1"))
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                               expansion=expansion, block_id=block_id)
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = ReLU(6.0, name="out_relu")(_bn(x, "Conv_1_bn"))
    x = common.top(x, include_top, pooling, classes, classifier_activation)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    model = Model(inputs, x, name=name)
    return load_weights(model, path)


def preprocess_input(x, data_format=None):
    """ImageNet "tf" preprocessing: ``x / 127.5 - 1``."""
    return _preprocess(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """``[[(class_id, name, score), ...], ...]``: the ``top`` classes of each prediction."""
    return _decode(preds, top=top)
