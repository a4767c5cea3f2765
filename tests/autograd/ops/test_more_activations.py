import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.activation import softplus
from glassnet.autograd.ops.more_activations import (
    celu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    log_sigmoid,
    mish,
    relu6,
    softsign,
)
from glassnet.nn import activations
from glassnet.nn.layers import Dense

# name: (glassnet, torch, kinks)
ACTIVATIONS = {
    "relu6": (relu6, F.relu6, (0.0, 6.0)),
    "hard_sigmoid": (hard_sigmoid, F.hardsigmoid, (-3.0, 3.0)),
    "hard_swish": (hard_swish, F.hardswish, (-3.0, 3.0)),
    "hard_silu": (hard_silu, F.hardswish, (-3.0, 3.0)),
    "celu": (celu, F.celu, ()),
    "celu_alpha": (lambda x: celu(x, 0.5), lambda x: F.celu(x, 0.5), ()),
    "celu_alpha2": (lambda x: celu(x, 2.0), lambda x: F.celu(x, 2.0), ()),
    "mish": (mish, F.mish, ()),
    "softsign": (softsign, F.softsign, ()),
    "log_sigmoid": (log_sigmoid, F.logsigmoid, ()),
    "softplus": (softplus, lambda x: F.softplus(x, threshold=1e9), ()),
    "softplus_torch": (lambda x: softplus(x, threshold=20), F.softplus, ()),
    "softplus_beta": (lambda x: softplus(x, beta=2.0, threshold=5.0),
                      lambda x: F.softplus(x, beta=2.0, threshold=5.0), (2.5,)),
    "softplus_beta_small": (lambda x: softplus(x, beta=0.5, threshold=1.0),
                            lambda x: F.softplus(x, beta=0.5, threshold=1.0), (2.0,)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (2, 1, 4)])
def test_activation(name, shape):
    ours, theirs, kinks = ACTIVATIONS[name]
    check_op(ours, theirs, [shape], low=-8.0, high=8.0, kinks=kinks)


def test_plain_softplus_is_keras():
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(softplus(x).numpy(), gn.softplus(x).numpy(), rtol=1e-15)


@pytest.mark.parametrize("name,points", [
    ("relu6", [0.0, 6.0]), ("hard_sigmoid", [-3.0, 3.0]), ("hard_swish", [-3.0, 3.0]),
    ("softplus_beta", [2.5])])
def test_gradient_at_kinks_matches_torch(name, points):
    ours, theirs, _ = ACTIVATIONS[name]
    check_op(ours, theirs, None, arrays=[np.array(points)], fd=False)


@pytest.mark.parametrize("shape,axis", [((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1), ((6,), 0)])
def test_glu(shape, axis):
    check_op(lambda x: glu(x, axis), lambda x: F.glu(x, axis), [shape])


def test_glu_errors():
    with pytest.raises(ValueError, match="odd"):
        glu(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        glu(np.float32(1.0))


def test_extreme_inputs_are_stable():
    big = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], np.float32)
    pairs = [(mish, F.mish), (log_sigmoid, F.logsigmoid), (softsign, F.softsign),
             (celu, F.celu), (lambda x: softplus(x, threshold=20), F.softplus),
             (lambda x: softplus(x, 3.0, 20), lambda x: F.softplus(x, 3.0, 20)),
             (relu6, F.relu6), (hard_swish, F.hardswish)]
    for ours, theirs in pairs:
        x = gn.tensor(big, requires_grad=True)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = ours(x)
            y.sum().backward()
        t = torch.tensor(big, requires_grad=True)
        ty = theirs(t)
        ty.sum().backward()
        assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad).all()
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-30)
        # rtol: torch differentiates softsign as a quotient; 1 / (1 + |x|)**2 rounds less
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-4, atol=1e-30)
    # log_sigmoid keeps the exact value far left instead of log(0)
    assert log_sigmoid(np.array([-1e4])).numpy()[0] == -1e4


def test_accepts_numbers_arrays_tensors():
    for fn in (relu6, hard_sigmoid, hard_swish, celu, mish, softsign, log_sigmoid, softplus):
        a = fn(1.5).numpy()
        b = fn(np.array(1.5)).numpy()
        c = fn(gn.tensor(1.5, dtype=np.float64)).numpy()
        np.testing.assert_allclose(a, b)
        np.testing.assert_allclose(b, c)
    assert glu([1.0, 0.0]).numpy().tolist() == [0.5]


@pytest.mark.parametrize("name", ["relu6", "hard_sigmoid", "hard_silu", "hard_swish", "mish",
                                  "softsign", "log_sigmoid", "celu", "glu"])
def test_registered_by_name(name):
    fn = activations.get(name)
    assert callable(fn)
    units = 4
    layer = Dense(units, activation=name)
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    y = layer(x)
    assert y.shape == ((3, 2) if name == "glu" else (3, 4))
    pre = x @ layer.get_weights()[0] + layer.get_weights()[1]
    np.testing.assert_allclose(y.numpy(), fn(pre).numpy(), rtol=1e-6)
    y.sum().backward()
    assert layer.trainable_weights[0].grad is not None
    config = layer.get_config()
    assert Dense.from_config(config).get_config() == config


def test_dense_mish_matches_torch():
    layer = Dense(4, activation="mish")
    x = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    y = layer(x).numpy()
    w, b = layer.get_weights()
    ref = F.mish(torch.tensor(x) @ torch.tensor(w) + torch.tensor(b)).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
