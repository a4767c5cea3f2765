"""Adebayo et al.'s sanity checks and the deletion test on a CNN trained on real MNIST digits:
gradient maps and Grad-CAM change when the weights are randomised, guided backpropagation's
barely do; removing the top-attributed pixels hurts the class score far more than removing
random ones."""

import numpy as np

from glassnet.explain import (
    GradCAM,
    GuidedBackprop,
    IntegratedGradients,
    Saliency,
    deletion_curve,
    sanity_check,
)


def test_gradients_and_grad_cam_pass_guided_backprop_does_not(mnist_cnn):
    model, x, predicted = mnist_cnn
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


def test_removing_the_top_attributed_pixels_hurts_more_than_random_ones(mnist_cnn):
    model, x, predicted = mnist_cnn
    x, target = x[:60], predicted[:60]
    attribution = IntegratedGradients(model).attribute(x, target=target, n_steps=16)
    top = deletion_curve(model, x, attribution, target=target, fractions=[0, 0.1])
    rand = deletion_curve(model, x, attribution, target=target, fractions=[0, 0.1],
                          order="random")
    np.testing.assert_allclose(top[0], rand[0])       # nothing removed: the same scores
    assert (top[0] - top[1]).mean() > (rand[0] - rand[1]).mean() + 0.3
