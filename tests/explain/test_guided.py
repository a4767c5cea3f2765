"""GuidedBackprop, Deconvolution and GuidedGradCam against torch with Captum's ReLU hooks on
copied weights, through the fused convolution + ReLU + pool path; the rule is per thread and
ends with its block."""

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import glassnet
from glassnet import keras
from glassnet.autograd.ops import relu_gradient_rule
from glassnet.explain import Deconvolution, GuidedBackprop, GuidedGradCam, Saliency


@pytest.fixture(scope="module")
def cnn():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((10, 10, 2)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),   # fused with the pool
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(6, activation="relu"),
        keras.layers.Dense(5),
        keras.layers.ReLU(),
        keras.layers.Dense(3, name="scores")])
    x = np.random.default_rng(0).normal(size=(4, 10, 10, 2)).astype("float32")
    return model, x


def _torch_net(model, rule):
    """The model in torch (NHWC in, as glassnet's), each ReLU's backward replaced as Captum
    does: guided returns relu(grad_input), deconvolution relu(grad_output)."""
    conv, _, _, d1, d2, _, d3 = model.layers
    w = torch.tensor(conv.kernel.numpy()).permute(3, 2, 0, 1)
    b = torch.tensor(conv.bias.numpy())

    def relu(t):
        if rule == "standard":
            return torch.relu(t)
        return _Rule.apply(t, rule)

    def dense(t, layer):
        return t @ torch.tensor(layer.kernel.numpy()) + torch.tensor(layer.bias.numpy())

    def net(x):
        a = relu(F.conv2d(x.permute(0, 3, 1, 2), w, b))
        a = F.max_pool2d(a, 2).permute(0, 2, 3, 1).reshape(len(x), -1)
        return dense(relu(dense(relu(dense(a, d1)), d2)), d3)

    return net


class _Rule(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, rule):
        ctx.save_for_backward(x)
        ctx.rule = rule
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        if ctx.rule == "deconvolution":
            return gy.clamp(min=0), None
        return (gy * (x > 0)).clamp(min=0), None


def _torch_grad(net, x, target):
    t = torch.tensor(x, requires_grad=True)
    net(t)[torch.arange(len(x)), torch.tensor(target)].sum().backward()
    return t.grad.numpy()


@pytest.mark.parametrize("method, rule", [(GuidedBackprop, "guided"),
                                          (Deconvolution, "deconvolution")])
def test_guided_methods_equal_torch_with_the_same_relu_rule(cnn, method, rule):
    model, x = cnn
    target = [0, 1, 2, 1]
    ours = method(model).attribute(x, target=target)
    expected = _torch_grad(_torch_net(model, rule), x, target)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)
    # the rule changes the answer (otherwise this test could not fail) ...
    plain = _torch_grad(_torch_net(model, "standard"), x, target)
    assert np.abs(plain - expected).max() > 1e-3
    # ... and ends with the call: plain gradients are the derivative again
    np.testing.assert_allclose(Saliency(model).attribute(x, target=target, abs=False), plain,
                               rtol=1e-4, atol=1e-6)


def test_guided_grad_cam_is_guided_backprop_times_the_upsampled_map(cnn):
    model, x = cnn
    target = [2, 0, 1, 1]
    ours = GuidedGradCam(model, "conv").attribute(x, target=target)
    conv = model.get_layer("conv")
    # Grad-CAM of the conv's output in torch
    w = torch.tensor(conv.kernel.numpy()).permute(3, 2, 0, 1)
    a = torch.relu(F.conv2d(torch.tensor(x).permute(0, 3, 1, 2), w,
                            torch.tensor(conv.bias.numpy()))).detach().requires_grad_(True)
    h = F.max_pool2d(a, 2).permute(0, 2, 3, 1).reshape(len(x), -1)
    d1, d2, _, d3 = model.layers[3:]
    for layer in (d1, d2):
        h = torch.relu(h @ torch.tensor(layer.kernel.numpy()) + torch.tensor(layer.bias.numpy()))
    out = h @ torch.tensor(d3.kernel.numpy()) + torch.tensor(d3.bias.numpy())
    out[torch.arange(len(x)), torch.tensor(target)].sum().backward()
    cam = torch.relu((a.grad.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=(10, 10), mode="bilinear", align_corners=False)
    expected = _torch_grad(_torch_net(model, "guided"), x, target) * cam.permute(
        0, 2, 3, 1).detach().numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)
    assert ours.shape == x.shape


def test_the_rule_is_per_thread_and_checked():
    x = glassnet.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
    weights = glassnet.tensor([[-3.0, 1.0, 2.0]])
    seen = {}
    inside, go_on = threading.Event(), threading.Event()

    def other():
        with relu_gradient_rule("deconvolution"):
            inside.set()
            go_on.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    (glassnet.relu(x) * weights).sum().backward()   # while the other thread is in its block
    seen["main"] = x.grad.tolist()
    go_on.set()
    thread.join()
    assert seen["main"] == [[-3.0, 0.0, 2.0]]
    with pytest.raises(ValueError, match="relu_gradient_rule: expected one of"):
        with relu_gradient_rule("guidedd"):
            pass


def test_guided_grad_cam_wants_images(cnn):
    model, _ = cnn
    with pytest.raises(ValueError, match="expected images"):
        GuidedGradCam(model, "conv").attribute(np.ones((2, 10, 10), "float32"), target=0)
    with pytest.raises(ValueError, match="interpolate_mode"):
        GuidedGradCam(model, "conv").attribute(np.ones((1, 10, 10, 2), "float32"), 0,
                                               interpolate_mode="cubic")
