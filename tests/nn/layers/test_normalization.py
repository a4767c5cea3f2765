import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet.nn.layers import BatchNormalization, LayerNormalization


def _bn_weights(layer, module):
    with torch.no_grad():
        module.weight.copy_(torch.tensor(np.random.default_rng(3).uniform(0.5, 1.5,
                                                                          module.weight.shape)))
        module.bias.copy_(torch.tensor(np.random.default_rng(4).uniform(-1, 1,
                                                                        module.bias.shape)))
        module.running_mean.copy_(torch.tensor(layer.moving_mean.numpy()))
        module.running_var.copy_(torch.tensor(layer.moving_variance.numpy()))
    layer.gamma.assign(module.weight.detach().numpy())
    layer.beta.assign(module.bias.detach().numpy())
    return [(layer.gamma, module.weight, lambda g: g.numpy()),
            (layer.beta, module.bias, lambda g: g.numpy())]


def _nhwc(a, inverse=False):
    return np.moveaxis(a, -1, 1) if not inverse else np.moveaxis(a, 1, -1)


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_matches_torch_2d(training):
    module = torch.nn.BatchNorm1d(4, eps=1e-3, momentum=0.01)
    module.train(training)
    check_layer(BatchNormalization, (6, 4), expected_params=16, training=training,
                torch_module=module, torch_weights=_bn_weights)


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_over_channels_of_nhwc_images(training):
    module = torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.01)
    module.train(training)
    check_layer(BatchNormalization, (2, 4, 5, 3), expected_params=12, training=training,
                torch_module=module, torch_weights=_bn_weights,
                to_torch_input=_nhwc, from_torch_output=lambda t: t.permute(0, 2, 3, 1))


def test_batch_normalization_moving_statistics_follow_keras():
    layer = BatchNormalization(momentum=0.9)
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, (32, 5)).astype(np.float32) for _ in range(3)]
    mean, var = np.zeros(5), np.ones(5)
    for b in batches:
        layer(b, training=True)
        mean = 0.9 * mean + 0.1 * b.mean(0)
        var = 0.9 * var + 0.1 * b.var(0)  # Keras uses the biased batch variance
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-5)
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean",
                                                "moving_variance"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    # Inference uses the moving statistics.
    x = batches[0]
    expected = (x - mean) / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_frozen_batch_normalization_runs_in_inference_mode():
    layer = BatchNormalization()
    x = np.random.default_rng(1).normal(2.0, 1.0, (16, 3)).astype(np.float32)
    layer(x, training=True)
    before = layer.moving_mean.numpy().copy()
    layer.trainable = False
    y = layer(x, training=True)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), before)
    np.testing.assert_allclose(y.numpy(), layer(x, training=False).numpy())
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_layer_normalization_matches_torch():
    module = torch.nn.LayerNorm(6, eps=1e-3)
    with torch.no_grad():
        module.weight.uniform_(0.5, 1.5)
        module.bias.uniform_(-1, 1)

    def weights(layer, m):
        layer.gamma.assign(m.weight.detach().numpy())
        layer.beta.assign(m.bias.detach().numpy())
        return [(layer.gamma, m.weight, lambda g: g.numpy()),
                (layer.beta, m.bias, lambda g: g.numpy())]

    check_layer(LayerNormalization, (4, 6), expected_params=12, torch_module=module,
                torch_weights=weights)
    check_layer(LayerNormalization, (2, 3, 6), expected_params=12)
    check_layer(lambda: LayerNormalization(axis=(1, 2)), (2, 3, 4), expected_params=24)


def test_normalization_errors():
    with pytest.raises(ValueError, match=r"BatchNormalization '.*' was built for inputs of "
                                         r"shape \(None, 4\).*received input of shape \(2, 5\)"):
        layer = BatchNormalization()
        layer.build((None, 4))
        layer(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"`momentum` must be a number in \[0, 1\]. "
                                         r"Received: momentum=1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match=r"LayerNormalization: `epsilon` must be a number > 0. "
                                         r"Received: epsilon=0"):
        LayerNormalization(epsilon=0)
