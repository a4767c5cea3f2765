"""DenseNet121, DenseNet169, DenseNet201 (Huang et al., 2017): densely connected blocks.

Each layer of a dense block computes BN -> relu -> 1x1 conv (128) -> BN -> relu -> 3x3 conv
(32, the growth rate) and concatenates its output to its input, so block ``i``'s input grows
by 32 channels per layer. Transition blocks halve the channels (1x1 conv) and the resolution
(2x2 average pooling). Blocks of (6, 12, 24, 16), (6, 12, 32, 32), (6, 12, 48, 32) layers.
Keras's layer names (``conv2_block1_0_bn`` ..., ``pool2_conv``, ``bn``).

>>> from glassnet import keras
>>> m = keras.applications.DenseNet121(weights=None, include_top=False,
...                                    input_shape=(32, 32, 3))
>>> m.output_shape
(None, 1, 1, 1024)
"""

from __future__ import annotations

from glassnet.applications import common
from glassnet.applications.imagenet_utils import decode_predictions as _decode
from glassnet.applications.imagenet_utils import preprocess_input as _preprocess
from glassnet.applications.weights import load_weights, weights_file
from glassnet.nn.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Concatenate,
    Conv2D,
    MaxPooling2D,
    ZeroPadding2D,
)
from glassnet.train import Model

_EPS = 1.001e-5
_GROWTH = 32


def _bn_relu(x, name):
    x = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_bn")(x)
    return Activation("relu", name=f"{name}_relu")(x)


def conv_block(x, growth_rate, name):
    """One dense layer: its ``growth_rate`` new channels concatenated to ``x``."""
    x1 = _bn_relu(x, f"{name}_0")
    x1 = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn_relu(x1, f"{name}_1")
    x1 = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    for i in range(1, blocks + 1):
        x = conv_block(x, _GROWTH, name=f"{name}_block{i}")
    return x


def transition_block(x, reduction, name):
    """BN, relu, 1x1 conv to ``reduction`` of the channels, 2x2 average pooling."""
    x = _bn_relu(x, name)
    x = Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="densenet"):
    """The DenseNet body with ``blocks`` layers in its four dense blocks."""
    who = name
    common.check_arguments(weights, include_top, classes, pooling, classifier_activation,
                           who)
    weights_name = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
                    (6, 12, 48, 32): "densenet201"}.get(tuple(blocks))
    if weights == "imagenet" and weights_name is None:
        raise ValueError(f"{who}: no ImageNet weights are published for blocks {blocks}")
    input_shape = common.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                            require_flatten=include_top, weights=weights)
    path = weights_file(weights, weights_name, include_top, who)
    inputs, x = common.model_input(input_tensor, input_shape, who)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(x)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn_relu(x, "conv1")
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks, start=2):
        x = dense_block(x, n, name=f"conv{i}")
        if i < 5:
            x = transition_block(x, 0.5, name=f"pool{i}")
    x = BatchNormalization(axis=3, epsilon=_EPS, name="bn")(x)
    x = Activation("relu", name="relu")(x)
    x = common.top(x, include_top, pooling, classes, classifier_activation,
                   pool_names=("avg_pool", "max_pool"))
    model = Model(inputs, x, name=name)
    return load_weights(model, path)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet121"):
    """DenseNet121: 8,062,504 parameters with the classifier (7,037,504 without)."""
    return DenseNet((6, 12, 24, 16), include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet169"):
    """DenseNet169: 14,307,880 parameters with the classifier."""
    return DenseNet((6, 12, 32, 32), include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet201"):
    """DenseNet201: 20,242,984 parameters with the classifier."""
    return DenseNet((6, 12, 48, 32), include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def preprocess_input(x, data_format=None):
    """ImageNet "torch" preprocessing: ``(x / 255 - mean) / std``."""
    return _preprocess(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """``[[(class_id, name, score), ...], ...]``: the ``top`` classes of each prediction."""
    return _decode(preds, top=top)
