"""VGG16 and VGG19 (Simonyan & Zisserman, 2015): five blocks of 3x3 convolutions, each
followed by 2x2 max pooling, then two 4096-unit fully connected layers.

Block ``b`` has 64 * 2**(b-1) filters (capped at 512). Layer names are Keras's
(``block1_conv1`` ... ``fc1``, ``fc2``, ``predictions``), so Keras's weight files load.

>>> from glassnet import keras
>>> model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> model.output_shape
(None, 1, 1, 512)
"""

from __future__ import annotations

from glassnet.applications import common
from glassnet.applications.imagenet_utils import decode_predictions as _decode
from glassnet.applications.imagenet_utils import preprocess_input as _preprocess
from glassnet.applications.weights import load_weights, weights_file
from glassnet.nn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from glassnet.train import Model

_FILTERS = (64, 128, 256, 512, 512)


def _vgg(convs_per_block, weights_name, include_top, weights, input_tensor, input_shape,
         pooling, classes, classifier_activation, name, who):
    common.check_arguments(weights, include_top, classes, pooling, classifier_activation,
                           who)
    input_shape = common.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                            require_flatten=include_top, weights=weights)
    path = weights_file(weights, weights_name, include_top, who)
    inputs, x = common.model_input(input_tensor, input_shape, who)
    for block, (filters, convs) in enumerate(zip(_FILTERS, convs_per_block), start=1):
        for i in range(1, convs + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same",
                       name=f"block{block}_conv{i}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = common.top(x, False, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name)
    return load_weights(model, path)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """VGG16: 13 convolutions (2, 2, 3, 3, 3 per block) and 3 dense layers; 138,357,544
    parameters with the classifier, 14,714,688 without. Inputs: ``vgg16.preprocess_input``
    ("caffe": BGR, ImageNet mean subtracted)."""
    return _vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape,
                pooling, classes, classifier_activation, name, "VGG16")


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """VGG19: 16 convolutions (2, 2, 4, 4, 4 per block) and 3 dense layers; 143,667,240
    parameters with the classifier."""
    return _vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape,
                pooling, classes, classifier_activation, name, "VGG19")


def preprocess_input(x, data_format=None):
    """ImageNet "caffe" preprocessing: RGB to BGR, then the ImageNet channel means
    (103.939, 116.779, 123.68) subtracted; no scaling."""
    return _preprocess(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """``[[(class_id, name, score), ...], ...]``: the ``top`` classes of each prediction."""
    return _decode(preds, top=top)
