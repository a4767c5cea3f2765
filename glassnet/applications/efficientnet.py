"""EfficientNetB0..B7 (Tan & Le, 2019): MobileNetV2-style inverted residual blocks with
squeeze-and-excitation and swish, scaled in width, depth and resolution together.

Block: 1x1 expand conv (BN, swish) -> depthwise conv (BN, swish) -> squeeze-and-excitation
``x * sigmoid(W2 swish(W1 mean_hw(x)))`` -> 1x1 project conv (BN); the input is added when
the shapes allow (with drop-connect while training). Bk multiplies the widths by ``w``
(rounded to multiples of 8) and the repeats by ``d`` (rounded up). The model rescales its
inputs itself (pixels in [0, 255]; ``preprocess_input`` is the identity, as in Keras).
Keras's layer names (``block2a_expand_conv`` ..., ``top_conv``).

>>> from glassnet import keras
>>> m = keras.applications.EfficientNetB0(weights=None, include_top=False,
...                                       input_shape=(32, 32, 3))
>>> m.output_shape
(None, 1, 1, 1280)
"""

from __future__ import annotations

import math

from glassnet.applications import common
from glassnet.applications.imagenet_utils import decode_predictions as _decode
from glassnet.applications.weights import load_weights, weights_file
from glassnet.nn.initializers import VarianceScaling
from glassnet.nn.layers import (
    Activation,
    Add,
    BatchNormalization,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Rescaling,
    Reshape,
    ZeroPadding2D,
)
from glassnet.nn.layers.feature_preprocessing import Normalization
from glassnet.nn.layers.merge import Multiply
from glassnet.train import Model

# (kernel, repeats, filters in, filters out, expansion, stride) of the seven B0 stages; all
# with squeeze-and-excitation ratio 0.25 and identity skips
_STAGES = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2),
           (3, 3, 40, 80, 6, 2), (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2),
           (3, 1, 192, 320, 6, 1))
_SE_RATIO = 0.25
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def _conv_init():
    return VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")


