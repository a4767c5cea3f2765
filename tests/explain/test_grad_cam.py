"""GradCAM against the same computation in torch on copied weights, its resizing, ReLU and
errors."""

import numpy as np
import pytest
import torch

from glassnet import keras
from glassnet.explain import GradCAM


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8, 8, 2)),
                             keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
                             keras.layers.Flatten(), keras.layers.Dense(3, name="scores")])


def _torch_cam(model, x, target):
    conv, dense = model.get_layer("conv"), model.get_layer("scores")
    w = torch.tensor(conv.kernel.numpy()).permute(3, 2, 0, 1)
    a = torch.relu(torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2), w,
                                              torch.tensor(conv.bias.numpy())))
    a = a.permute(0, 2, 3, 1).detach().requires_grad_(True)  # (N, H', W', K) as glassnet's
    out = a.reshape(len(x), -1) @ torch.tensor(dense.kernel.numpy()) + torch.tensor(
        dense.bias.numpy())
    out[torch.arange(len(x)), torch.tensor(target)].sum().backward()
    alpha = a.grad.mean(dim=(1, 2), keepdim=True)
    return torch.relu((alpha * a).sum(-1)).detach().numpy()


def test_grad_cam_equals_torch_on_the_same_weights():
    model = _model()
    x = np.random.default_rng(0).random((3, 8, 8, 2)).astype("float32")
    target = [0, 2, 1]
    ours = GradCAM(model, "conv").attribute(x, target=target, upsample=False)
    assert ours.shape == (3, 6, 6)
    np.testing.assert_allclose(ours, _torch_cam(model, x, target), rtol=1e-4, atol=1e-6)
    full = GradCAM(model, model.get_layer("conv")).attribute(x, target=target)
    assert full.shape == (3, 8, 8) and (full >= 0).all()
    signed = GradCAM(model, "conv").attribute(x, target=1, relu_attributions=False,
                                              upsample=False)
    np.testing.assert_allclose(np.maximum(signed, 0),
                               GradCAM(model, "conv").attribute(x, target=1, upsample=False),
                               rtol=1e-6)


def test_grad_cam_errors_name_what_is_wrong():
    model = _model()
    with pytest.raises(ValueError, match="'scores' outputs shape"):
        GradCAM(model, "scores")
    with pytest.raises(TypeError, match="expected a Keras model"):
        GradCAM(lambda t: t, "conv")
    with pytest.raises(ValueError, match="`target` is required"):
        GradCAM(model, "conv").attribute(np.ones((1, 8, 8, 2), "float32"))
