"""ActivityRegularization and Identity."""

import numpy as np
import pytest
from helpers import check_layer

from glassnet import keras
from glassnet.keras.layers import ActivityRegularization, Identity


def test_identity_layers_pass_input_through():
    check_layer(Identity, (3, 4), expected_params=0, torch_module=lambda x: x)
    check_layer(lambda: ActivityRegularization(l1=0.1, l2=0.2), (2, 3, 4), expected_params=0,
                torch_module=lambda x: x)
    emb = keras.layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0, 2]]))
    for layer in (Identity(), ActivityRegularization(l1=0.1)):
        assert layer(emb)._keras_mask.numpy().tolist() == [[True, False, True]]


def test_activity_penalty_is_the_l1_l2_activity_regularizer():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    layer = ActivityRegularization(l1=0.01, l2=0.5)
    layer(x)
    # The same term as any layer's activity_regularizer=L1L2(l1, l2) on the same output.
    reference = Identity(activity_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.5))
    reference(x)
    (term,), (expected,) = layer.losses, reference.losses
    np.testing.assert_allclose(float(term), float(expected), rtol=1e-6)
    assert float(term) > 0
    assert layer.activity_regularizer.l1 == 0.01 and layer.activity_regularizer.l2 == 0.5
    assert ActivityRegularization(l1=1.0).losses == []  # not called yet: no term


def test_activity_penalty_gradient_reaches_the_input():
    from glassnet.autograd.tensor import Tensor
    x = Tensor(np.array([[1.0, -2.0]], "float32"), requires_grad=True)
    layer = ActivityRegularization(l1=0.5, l2=0.25)
    layer(x)
    layer.losses[0].backward()  # d/dx (0.5 |x| + 0.25 x^2) = 0.5 sign(x) + 0.5 x
    np.testing.assert_allclose(x.grad, [[1.0, -1.5]])


def test_config_matches_keras():
    config = ActivityRegularization(l1=0.1, name="r").get_config()
    assert config == {"name": "r", "trainable": True, "dtype": "float32", "l1": 0.1, "l2": 0.0}
    assert ActivityRegularization.from_config(config).get_config() == config
    assert Identity(name="i").get_config() == {"name": "i", "trainable": True,
                                               "dtype": "float32"}


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"ActivityRegularization: .*l1 must be a non-negative "
                                         r"number. Received: l1=-1"):
        ActivityRegularization(l1=-1)
    with pytest.raises(ValueError, match=r"l2 must be a non-negative number"):
        ActivityRegularization(l2="big")
    with pytest.raises(TypeError, match=r"activity_regularizer"):
        ActivityRegularization(activity_regularizer="l2")


def test_fit_adds_the_penalty_to_the_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = x.sum(1, keepdims=True)

    def losses(l2):
        keras.utils.set_random_seed(0)
        inp = keras.Input((4,))
        h = ActivityRegularization(l2=l2)(keras.layers.Dense(8)(inp))
        model = keras.Model(inp, keras.layers.Dense(1)(Identity()(h)))
        model.compile("sgd", "mse")
        return model.fit(x, y, epochs=3, batch_size=32, verbose=0).history["loss"]

    plain, penalized = losses(0.0), losses(1.0)
    assert plain[-1] < plain[0]
    assert penalized[0] > plain[0]  # the first step's loss includes the activity penalty
