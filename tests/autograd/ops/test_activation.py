import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import glassnet as gn

SELU = 1.0507009873554805, 1.6732632423543772

# name: (glassnet, torch, kinks)
ACTIVATIONS = {
    "sigmoid": (gn.sigmoid, torch.sigmoid, ()),
    "tanh": (gn.tanh, torch.tanh, ()),
    "relu": (gn.relu, torch.relu, (0.0,)),
    "leaky_relu": (gn.leaky_relu, lambda x: F.leaky_relu(x, 0.2), (0.0,)),
    "leaky_relu_0.01": (lambda x: gn.leaky_relu(x, 0.01), F.leaky_relu, (0.0,)),
    "elu": (gn.elu, F.elu, (0.0,)),
    "elu_alpha": (lambda x: gn.elu(x, 0.5), lambda x: F.elu(x, 0.5), (0.0,)),
    "selu": (gn.selu, F.selu, (0.0,)),
    "gelu": (gn.gelu, F.gelu, ()),
    "gelu_tanh": (lambda x: gn.gelu(x, approximate=True),
                  lambda x: F.gelu(x, approximate="tanh"), ()),
    "softplus": (gn.softplus, F.softplus, ()),
    "silu": (gn.silu, F.silu, ()),
    "swish": (gn.swish, F.silu, ()),
    "method_sigmoid": (lambda x: x.sigmoid(), torch.sigmoid, ()),
    "method_relu": (lambda x: x.relu(), torch.relu, (0.0,)),
    "method_tanh": (lambda x: x.tanh(), torch.tanh, ()),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (2, 1, 4)])
def test_activation(name, shape):
    ours, theirs, kinks = ACTIVATIONS[name]
    # The exact GELU's erf is a 1.5e-7-accurate approximation: finite differences see it.
    fd_atol = 2e-6 if name == "gelu" else 1e-6
    check_op(ours, theirs, [shape], low=-4.0, high=4.0, kinks=kinks, fd_atol=fd_atol)


@settings(max_examples=15, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
def test_activations_drawn_shapes(shape):
    for name in ("sigmoid", "relu", "elu", "softplus"):
        ours, theirs, kinks = ACTIVATIONS[name]
        check_op(ours, theirs, [shape], low=-4.0, high=4.0, kinks=kinks)


@pytest.mark.parametrize("shape,axis", [((4, 5), -1), ((4, 5), 0), ((2, 3, 4), 1), ((6,), 0)])
def test_softmax_log_softmax(shape, axis):
    check_op(lambda x: gn.softmax(x, axis), lambda x: torch.softmax(x, axis), [shape])
    check_op(lambda x: gn.log_softmax(x, axis), lambda x: torch.log_softmax(x, axis), [shape])
    check_op(lambda x: x.softmax(axis), lambda x: x.softmax(axis), [shape], seed=3)


def test_extreme_inputs_are_stable():
    data = np.array([[1e4, -1e4, 0.0, 5e3], [-1e4, -1e4, -1e4, -1e4]], np.float32)
    pairs = [(gn.softmax, torch.softmax), (gn.log_softmax, torch.log_softmax)]
    for ours, theirs in pairs:
        x = gn.tensor(data, requires_grad=True)
        y = ours(x, -1)
        upstream = np.arange(8, dtype=np.float32).reshape(2, 4)
        y.backward(upstream)
        t = torch.tensor(data, requires_grad=True)
        ty = theirs(t, -1)
        ty.backward(torch.tensor(upstream))
        assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad).all()
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6, atol=1e-6)
    big = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], np.float32)
    for ours, theirs in [(gn.sigmoid, torch.sigmoid), (gn.softplus, F.softplus),
                         (gn.silu, F.silu), (gn.elu, F.elu), (gn.tanh, torch.tanh)]:
        x = gn.tensor(big, requires_grad=True)
        ours(x).sum().backward()
        t = torch.tensor(big, requires_grad=True)
        theirs(t).sum().backward()
        # atol: sigmoid(-100) is 3.8e-44, a denormal that torch flushes to 0.
        np.testing.assert_allclose(ours(gn.tensor(big)).numpy(), theirs(torch.tensor(big)),
                                   rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-6, atol=1e-30)


def test_relu_gradient_at_zero_is_zero():
    x = gn.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    gn.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


def test_step_is_heaviside_without_gradient():
    x = gn.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = gn.step(x)
    assert y.tolist() == [0.0, 0.0, 1.0] and y.dtype == np.float32 and not y.requires_grad
