"""EinsumDense: weights shaped and counted as Keras 3.15's, outputs and gradients as
``torch.einsum`` with the same weights.

The parameter counts and weight shapes marked "Keras" were printed by
``keras.layers.EinsumDense(equation, output_shape, bias_axes=...)`` called on
``keras.Input(shape)`` (``count_params()``, ``[w.shape for w in layer.weights]``).
"""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras
from glassnet.keras.layers import EinsumDense


class TorchEinsum(torch.nn.Module):
    def __init__(self, equation, activation=None):
        super().__init__()
        self.equation, self.activation = equation, activation
        self.kernel = self.bias = None

    def forward(self, x):
        y = torch.einsum(self.equation, x, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)


def copy_weights(layer, module):
    """Our weights into the torch module: [(ours, theirs, identity)] for the gradients."""
    module.kernel = torch.nn.Parameter(torch.tensor(layer.kernel.numpy()))
    pairs = [(layer.kernel, module.kernel, lambda g: g.numpy())]
    if layer.bias is not None:
        module.bias = torch.nn.Parameter(torch.tensor(layer.bias.numpy()))
        pairs.append((layer.bias, module.bias, lambda g: g.numpy()))
    return pairs


# equation, output_shape, bias_axes, input shape (batch included), Keras's weight shapes
CASES = [
    ("ab,bc->ac", 4, "c", (3, 5), [(5, 4), (4,)]),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5), [(5, 4), (4,)]),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 4), [(4, 2, 3), (2, 3)]),
    ("abcd,cde->abe", (None, 3), "e", (2, 2, 3, 4), [(3, 4, 3), (3,)]),
    ("...x,xy->...y", 3, "y", (2, 2, 3, 4), [(4, 3), (3,)]),
    ("ab...,bc->ac...", (3,), "c", (2, 4, 2), [(4, 3), (3, 1)]),
    ("abc,cde->abde", (None, 2, 3), None, (2, 3, 4), [(4, 2, 3)]),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape,weights", CASES)
def test_conformance_against_torch_einsum(equation, output_shape, bias_axes, shape, weights):
    def make():
        return EinsumDense(equation, output_shape, bias_axes=bias_axes,
                           bias_initializer="random_normal")

    layer = check_layer(make, shape, expected_params=sum(int(np.prod(w)) for w in weights),
                        torch_module=TorchEinsum(equation),
                        torch_weights=copy_weights)
    assert [w.shape for w in layer.weights] == weights


def test_activation_goes_through_torch_too():
    check_layer(lambda: EinsumDense("abc,cd->abd", (None, 4), activation="tanh",
                                    bias_axes="d"), (2, 3, 5),
                torch_module=TorchEinsum("abc,cd->abd", torch.tanh), torch_weights=copy_weights)


def test_parameter_counts_equal_keras_for_attention_equations():
    # Keras's counts; Keras's symbolic shapes leave the axes shared with the input unknown
    # ((None, None, 64)), glassnet's take them from the input
    for equation, output_shape, bias, shape, count, out_shape in [
            ("ab,bc->ac", 64, "c", (32,), 2112, (None, 64)),
            ("abc,cd->abd", (None, 64), "d", (32, 128), 8256, (None, 32, 64)),
            ("abc,cde->abde", (None, 4, 8), "de", (7, 16), 544, (None, 7, 4, 8)),
            ("abc,cde->abde", (None, 4, 8), None, (7, 16), 512, (None, 7, 4, 8))]:
        layer = EinsumDense(equation, output_shape, bias_axes=bias)
        out = layer(keras.Input(shape))
        assert layer.count_params() == count
        assert tuple(out.shape) == out_shape


def test_kernel_fans_are_those_of_the_contraction():
    # (16, 4, 8) used as a 16 x 32 matrix: glorot limit sqrt(6 / 48), not the conv-style
    # fans of the shape (16 * 4, 16 * 8), whose limit sqrt(6 / 192) is half as wide
    layer = EinsumDense("abc,cde->abde", (None, 4, 8))
    layer.build((None, 7, 16))
    kernel = np.abs(layer.kernel.numpy())
    assert kernel.max() <= np.sqrt(6 / 48) and kernel.max() > np.sqrt(6 / 192)
    zeros = EinsumDense("ab,bc->ac", 3, kernel_initializer="zeros")
    zeros.build((None, 2))
    assert not zeros.kernel.numpy().any()


def test_config_round_trip():
    layer = EinsumDense("abc,cde->abde", (None, 4, 8), activation="relu", bias_axes="de",
                        kernel_regularizer="l2", name="proj")
    config = layer.get_config()
    assert {k: config[k] for k in ("equation", "output_shape", "bias_axes", "activation",
                                   "kernel_constraint")} == {
        "equation": "abc,cde->abde", "output_shape": (None, 4, 8), "bias_axes": "de",
        "activation": "relu", "kernel_constraint": None}
    assert EinsumDense.from_config(config).get_config() == config
    assert EinsumDense("ab,bc->ac", 4).get_config()["output_shape"] == (4,)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="Invalid einsum equation 'ab->b'"):
        EinsumDense("ab->b", 3)
    with pytest.raises(TypeError, match="`equation` must be a string"):
        EinsumDense(3, 3)
    with pytest.raises(ValueError, match="`output_shape` must be a positive integer"):
        EinsumDense("ab,bc->ac", 0)
    with pytest.raises(ValueError, match="`kernel_constraint` is not supported"):
        EinsumDense("ab,bc->ac", 3, kernel_constraint="non_neg")
    with pytest.raises(ValueError, match="Weight dimension 'z' did not have a match"):
        EinsumDense("ab,bzc->ac", 3).build((None, 4))
    with pytest.raises(ValueError, match="Dimension 'c' was specified in the output"):
        EinsumDense("ab,bd->ac", 3).build((None, 4))
    with pytest.raises(ValueError, match="Bias dimension 'q' was requested"):
        EinsumDense("ab,bc->ac", 3, bias_axes="q").build((None, 4))
    with pytest.raises(ValueError, match="do not match at shared dimension 'b'. Input shape "
                                         "is 3, and output shape is 5"):
        EinsumDense("abc,cd->abd", (5, 4)).build((None, 3, 2))
    with pytest.raises(ValueError, match=r"must give the 2 output axes"):
        EinsumDense("abc,cd->abd", 4).build((None, 3, 2))
    with pytest.raises(ValueError, match=r"names 2 input axes but the input has shape"):
        EinsumDense("ab,bc->ac", 4).build((None, 3, 2))
    layer = EinsumDense("ab,bc->ac", 4)
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"axis 'b' must have size 3, received input of shape "
                                         r"\(2, 5\)"):
        layer(np.ones((2, 5), "float32"))


def test_einsum_dense_in_a_model_that_trains_and_saves(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 5, 4)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None].astype("float32")
    inputs = keras.Input((5, 4))
    heads = EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de")(inputs)
    out = keras.layers.Dense(1)(keras.layers.Flatten()(heads))
    model = keras.Model(inputs, out)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    losses = model.fit(x, y, epochs=10, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    model.save(tmp_path / "e.keras")
    loaded = keras.models.load_model(tmp_path / "e.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
