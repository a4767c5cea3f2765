"""A hand-written training loop, PyTorch style, on real data: the layers, loss and optimizer
working together outside any fit()."""

from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn.layers import Dense

MNIST_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mnist10k.npz"


@pytest.fixture(scope="module")
def mnist():
    if not MNIST_SAMPLE.exists():
        pytest.skip(f"the shared MNIST sample is not at {MNIST_SAMPLE}")
    with np.load(MNIST_SAMPLE, allow_pickle=False) as data:
        x, y = data["x"].reshape(-1, 784).astype(np.float32) / 255.0, data["y"].astype(np.int64)
    return (x[:8000], y[:8000]), (x[8000:], y[8000:])


@pytest.mark.slow
def test_pytorch_style_loop_trains_two_layer_net_on_mnist(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    gn.seed(0)
    hidden, head = Dense(128, activation="relu"), Dense(10)
    hidden.build((None, 784))
    head.build((None, 128))
    opt = gn.optim.Adam(hidden.parameters() + head.parameters(), lr=1e-3)
    loss_fn = gn.losses.SparseCategoricalCrossentropy(from_logits=True)
    rng = np.random.default_rng(0)
    first_loss = None
    for _epoch in range(3):
        order = rng.permutation(len(x_train))
        x_shuffled, y_shuffled = x_train[order], y_train[order]
        for start in range(0, len(x_train), 32):
            xb, yb = x_shuffled[start:start + 32], y_shuffled[start:start + 32]
            loss = loss_fn(yb, head(hidden(xb)))
            loss.backward()
            opt.step()
            opt.zero_grad()
            first_loss = first_loss or loss.item()
    with gn.no_grad():
        logits = head(hidden(x_test))
    accuracy = float((logits.numpy().argmax(1) == y_test).mean())
    assert loss.item() < first_loss / 5
    print(f"test accuracy {accuracy:.4f}")
    assert accuracy >= 0.9, accuracy