def _dense_init():
    return VarianceScaling(scale=1.0 / 3.0, mode="fan_out", distribution="uniform")


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16,
          kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """One inverted residual block with squeeze-and-excitation (names ``{name}expand_conv``
    ... ``{name}add``)."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer=_conv_init(),
                   name=f"{name}expand_conv")(x)
        x = BatchNormalization(axis=3, name=f"{name}expand_bn")(x)
        x = Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = ZeroPadding2D(padding=common.correct_pad(x, kernel_size),
                          name=f"{name}dwconv_pad")(x)
    x = DepthwiseConv2D(kernel_size, strides=strides,
                        padding="valid" if strides == 2 else "same", use_bias=False,
                        depthwise_initializer=_conv_init(), name=f"{name}dwconv")(x)
    x = BatchNormalization(axis=3, name=f"{name}bn")(x)
    x = Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        se = GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
        se = Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
        se = Conv2D(max(1, int(filters_in * se_ratio)), 1, padding="same",
                    activation=activation, kernel_initializer=_conv_init(),
                    name=f"{name}se_reduce")(se)
        se = Conv2D(filters, 1, padding="same", activation="sigmoid",
                    kernel_initializer=_conv_init(), name=f"{name}se_expand")(se)
        x = Multiply(name=f"{name}se_excite")([x, se])
    x = Conv2D(filters_out, 1, padding="same", use_bias=False, kernel_initializer=_conv_init(),
               name=f"{name}project_conv")(x)
    x = BatchNormalization(axis=3, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:  # drop-connect: the whole residual branch, per sample
            x = Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = Add(name=f"{name}add")([x, inputs])
    return x


def EfficientNet(width_coefficient, depth_coefficient, default_size,  # noqa: N802
                 dropout_rate=0.2, drop_connect_rate=0.2, depth_divisor=8,
                 activation="swish", name="efficientnet", include_top=True,
                 weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax", weights_name=None):
    """The EfficientNet body for the given width and depth multipliers."""
    who = name
    common.check_arguments(weights, include_top, classes, pooling, classifier_activation,
                           who)
    if weights == "imagenet" and weights_name is None:
        raise ValueError(f"{who}: no ImageNet weights are published for this configuration")
    input_shape = common.obtain_input_shape(input_shape, default_size=default_size,
                                            min_size=32, require_flatten=include_top,
                                            weights=weights)
    path = weights_file(weights, f"efficientnet{weights_name}", include_top, who)
    inputs, x = common.model_input(input_tensor, input_shape, who)

    def round_filters(filters):
        filters *= width_coefficient
        new = max(depth_divisor, int(filters + depth_divisor / 2) // depth_divisor
                  * depth_divisor)
        return int(new + depth_divisor if new < 0.9 * filters else new)

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    x = Rescaling(1.0 / 255.0)(x)
    x = Normalization(axis=3)(x)
    if weights == "imagenet":
        # Keras divides by the square root of the ImageNet deviations here (its published
        # weights were trained so), one factor per channel
        x = Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = ZeroPadding2D(padding=common.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = Conv2D(round_filters(32), 3, strides=2, padding="valid", use_bias=False,
               kernel_initializer=_conv_init(), name="stem_conv")(x)
    x = BatchNormalization(axis=3, name="stem_bn")(x)
    x = Activation(activation, name="stem_activation")(x)
    total = float(sum(round_repeats(stage[1]) for stage in _STAGES))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, stride) in enumerate(_STAGES):
        f_in, f_out = round_filters(f_in), round_filters(f_out)
        for j in range(round_repeats(repeats)):
            x = block(x, activation, drop_connect_rate * b / total,
                      name=f"block{i + 1}{chr(j + 97)}_", filters_in=f_in if j == 0 else f_out,
                      filters_out=f_out, kernel_size=kernel, strides=stride if j == 0 else 1,
                      expand_ratio=expand, se_ratio=_SE_RATIO)
            b += 1
    x = Conv2D(round_filters(1280), 1, padding="same", use_bias=False,
               kernel_initializer=_conv_init(), name="top_conv")(x)
    x = BatchNormalization(axis=3, name="top_bn")(x)
    x = Activation(activation, name="top_activation")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate, name="top_dropout")(x)
        x = Dense(classes, activation=classifier_activation, kernel_initializer=_dense_init(),
                  name="predictions")(x)
    elif pooling == "avg":
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = GlobalMaxPooling2D(name="max_pool")(x)
    model = Model(inputs, x, name=name)
    return load_weights(model, path)


def _variant(key, width, depth, size, dropout):
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name=f"efficientnet{key}"):
        return EfficientNet(width, depth, size, dropout, name=name, include_top=include_top,
                            weights=weights, input_tensor=input_tensor,
                            input_shape=input_shape, pooling=pooling, classes=classes,
                            classifier_activation=classifier_activation, weights_name=key)

    build.__name__ = build.__qualname__ = f"EfficientNet{key.upper()}"
    build.__doc__ = (f"EfficientNet{key.upper()}: width x{width}, depth x{depth}, "
                     f"{size}x{size} inputs, top dropout {dropout}.")
    return build


EfficientNetB0 = _variant("b0", 1.0, 1.0, 224, 0.2)
EfficientNetB1 = _variant("b1", 1.0, 1.1, 240, 0.2)
EfficientNetB2 = _variant("b2", 1.1, 1.2, 260, 0.3)
EfficientNetB3 = _variant("b3", 1.2, 1.4, 300, 0.3)
EfficientNetB4 = _variant("b4", 1.4, 1.8, 380, 0.4)
EfficientNetB5 = _variant("b5", 1.6, 2.2, 456, 0.4)
EfficientNetB6 = _variant("b6", 1.8, 2.6, 528, 0.5)
EfficientNetB7 = _variant("b7", 2.0, 3.1, 600, 0.5)


def preprocess_input(x, data_format=None):
    """The identity: EfficientNet rescales its inputs itself (kept for Keras's API)."""
    if data_format not in (None, "channels_first", "channels_last"):
        raise ValueError("Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    return x


def decode_predictions(preds, top=5):
    """``[[(class_id, name, score), ...], ...]``: the ``top`` classes of each prediction."""
    return _decode(preds, top=top)
