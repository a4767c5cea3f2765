"""ResNet50, ResNet101, ResNet152 (He et al., 2015): residual bottleneck blocks.

Each block computes ``relu(shortcut(x) + F(x))`` with ``F`` = 1x1 conv (``filters``) -> BN ->
relu -> 3x3 conv -> BN -> relu -> 1x1 conv (``4 * filters``) -> BN; the shortcut is the
identity, or a strided 1x1 conv + BN in each stack's first block. Four stacks of 64, 128,
256, 512 filters; depths (3, 4, 6, 3), (3, 4, 23, 3) and (3, 8, 36, 3). Keras's layer names
(``conv2_block1_1_conv`` ...).

>>> from glassnet import keras
>>> m = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> m.output_shape
(None, 1, 1, 2048)
"""

from __future__ import annotations

from glassnet.applications import common
from glassnet.applications.imagenet_utils import decode_predictions as _decode
from glassnet.applications.imagenet_utils import preprocess_input as _preprocess
from glassnet.applications.weights import load_weights, weights_file
from glassnet.nn.layers import (
    Activation,
    Add,
    BatchNormalization,
    Conv2D,
    MaxPooling2D,
    ZeroPadding2D,
)
from glassnet.train import Model

_EPS = 1.001e-5


def _bn(x, name):
    return BatchNormalization(axis=3, epsilon=_EPS, name=name)(x)


def residual_block(x, filters, stride=1, conv_shortcut=True, name=None):
    """One bottleneck block (ResNet v1: the stride is on the first 1x1 convolution)."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = Activation("relu", name=f"{name}_1_relu")(_bn(x, f"{name}_1_bn"))
    x = Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = Activation("relu", name=f"{name}_2_relu")(_bn(x, f"{name}_2_bn"))
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(x, f"{name}_3_bn")
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def residual_stack(x, filters, blocks, stride1=2, name=None):
    """``blocks`` blocks; the first has the projection shortcut and stride ``stride1``."""
    x = residual_block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet(depths, include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
           input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
           name="resnet", weights_name=None):
    """The ResNet v1 body with ``depths`` blocks in its four stacks."""
    who = name
    common.check_arguments(weights, include_top, classes, pooling, classifier_activation,
                           who)
    if weights == "imagenet" and weights_name is None:
        raise ValueError(f"{who}: no ImageNet weights are published for depths {depths}")
    input_shape = common.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                            require_flatten=include_top, weights=weights)
    path = weights_file(weights, weights_name, include_top, who)
    inputs, x = common.model_input(input_tensor, input_shape, who)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(x)
    x = Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = Activation("relu", name="conv1_relu")(_bn(x, "conv1_bn"))
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stack, (filters, blocks) in enumerate(zip((64, 128, 256, 512), depths), start=2):
        x = residual_stack(x, filters, blocks, stride1=1 if stack == 2 else 2,
                           name=f"conv{stack}")
    x = common.top(x, include_top, pooling, classes, classifier_activation,
                   pool_names=("avg_pool", "max_pool"))
    model = Model(inputs, x, name=name)
    return load_weights(model, path)


def ResNet50(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="resnet50"):
    """ResNet50: 25,636,712 parameters with the classifier (23,587,712 without)."""
    return ResNet((3, 4, 6, 3), include_top, weights, input_tensor, input_shape, pooling,
                  classes, classifier_activation, name=name, weights_name="resnet50")


def ResNet101(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
              input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
              name="resnet101"):
    """ResNet101: 44,707,176 parameters with the classifier."""
    return ResNet((3, 4, 23, 3), include_top, weights, input_tensor, input_shape, pooling,
                  classes, classifier_activation, name=name, weights_name="resnet101")


def ResNet152(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
              input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
              name="resnet152"):
    """ResNet152: 60,419,944 parameters with the classifier."""
    return ResNet((3, 8, 36, 3), include_top, weights, input_tensor, input_shape, pooling,
                  classes, classifier_activation, name=name, weights_name="resnet152")


def preprocess_input(x, data_format=None):
    """ImageNet "caffe" preprocessing (RGB to BGR, ImageNet means subtracted)."""
    return _preprocess(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """``[[(class_id, name, score), ...], ...]``: the ``top`` classes of each prediction."""
    return _decode(preds, top=top)
