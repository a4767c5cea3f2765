"""The guided methods: gradients with ReLU's backward rule changed.

Guided backpropagation (Springenberg et al., 2015) lets only positive gradients through each
ReLU, the deconvnet (Zeiler & Fergus, 2014) passes the positive part of the gradient whatever
the ReLU's input was, and guided Grad-CAM (Selvaraju et al., 2017) multiplies guided
backpropagation by the Grad-CAM map:

.. math::
    \\text{guided: } \\delta_{in} = \\max(\\delta_{out}, 0) \\cdot [x > 0], \\qquad
    \\text{deconvnet: } \\delta_{in} = \\max(\\delta_{out}, 0), \\qquad
    \\text{GGC} = \\text{GuidedBackprop} \\odot \\text{GradCAM}\\uparrow

They make crisp pictures, and Adebayo et al. (2018) showed why: the pictures barely change
when the model's weights are randomised, so they show edges of the input more than what the
model learned (``glassnet.explain.sanity_check`` measures it). As Captum's
``GuidedBackprop``, ``Deconvolution`` and ``GuidedGradCam``; only ReLU activations (layers,
``activation="relu"``, ``ops.relu``) change rule.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops import relu_gradient_rule
from glassnet.explain import _core
from glassnet.explain.grad_cam import GradCAM


class GuidedBackprop:
    """The input gradient with every ReLU passing back only positive gradients.

    >>> import numpy as np
    >>> from glassnet import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
    ...                           keras.layers.Dense(2)])
    >>> GuidedBackprop(model).attribute(np.ones((2, 3), "float32"), target=0).shape
    (2, 3)
    """

    rule = "guided"

    def __init__(self, model):
        self.forward = _core.Forward(model, type(self).__name__)

    def attribute(self, inputs, target=None, additional_forward_args=None):
        """Attributions shaped like ``inputs`` (a tuple for a tuple of inputs); ``target`` as
        for ``Saliency``."""
        owner = type(self).__name__
        x, self.forward.packing = _core.pack_inputs(inputs, owner)
        target = _core.check_target(target, x.shape[0], owner)
        with relu_gradient_rule(self.rule):
            g = _core.gradients(self.forward, x[None], target, additional_forward_args, None)[0]
        return _core.unpack(g, self.forward.packing)


class Deconvolution(GuidedBackprop):
    """The deconvnet's attribution: every ReLU passes back the positive part of its gradient,
    whatever its input was.

    >>> import numpy as np
    >>> from glassnet import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
    ...                           keras.layers.Dense(2)])
    >>> Deconvolution(model).attribute(np.ones((2, 3), "float32"), target=1).shape
    (2, 3)
    """

    rule = "deconvolution"


class GuidedGradCam:
    """Guided backpropagation times the Grad-CAM map of ``layer`` (upsampled to the input's
    height and width and repeated over its channels).

    >>> import numpy as np
    >>> from glassnet import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)),
    ...                           keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
    ...                           keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> GuidedGradCam(model, "conv").attribute(np.ones((2, 8, 8, 1), "float32"), 1).shape
    (2, 8, 8, 1)
    """

    def __init__(self, model, layer):
        self.grad_cam = GradCAM(model, layer)
        self.guided = GuidedBackprop(model)

    def attribute(self, inputs, target=None, interpolate_mode="bilinear"):
        """Attributions shaped like ``inputs`` (N, H, W, C)."""
        x = _core.as_inputs(inputs, "GuidedGradCam")
        if x.ndim != 4:
            raise ValueError(f"GuidedGradCam: expected images (batch, height, width, "
                             f"channels); received inputs of shape {x.shape}")
        cam = self.grad_cam.attribute(x, target=target, interpolate_mode=interpolate_mode)
        return (self.guided.attribute(x, target=target) * cam[..., None]).astype(np.float32)
