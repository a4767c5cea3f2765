"""Tiny models with known attributions, shared by the explain tests."""

from pathlib import Path

import numpy as np
import pytest
import torch

from glassnet import keras

MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "mnist10k.npz"


@pytest.fixture
def linear():
    """A Dense(2) model with no activation: the score of class c is x @ W[:, c] + b[c]."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 2)).astype("float32")
    bias = np.array([0.5, -1.0], "float32")
    model.layers[0].set_weights([w, bias])
    x = rng.normal(size=(5, 4)).astype("float32")
    return model, w, bias, x


@pytest.fixture(scope="module")
def mlp():
    """A 4-8-3 tanh MLP trained briefly on a separable toy problem."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    return model, x[:6]


def torch_mlp(model):
    """The same MLP in torch, with the glassnet weights copied."""
    (w1, b1), (w2, b2) = (layer.get_weights() for layer in model.layers)
    lin1, lin2 = torch.nn.Linear(4, 8), torch.nn.Linear(8, 3)
    with torch.no_grad():
        for lin, w, b in ((lin1, w1, b1), (lin2, w2, b2)):
            lin.weight.copy_(torch.tensor(w.T))
            lin.bias.copy_(torch.tensor(b))
    return torch.nn.Sequential(lin1, torch.nn.Tanh(), lin2)


def torch_grad(net, x, target):
    t = torch.tensor(x, requires_grad=True)
    net(t)[torch.arange(len(x)), torch.as_tensor(target)].sum().backward()
    return t.grad.numpy()


@pytest.fixture
def torch_reference():
    """``(torch_mlp, torch_grad)``: the mlp fixture rebuilt in torch, and its input gradient."""
    return torch_mlp, torch_grad


@pytest.fixture(scope="session")
def mnist_cnn():
    """``(model, held_out, predicted)``: a two-convolution CNN (layers conv1, conv2, classes)
    trained for 3 epochs on 3,000 real MNIST digits, 500 held-out digits and its predicted
    classes for them."""
    if not MNIST.exists():
        pytest.skip("needs ../shared/datasets/mnist10k.npz")
    with np.load(MNIST, allow_pickle=False) as f:
        x, y = (f["x"][:3500, ..., None] / 255.0).astype("float32"), f["y"][:3500]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu", name="conv1"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu", name="conv2"),
        keras.layers.MaxPooling2D(), keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax", name="classes")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:3000], y[:3000], epochs=3, batch_size=32, verbose=0)
    held_out = x[3000:]
    assert model.evaluate(held_out, y[3000:], verbose=0, return_dict=True)["accuracy"] > 0.85
    return model, held_out, model.predict(held_out, verbose=0).argmax(axis=1)
