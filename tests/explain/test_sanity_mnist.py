"""Adebayo et al.'s sanity checks and the deletion test on a CNN trained on real MNIST digits:
gradient maps and Grad-CAM change when the weights are randomised, guided backpropagation's
barely do; removing the top-attributed pixels hurts the class score far more than removing
random ones."""

from pathlib import Path

import numpy as np
import pytest

from glassnet import keras
from glassnet.explain import (
    GradCAM,
    GuidedBackprop,
    IntegratedGradients,
    Saliency,
    deletion_curve,
    sanity_check,
)

MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "mnist10k.npz"


@pytest.fixture(scope="module")
def trained():
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


def test_gradients_and_grad_cam_pass_guided_backprop_does_not(trained):
    model, x, predicted = trained
    x, target = x[:12], predicted[:12]
    saliency = sanity_check(Saliency, model, x, target=target, absolute=False, abs=False)
    guided = sanity_check(GuidedBackprop, model, x, target=target, absolute=False)
    grad_cam = sanity_check(lambda m: GradCAM(m, "conv2"), model, x, target=target)
    assert [name for name, _ in saliency.cascading] == ["classes", "conv2", "conv1"]
    assert saliency.passes and abs(saliency.cascading[-1][1]) < 0.2
    assert grad_cam.passes
    # guided backpropagation's map stays alike with the output layer re-initialised (the
    # gradient's does not), and more alike than the gradient's with every layer
    assert guided.cascading[0][1] > 0.4 and abs(saliency.cascading[0][1]) < 0.2
    assert guided.cascading[-1][1] > saliency.cascading[-1][1] + 0.15
    # the weights come back: the trained model explains as before
    again = Saliency(model).attribute(x, target=target, abs=False)
    np.testing.assert_array_equal(again, Saliency(model).attribute(x, target=target, abs=False))


def test_removing_the_top_attributed_pixels_hurts_more_than_random_ones(trained):
    model, x, predicted = trained
    x, target = x[:60], predicted[:60]
    attribution = IntegratedGradients(model).attribute(x, target=target, n_steps=16)
    top = deletion_curve(model, x, attribution, target=target, fractions=[0, 0.1])
    rand = deletion_curve(model, x, attribution, target=target, fractions=[0, 0.1],
                          order="random")
    np.testing.assert_allclose(top[0], rand[0])       # nothing removed: the same scores
    assert (top[0] - top[1]).mean() > (rand[0] - rand[1]).mean() + 0.3
