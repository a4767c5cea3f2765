import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import backend as K


def test_configuration_round_trips():
    assert K.backend() == "numpy" and K.floatx() == "float32"
    assert K.epsilon() == 1e-7
    K.set_epsilon(1e-5)
    try:
        assert K.epsilon() == 1e-5
    finally:
        K.set_epsilon(1e-7)
    K.set_floatx("float64")
    try:
        assert K.floatx() == "float64" and keras.ops.ones((1,)).dtype == np.float64
    finally:
        K.set_floatx("float32")
    assert K.image_data_format() == "channels_last"
    K.set_image_data_format("channels_first")
    try:
        assert K.image_data_format() == "channels_first"
    finally:
        K.set_image_data_format("channels_last")


def test_values_shapes_and_dtypes():
    v = keras.Variable(np.zeros((2, 3)))
    K.set_value(v, np.ones((2, 3)))
    assert K.get_value(v).tolist() == [[1.0] * 3] * 2
    assert K.int_shape(v) == (2, 3) and K.int_shape(keras.Input((4,))) == (None, 4)
    assert K.is_keras_tensor(keras.Input((4,))) and not K.is_keras_tensor(v)
    assert K.standardize_dtype(None) == "float32" and K.standardize_dtype(int) == "int64"
    assert K.standardize_dtype(np.zeros(1, np.int32)) == "int32"
    K.clear_session()
    first = keras.layers.Dense(2).name
    K.clear_session()
    assert keras.layers.Dense(2).name == first  # numbering starts over


@pytest.mark.parametrize("call,message", [
    (lambda: K.set_epsilon(0), "set_epsilon: expected a positive number"),
    (lambda: K.set_image_data_format("nhwc"), "set_image_data_format: expected"),
    (lambda: K.set_floatx("int8"), "set_floatx: expected"),
    (lambda: K.standardize_dtype("nonsense"), "standardize_dtype: not a dtype"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
