"""End to end on real data with fixed seeds: the classic MLP through the Keras API."""

from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.datasets import fashion_mnist

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mnist10k.npz"


@pytest.fixture(autouse=True)
def two_threads():
    """The accuracies below were measured with two threads: a weight gradient is summed in
    per-thread parts, so the thread count changes its rounding (and a marginal seed's result)."""
    before = glassnet.get_num_threads()
    glassnet.set_num_threads(2)
    yield
    glassnet.set_num_threads(before)


def classic_mlp(input_shape, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=input_shape),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.mark.slow
def test_mlp_on_fashion_mnist_after_two_epochs():
    if fashion_mnist.find_files() is None:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    (x, y), (x_test, y_test) = fashion_mnist.load_data()
    # Over seeds 0-7 the same network reaches 0.843-0.865 (mean 0.854), and a seed near 0.85
    # crosses it when the rounding changes (seed 2: 0.854 with one thread, 0.848 with the
    # work split over two). Seed 3 reaches 0.862 either way; with two threads seeds 3, 4, 5
    # give 0.862, 0.850, 0.862.
    model = classic_mlp((28, 28), seed=3)
    model.fit(x / 255.0, y, epochs=2, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test / 255.0, y_test, verbose=0)
    print(f"Fashion-MNIST test accuracy after 2 epochs: {accuracy:.4f}")
    assert accuracy >= 0.85


@pytest.fixture(scope="module")
def mnist_sample():
    if not SHARED.exists():
        pytest.skip(f"the shared MNIST sample is not at {SHARED}")
    with np.load(SHARED, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    return (x[:8000], y[:8000]), (x[8000:], y[8000:])


@pytest.mark.slow
def test_mlp_on_the_mnist_sample_after_five_epochs(mnist_sample):
    (x, y), (x_test, y_test) = mnist_sample
    # Seeds 0, 1, 2 (two threads): 0.942, 0.937, 0.938.
    model = classic_mlp((28, 28), seed=0)
    model.fit(x / 255.0, y, epochs=5, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test / 255.0, y_test, verbose=0)
    print(f"MNIST sample test accuracy after 5 epochs: {accuracy:.4f}")
    assert accuracy >= 0.93


def test_seeded_fits_on_real_data_are_bit_identical(mnist_sample):
    (x, y), _ = mnist_sample
    weights = []
    for _ in range(2):
        model = classic_mlp((28, 28), seed=3)
        model.fit(x[:2000] / 255.0, y[:2000], epochs=1, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
