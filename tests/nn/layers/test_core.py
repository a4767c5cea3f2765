import numpy as np
import pytest
import torch
from helpers import check_layer

import glassnet as gn
from glassnet.nn.layers import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Lambda,
    Permute,
    Reshape,
)


def _linear_weights(layer, module):
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.kernel.numpy().T))
        module.bias.copy_(torch.tensor(layer.bias.numpy()))
    return [(layer.kernel, module.weight, lambda g: g.numpy().T),
            (layer.bias, module.bias, lambda g: g.numpy())]


@pytest.mark.parametrize("activation,torch_act", [(None, torch.nn.Identity()),
                                                  ("relu", torch.nn.ReLU()),
                                                  ("tanh", torch.nn.Tanh()),
                                                  ("softmax", torch.nn.Softmax(-1))])
def test_dense_matches_torch_linear(activation, torch_act):
    linear = torch.nn.Linear(5, 3)
    module = torch.nn.Sequential(linear, torch_act)
    check_layer(lambda: Dense(3, activation=activation), (4, 5), expected_output_shape=(4, 3),
                expected_params=18, torch_module=module,
                torch_weights=lambda layer, m: _linear_weights(layer, linear),
                kinks=(0.0,) if activation == "relu" else ())


def test_dense_on_3d_input_and_without_bias():
    check_layer(lambda: Dense(2, use_bias=False), (2, 3, 4), expected_output_shape=(2, 3, 2),
                expected_params=8)


def test_dense_is_one_fused_node_plus_activation():
    y = Dense(3, activation="relu")(gn.tensor(np.ones((2, 4)), requires_grad=True))
    assert type(y.grad_fn).__name__ == "ReLU"
    assert type(y.grad_fn.inputs[0].grad_fn).__name__ == "Linear"


def test_dense_input_dim_and_input_shape_are_recorded():
    assert Dense(4, input_dim=784).batch_input_shape == (None, 784)
    assert Dense(4, input_shape=(784,)).get_config()["batch_input_shape"] == (None, 784)


def test_dense_errors():
    gn.nn.reset_names()
    Dense(2)
    layer = Dense(128)
    layer(np.zeros((1, 784)))
    with pytest.raises(ValueError, match=r"^Dense 'dense_1' expected 784 input features, "
                                         r"received input of shape \(32, 100\)$"):
        layer(np.zeros((32, 100)))
    with pytest.raises(ValueError, match=r"Dense: expected a positive integer for `units`. "
                                         r"Received: units=0"):
        Dense(0)
    with pytest.raises(ValueError, match=r"units=-3"):
        Dense(-3)
    with pytest.raises(ValueError, match=r"Unknown activation: 'rleu'. Did you mean 'relu'\? "
                                         r"Known activations: celu, elu, exponential"):
        Dense(3, activation="rleu")
    with pytest.raises(ValueError, match=r"Unknown initializer: 'glorot'"):
        Dense(3, kernel_initializer="glorot")
    with pytest.raises(ValueError, match=r"at least 2 dimensions"):
        Dense(3)(np.zeros(4))
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        Dense(3, unit=4)


@pytest.mark.parametrize("name,torch_fn", [("sigmoid", torch.sigmoid), ("relu", torch.relu),
                                           ("softplus", torch.nn.functional.softplus)])
def test_activation_layer(name, torch_fn):
    check_layer(lambda: Activation(name), (3, 4), torch_module=torch_fn, kinks=(0.0,))
    check_layer(lambda: Activation(gn.tanh), (3, 4), torch_module=torch.tanh)


def test_flatten_reshape_permute():
    check_layer(Flatten, (2, 3, 4, 5), expected_output_shape=(2, 60),
                torch_module=torch.nn.Flatten())
    check_layer(lambda: Flatten(data_format="channels_first"), (2, 3, 4),
                torch_module=lambda x: x.permute(0, 2, 1).reshape(2, -1))
    check_layer(lambda: Reshape((4, 3)), (2, 12), expected_output_shape=(2, 4, 3),
                torch_module=lambda x: x.reshape(2, 4, 3))
    check_layer(lambda: Reshape((-1, 2)), (2, 3, 4), expected_output_shape=(2, 6, 2))
    check_layer(lambda: Permute((2, 1)), (2, 3, 4), expected_output_shape=(2, 4, 3),
                torch_module=lambda x: x.permute(0, 2, 1))
    with pytest.raises(ValueError, match=r"Reshape '.*': cannot reshape input of shape "
                                         r"\(2, 12\) \(12 values per sample\) to "
                                         r"target_shape \(5,\)"):
        Reshape((5,))(np.zeros((2, 12)))
    with pytest.raises(ValueError, match="permutation of 1..2"):
        Permute((0, 1))


def test_dropout_layer_only_drops_while_training():
    layer = check_layer(lambda: Dropout(0.5), (4, 6))  # inference: the identity
    x = np.ones((400, 500), np.float32)
    assert layer(x).numpy().sum() == x.sum()
    gn.seed(0)
    ours = layer(x, training=True).numpy()
    theirs = torch.nn.Dropout(0.5).train()(torch.ones(400, 500)).numpy()
    for values in (ours, theirs):  # same statistics as PyTorch's dropout
        assert abs((values == 0).mean() - 0.5) < 0.01
        np.testing.assert_allclose(values[values != 0], 2.0)
    with pytest.raises(ValueError, match=r"Dropout: `rate` must be a number in \[0, 1\). "
                                         r"Received: rate=1.0"):
        Dropout(1.0)
    with pytest.raises(ValueError, match=r"rate=-0.2"):
        Dropout(-0.2)


def test_dropout_noise_shape_drops_whole_rows():
    gn.seed(1)
    y = Dropout(0.5, noise_shape=(None, 1))(np.ones((50, 8), np.float32), training=True)
    rows = y.numpy()
    assert ((rows == 0).all(axis=1) | (rows == 2).all(axis=1)).all()


def test_lambda_layer_in_memory():
    check_layer(lambda: Lambda(lambda x: x * 2.0 + 1.0), (3, 4),
                torch_module=lambda x: x * 2.0 + 1.0)
    assert Lambda(lambda x: x[:, :2], output_shape=(2,)).compute_output_shape((None, 5)) == \
        (None, 2)


def test_input_layer_and_symbolic_input():
    check_layer(lambda: InputLayer(shape=(4,)), (3, 4), expected_params=0)
    x = Input(shape=(784,))
    assert x.shape == (None, 784)
    h = Dense(32, activation="relu")(x)
    assert h.shape == (None, 32) and isinstance(h.layer, Dense) and h.inputs is x
    with pytest.raises(ValueError, match=r"InputLayer '.*' expected input of shape "
                                         r"\(None, 4\), received input of shape \(3, 5\)"):
        InputLayer(shape=(4,))(np.zeros((3, 5)))
