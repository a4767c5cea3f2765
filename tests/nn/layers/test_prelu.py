"""PReLU: a learned negative slope, per position or shared along axes (torch.nn.PReLU)."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras
from glassnet.keras.layers import PReLU


def _alpha_into(module_shape):
    def copy(layer, module):
        values = np.random.default_rng(5).uniform(0.05, 0.5, layer.alpha.shape)
        layer.alpha.assign(values.astype("float32"))
        with torch.no_grad():
            module.weight.copy_(torch.tensor(values.reshape(module_shape)))
        return [(layer.alpha, module.weight,
                 lambda g: g.numpy().reshape(layer.alpha.shape))]
    return copy


def test_prelu_one_slope_per_channel_matches_torch():
    # Keras's shared_axes=[1, 2] on NHWC = torch's PReLU(channels) on NCHW.
    check_layer(lambda: PReLU(shared_axes=[1, 2]), (2, 3, 4, 5), expected_params=5,
                torch_module=torch.nn.PReLU(5), torch_weights=_alpha_into((5,)),
                to_torch_input=lambda a, inverse=False: np.moveaxis(a, 1, -1) if inverse
                else np.moveaxis(a, -1, 1),
                from_torch_output=lambda t: t.permute(0, 2, 3, 1), kinks=(0.0,))


def test_prelu_single_shared_slope_and_per_position():
    check_layer(lambda: PReLU(shared_axes=[1, 2]), (4, 3, 1), expected_params=1,
                torch_module=torch.nn.PReLU(1), torch_weights=_alpha_into((1,)),
                kinks=(0.0,))
    layer = check_layer(lambda: PReLU(alpha_initializer="ones"), (3, 4, 2), expected_params=8,
                        kinks=(0.0,))
    assert layer.alpha.shape == (4, 2)
    layer.alpha.assign(np.full((4, 2), 0.25, "float32"))
    x = np.array([[[-4.0, 2.0]] * 4], "float32")
    np.testing.assert_allclose(layer(x).numpy()[0, 0], [-1.0, 2.0])
    assert PReLU()(x).numpy()[0, 0].tolist() == [0.0, 2.0]  # alpha starts at zeros (Keras)


def test_prelu_config_matches_keras():
    config = PReLU(shared_axes=2, alpha_regularizer="l2", name="p").get_config()
    assert config["shared_axes"] == [2]
    assert config["alpha_initializer"] == {"class_name": "Zeros", "config": {}}
    assert config["alpha_regularizer"]["class_name"] == "L2"
    assert config["alpha_constraint"] is None
    assert PReLU.from_config(config).get_config() == config
    layer = PReLU(alpha_regularizer=keras.regularizers.L2(0.5), alpha_initializer="ones")
    layer(np.ones((2, 3), "float32"))
    np.testing.assert_allclose(float(sum(layer.losses)), 1.5)


def test_prelu_bad_input():
    with pytest.raises(ValueError, match=r"PReLU: `shared_axes` must be None.*shared_axes=\[0\]"):
        PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match=r"alpha_constraint` is not supported"):
        PReLU(alpha_constraint="non_neg")
    with pytest.raises(ValueError, match=r"alpha_initializer"):
        PReLU(alpha_initializer="no_such_initializer")
    layer = PReLU(shared_axes=[1])
    layer(np.ones((2, 3, 4), "float32"))
    layer(np.ones((5, 7, 4), "float32"))  # a shared axis may change size
    with pytest.raises(ValueError, match=r"PReLU '.*' was built for inputs of shape \(2, 3, 4\) "
                                         r"\(shared_axes=\[1\]\), received input of shape "
                                         r"\(2, 3, 5\)"):
        layer(np.ones((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match=r"shared_axes \[3\] out of range"):
        PReLU(shared_axes=3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"known size"):
        PReLU()(keras.Input((None, 4)))


def test_prelu_in_a_functional_model_learns_its_slope():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(128, 3)).astype("float32")
    y = np.where(x > 0, x, 0.3 * x)
    inp = keras.Input((3,))
    layer = PReLU(shared_axes=[1])
    model = keras.Model(inp, layer(inp))
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    np.testing.assert_allclose(layer.alpha.numpy(), [0.3], atol=0.02)  # one slope: shape (1,)
