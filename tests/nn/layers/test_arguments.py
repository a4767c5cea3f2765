"""Every layer constructor rejects a bad argument with a message naming the layer, the argument
and what it received; nothing is silently coerced (``"False"`` is not False)."""

import re
import warnings

import numpy as np
import pytest

from glassnet.nn import layers, validation

BAD_ARGUMENTS = [
    # booleans must be real bools
    (lambda: layers.Dense(4, use_bias="False"),
     "Dense: expected a boolean (True or False) for `use_bias`. Received: use_bias='False'"),
    (lambda: layers.Conv2D(4, 3, use_bias=0), "Conv2D: expected a boolean (True or False) "
                                              "for `use_bias`. Received: use_bias=0"),
    (lambda: layers.BatchNormalization(center="yes"),
     "BatchNormalization: expected a boolean (True or False) for `center`. Received: "
     "center='yes'"),
    (lambda: layers.LayerNormalization(scale=None), "LayerNormalization: expected a boolean "
                                                    "(True or False) for `scale`"),
    (lambda: layers.GlobalMaxPooling2D(keepdims="True"),
     "GlobalMaxPooling2D: expected a boolean (True or False) for `keepdims`"),
    # positive integers and tuples of them, for every conv and pool layer
    (lambda: layers.Dense(0), "Dense: expected a positive integer for `units`. Received: units=0"),
    (lambda: layers.Dense(2.5), "Dense: expected a positive integer for `units`. "
                                "Received: units=2.5"),
    (lambda: layers.Conv2D(16, 3.5), "Conv2D: `kernel_size` must be a positive integer or a "
                                     "tuple of 2 positive integers. Received: kernel_size=3.5"),
    (lambda: layers.Conv2D(16, None), "Conv2D: `kernel_size` must be a positive integer or a "
                                      "tuple of 2 positive integers. Received: kernel_size=None"),
    (lambda: layers.Conv2D(16, (3, 3, 3)), "Received: kernel_size=(3, 3, 3)"),
    (lambda: layers.Conv2D(16, 3, strides=None), "Conv2D: `strides` must be a positive integer"),
    (lambda: layers.Conv2D(16, 3, dilation_rate=(1, 1.5)),
     "Conv2D: `dilation_rate` must be a positive integer or a tuple of 2 positive integers. "
     "Received: dilation_rate=(1, 1.5)"),
    (lambda: layers.Conv1D(8, (3, 3)), "Conv1D: `kernel_size` must be a positive integer or a "
                                       "tuple of 1 positive integers"),
    (lambda: layers.Conv2DTranspose(8, "3"), "Conv2DTranspose: `kernel_size` must be"),
    (lambda: layers.DepthwiseConv2D(3.0), "DepthwiseConv2D: `kernel_size` must be"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0),
     "DepthwiseConv2D: expected a positive integer for `depth_multiplier`"),
    (lambda: layers.SeparableConv2D(8, 3, strides=True), "SeparableConv2D: `strides` must be"),
    (lambda: layers.MaxPooling2D(2.0), "MaxPooling2D: `pool_size` must be a positive integer"),
    (lambda: layers.AveragePooling2D(2, strides=0), "AveragePooling2D: `strides` must be"),
    (lambda: layers.MaxPooling1D((2, 2)), "MaxPooling1D: `pool_size` must be a positive "
                                          "integer or a tuple of 1 positive integers"),
    (lambda: layers.UpSampling2D(1.5), "UpSampling2D: `size` must be a positive integer"),
    (lambda: layers.Resizing(4.0, 4), "Resizing: expected a positive integer for `height`"),
    (lambda: layers.Conv2D(8, 3, groups=None), "Conv2D: expected a positive integer for `groups`"),
    # shapes: positive ints or None
    (lambda: layers.Input((-5,)), "Input: `shape` must be a tuple of positive integers or None "
                                  "(unknown sizes). Received: shape=(-5,)"),
    (lambda: layers.Input(shape="abc"), "Input: `shape` must be a tuple of positive integers "
                                        "or None (unknown sizes). Received: shape='abc'"),
    (lambda: layers.Input((3,), batch_size=0), "Input: expected a positive integer for "
                                               "`batch_size`"),
    (lambda: layers.InputLayer(shape=(0, 2)), "InputLayer: `shape` must be a tuple of positive"),
    (lambda: layers.InputLayer(batch_shape=(4, 3), batch_size=8),
     "InputLayer: `batch_size` and `batch_shape` disagree"),
    (lambda: layers.Dense(3, input_dim=4, input_shape=(5,)),
     "Dense: `input_dim` and `input_shape` disagree. Received: input_dim=4, input_shape=(5,)"),
    (lambda: layers.Reshape((2, 1.5)), "Reshape: `target_shape` must be a tuple of integers"),
    (lambda: layers.Permute("21"), "Permute: `dims` must be a tuple of integers"),
    (lambda: layers.Dropout(0.5, noise_shape=(None, -1)), "Dropout: `noise_shape` must be"),
    (lambda: layers.ZeroPadding2D("same"), "ZeroPadding2D: `padding` must be an int, a pair, "
                                           "or ((top, bottom), (left, right)) of non-negative "
                                           "ints. Received: padding='same'"),
    (lambda: layers.Cropping2D(((1, 1.5), (0, 0))), "Cropping2D: `cropping` must be an int"),
    # rates and numbers
    (lambda: layers.Dropout(1.0), "Dropout: `rate` must be a number in [0, 1). Received: "
                                  "rate=1.0"),
    (lambda: layers.Dropout("0.5"), "Dropout: `rate` must be a number in [0, 1)"),
    (lambda: layers.SpatialDropout2D(-0.1), "SpatialDropout2D: `rate` must be a number in"),
    (lambda: layers.Dropout(0.5, seed=1.5), "Dropout: expected None or a non-negative integer "
                                            "for `seed`. Received: seed=1.5"),
    (lambda: layers.BatchNormalization(momentum="0.9"),
     "BatchNormalization: `momentum` must be a number in [0, 1]. Received: momentum='0.9'"),
    (lambda: layers.BatchNormalization(epsilon=-1), "BatchNormalization: `epsilon` must be a "
                                                    "number > 0. Received: epsilon=-1"),
    (lambda: layers.LeakyReLU(-0.1), "LeakyReLU: `negative_slope` must be a number >= 0"),
    (lambda: layers.ReLU(max_value="6"), "ReLU: `max_value` must be a number >= 0"),
    (lambda: layers.ELU(alpha=None), "ELU: `alpha` must be a number. Received: alpha=None"),
    (lambda: layers.Rescaling("1/255"), "Rescaling: `scale` must be a number"),
    (lambda: layers.RandomRotation("0.1"), "RandomRotation: `factor` must be a number or a "
                                           "(low, high) pair of numbers"),
    (lambda: layers.RandomContrast(0.2, value_range=(255, 0)),
     "RandomContrast: `value_range` must be a (low, high) pair of numbers with low < high"),
    (lambda: layers.RandomZoom(0.1, fill_value="black"), "RandomZoom: `fill_value` must be a "
                                                         "number"),
    # axes
    (lambda: layers.Concatenate(axis=1.5), "Concatenate: expected an integer for `axis`. "
                                           "Received: axis=1.5"),
    (lambda: layers.Softmax(axis="last"), "Softmax: `axis` must be an integer or a tuple"),
    (lambda: layers.BatchNormalization(axis=(1, 1)), "BatchNormalization: `axis` must be an "
                                                     "integer or a tuple of distinct integers"),
    # strings from a known set, with the choices in the message
    (lambda: layers.Conv2D(8, 3, padding="full"), "Conv2D: `padding` must be one of 'valid', "
                                                  "'same'. Received: padding='full'"),
    (lambda: layers.Conv1D(8, 3, padding=None), "Conv1D: `padding` must be one of 'valid', "
                                                "'same', 'causal'. Received: padding=None"),
    (lambda: layers.MaxPooling2D(padding="causal"), "MaxPooling2D: `padding` must be one of "
                                                    "'valid', 'same'"),
    (lambda: layers.Conv2D(8, 3, data_format="NHWC"),
     "Conv2D: `data_format` must be one of 'channels_last', 'channels_first'. "
     "Received: data_format='NHWC'"),
    (lambda: layers.Flatten(data_format="nchw"), "Flatten: `data_format` must be one of"),
    (lambda: layers.GlobalAveragePooling2D(data_format=1), "GlobalAveragePooling2D: "
                                                           "`data_format` must be one of"),
    (lambda: layers.Resizing(4, 4, interpolation="cubic"),
     "Resizing: `interpolation` must be one of 'bilinear', 'nearest'"),
    (lambda: layers.RandomFlip("diagonal"), "RandomFlip: `mode` must be one of 'horizontal', "
                                            "'vertical', 'horizontal_and_vertical'"),
    (lambda: layers.RandomTranslation(0.1, 0.1, fill_mode="mirror"),
     "RandomTranslation: `fill_mode` must be one of 'nearest', 'constant', 'reflect', 'wrap'"),
    # activations, initializers, regularizers: the lookup's message, prefixed by layer and arg
    (lambda: layers.Dense(4, activation="relux"), "Dense: invalid `activation`: Unknown "
                                                  "activation: 'relux'. Did you mean 'relu'?"),
    (lambda: layers.Conv2D(4, 3, kernel_initializer="glorot"),
     "Conv2D: invalid `kernel_initializer`: Unknown initializer: 'glorot'"),
    (lambda: layers.Activation("sigmoidd"), "Activation: invalid `activation`"),
    (lambda: layers.BatchNormalization(gamma_regularizer="l3"),
     "BatchNormalization: invalid `gamma_regularizer`: Unknown regularizer: 'l3'"),
]


