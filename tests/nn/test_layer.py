import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import Layer, Parameter
from glassnet.nn.layers import BatchNormalization, Dense


class TwoDense(Layer):
    """A PyTorch-style composite: sub-layers in attributes, a list and a dict."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = Dense(4, activation="relu")
        self.blocks = [Dense(3)]
        self.heads = {"out": Dense(2)}

    def call(self, x):
        return self.heads["out"](self.blocks[0](self.first(x)))


def test_names_are_unique_like_keras():
    gn.nn.reset_names()
    assert [Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert BatchNormalization().name == "batch_normalization"
    assert Dense(1, name="head").name == "head"


def test_build_is_lazy_and_happens_on_first_call():
    layer = Dense(3)
    assert not layer.built and layer.weights == []
    with pytest.raises(ValueError, match="isn't built"):
        layer.count_params()
    layer(np.ones((2, 5)))
    assert layer.built and [w.shape for w in layer.weights] == [(5, 3), (3,)]
    layer2 = Dense(3)
    layer2.build((None, 7))
    assert layer2.count_params() == 24


def test_weights_are_found_by_walking_attributes_lists_and_dicts():
    model = TwoDense()
    y = model(np.ones((2, 6)))
    assert y.shape == (2, 2)
    assert len(model.layers) == 3
    assert len(model.weights) == 6 and len(model.trainable_weights) == 6
    assert model.count_params() == (6 * 4 + 4) + (4 * 3 + 3) + (3 * 2 + 2)
    assert model.parameters() == model.trainable_weights


def test_freezing_stops_gradients_and_unfreezing_restores_them():
    model = TwoDense()
    x = np.ones((2, 6), np.float32)
    model(x)
    model.first.trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    model(x).sum().backward()
    assert model.first.kernel.grad is None and model.heads["out"].kernel.grad is not None
    model.trainable = False
    assert model.trainable_weights == [] and all(not w.requires_grad for w in model.weights)
    model.trainable = True
    assert len(model.trainable_weights) == 6 and all(w.requires_grad for w in model.weights)


def test_regularization_losses_are_collected_and_differentiable():
    layer = Dense(2, kernel_regularizer=gn.nn.regularizers.L2(0.1), bias_regularizer="l1",
                  activity_regularizer=gn.nn.regularizers.L1(0.5))
    y = layer(np.ones((3, 4), np.float32))
    losses = layer.losses
    assert len(losses) == 3
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(losses[0].item(), 0.1 * (k ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(losses[1].item(), 0.01 * np.abs(b).sum(), rtol=1e-6)
    # the activity penalty is per sample, divided by the batch size (Keras 3)
    np.testing.assert_allclose(losses[2].item(), 0.5 * np.abs(y.numpy()).sum() / 3, rtol=1e-6)
    sum(losses[:2], gn.tensor(0.0)).backward()
    np.testing.assert_allclose(layer.kernel.grad, 0.2 * k, rtol=1e-6)


def test_get_and_set_weights():
    a, b = Dense(3), Dense(3)
    a(np.ones((1, 2)))
    b(np.ones((1, 2)))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(np.ones((1, 2))).numpy(), b(np.ones((1, 2))).numpy())
    with pytest.raises(ValueError, match=r"expects 2 weight arrays, received 1"):
        b.set_weights(a.get_weights()[:1])
    with pytest.raises(ValueError, match=r"Parameter 'kernel' has shape \(2, 3\); cannot "
                                         r"assign a value of shape \(3, 3\)"):
        b.kernel.assign(np.zeros((3, 3)))


def test_inputs_are_cast_to_the_layer_dtype():
    y = Dense(2)(np.ones((2, 3), dtype=np.float64))
    assert y.dtype == np.float32
    y64 = Dense(2, dtype="float64")(np.ones((2, 3), dtype=np.float32))
    assert y64.dtype == np.float64
    assert Dense(2)(np.ones((2, 3), dtype=np.uint8)).dtype == np.float32


def test_parameter_requires_grad_follows_trainable():
    p = Parameter(np.zeros(2), name="w")
    assert p.requires_grad and p.dtype == np.float32
    p.trainable = False
    assert not p.requires_grad


def test_custom_layer_written_like_keras():
    class Scale(Layer):
        def build(self, input_shape):
            self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    layer = Scale()
    y = layer(np.full((2, 3), 2.0))
    assert y.tolist() == [[2.0] * 3] * 2 and layer.count_params() == 3
    assert layer.compute_output_shape((None, 3)) == (None, 3)
