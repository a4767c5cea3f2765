"""Reshaping layers on empty batches give TF/Keras's shapes (review fixes)."""

import numpy as np
import pytest

from glassnet import keras

layers = keras.layers


def test_flatten_empty_batch():
    out = layers.Flatten()(np.zeros((0, 3, 3), "float32"))
    assert tuple(out.shape) == (0, 9)


@pytest.mark.parametrize("target, expected", [((-1,), (0, 9)), ((3, -1), (0, 3, 3)),
                                              ((9,), (0, 9)), ((1, -1, 3), (0, 1, 3, 3))])
def test_reshape_empty_batch(target, expected):
    out = layers.Reshape(target)(np.zeros((0, 3, 3), "float32"))
    assert tuple(out.shape) == expected


def test_reshape_empty_batch_still_checks_sizes():
    with pytest.raises(ValueError, match=r"Reshape '.*': cannot reshape input of shape "
                                         r"\(0, 3, 3\) \(9 values per sample\) to target_shape "
                                         r"\(4, -1\)"):
        layers.Reshape((4, -1))(np.zeros((0, 3, 3), "float32"))


@pytest.mark.parametrize("layer, shape, expected", [
    (lambda: layers.ZeroPadding2D(1), (0, 2, 2, 3), (0, 4, 4, 3)),
    (lambda: layers.Cropping2D(((1, 0), (0, 1))), (0, 3, 3, 2), (0, 2, 2, 2)),
    (lambda: layers.UpSampling2D(2), (0, 2, 2, 3), (0, 4, 4, 3)),
])
def test_spatial_reshaping_layers_on_empty_batches(layer, shape, expected):
    assert tuple(layer()(np.zeros(shape, "float32")).shape) == expected