@pytest.mark.parametrize("make,message", BAD_ARGUMENTS,
                         ids=[m.split(".")[0][:60] for _, m in BAD_ARGUMENTS])
def test_bad_layer_argument_is_a_clear_error(make, message):
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        make()


def test_activation_of_the_wrong_type_names_the_layer():
    with pytest.raises(TypeError, match=r"Dense: invalid `activation`: expected the name of"):
        layers.Dense(4, activation=3)


def test_good_arguments_still_work_and_round_trip():
    conv = layers.Conv2D(4, (3, 3), strides=[1, 1], padding="SAME", use_bias=np.bool_(False))
    assert conv.padding == "same" and conv.strides == (1, 1) and conv.use_bias is False
    assert layers.Dense(np.int64(3), input_dim=4, input_shape=(4,)).units == 3
    assert layers.Input((None, 3)).shape == (None, None, 3)
    assert layers.InputLayer(batch_shape=(8, 3), batch_size=8).batch_input_shape == (8, 3)
    assert layers.ZeroPadding2D(((1, 2), (3, 4))).padding == ((1, 2), (3, 4))
    assert layers.ZeroPadding2D((1, 2)).padding == ((1, 1), (2, 2))
    assert layers.Softmax(axis=(1, 2)).axis == (1, 2)
    for layer in (layers.Dense(3, use_bias=False), layers.Conv1D(2, 3, padding="causal"),
                  layers.BatchNormalization(axis=1), layers.Dropout(0.2, noise_shape=(None, 1))):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_keras_arguments_without_effect_warn():
    with pytest.warns(UserWarning, match=r"BatchNormalization: `fused` is accepted for Keras "
                                         r"compatibility but ignored .*Received: fused=True"):
        layers.BatchNormalization(fused=True)
    with pytest.warns(UserWarning, match=r"`synchronized` is accepted for Keras compatibility"):
        layers.BatchNormalization(synchronized=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.BatchNormalization(fused=None, synchronized=False)  # the defaults: no warning


def test_validators_directly():
    assert validation.int_tuple(2, 3, "size", "X") == (2, 2, 2)
    assert validation.shape(5, "shape", "X") == (5,)
    assert validation.number(0.5, "rate", "X", 0, 1) == 0.5
    with pytest.raises(ValueError, match=r"X: `p` must be a number in \(0, 1\]. Received: p=0"):
        validation.number(0, "p", "X", 0, 1, low_open=True)
    with pytest.raises(ValueError, match=r"X: `p` must be a number. Received: p=nan"):
        validation.number(float("nan"), "p", "X")
    with pytest.raises(ValueError, match=r"X: expected a boolean \(True or False\) for `b`"):
        validation.boolean(1, "b", "X")
