"""Grad-CAM (Selvaraju et al., 2017): where in the image a convolution layer saw the class.

With A the layer's output (H', W', K channels) and y_c the target score, each channel is
weighted by its mean gradient and the weighted channels are summed:

.. math::
    \\alpha_k = \\frac{1}{H'W'} \\sum_{i,j} \\frac{\\partial y_c}{\\partial A_{ijk}}, \\qquad
    L = \\mathrm{ReLU}\\Big(\\sum_k \\alpha_k A_{::k}\\Big)

then resized to the input's height and width (bilinear), as Captum's ``LayerGradCam``
followed by ``LayerAttribution.interpolate``. The gradient is glassnet's, through a
``GradientTape`` over one forward pass of a model returning both the layer's output and the
model's.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops import resize
from glassnet.autograd.tape import GradientTape
from glassnet.explain import _core


class GradCAM:
    """Grad-CAM of ``model`` (a functional or Sequential model with an input) at the 2-D
    convolution-shaped layer ``layer`` (its name, or the layer).

    >>> import numpy as np
    >>> from glassnet import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)),
    ...                           keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
    ...                           keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> GradCAM(model, "conv").attribute(np.ones((2, 8, 8, 1), "float32"), target=1).shape
    (2, 8, 8)
    """

    def __init__(self, model, layer):
        from glassnet.train import Model

        if not isinstance(model, Model) or not getattr(model, "inputs", None):
            raise TypeError(f"GradCAM: expected a Keras model with an input (Sequential or "
                            f"functional); received {type(model).__name__}")
        self.layer = model.get_layer(layer) if isinstance(layer, str) else layer
        if len(self.layer.output.shape) != 4:
            raise ValueError(f"GradCAM: the layer '{self.layer.name}' outputs shape "
                             f"{self.layer.output.shape}; expected (batch, height, width, "
                             f"channels), a 2-D convolution's")
        inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
        self._probe = Model(inputs, [self.layer.output, model.output])

    def attribute(self, inputs, target=None, relu_attributions=True, upsample=True,
                  interpolate_mode="bilinear"):
        """The (N, H, W) map per input (the layer's (N, H', W') without ``upsample``),
        resized by ``interpolate_mode`` ("bilinear" or "nearest")."""
        if interpolate_mode not in ("bilinear", "nearest"):
            raise ValueError(f"GradCAM: `interpolate_mode` must be 'bilinear' or 'nearest'; "
                             f"received {interpolate_mode!r}")
        x = np.asarray(inputs, dtype=np.float32)
        n = x.shape[0]
        target = _core.check_target(target, n, "GradCAM")
        with GradientTape() as tape:
            activations, out = self._probe(x, training=False)
            score = _core.select(out, target, n, 1, "GradCAM").sum()
        grads = tape.gradient(score, activations)
        grads = grads.numpy() if hasattr(grads, "numpy") else np.asarray(grads)
        a = activations.numpy()
        alpha = grads.mean(axis=(1, 2), keepdims=True)  # (N, 1, 1, K)
        cam = (alpha * a).sum(axis=-1)  # (N, H', W')
        if relu_attributions:
            cam = np.maximum(cam, 0)
        if upsample and x.ndim == 4 and cam.shape[1:] != x.shape[1:3]:
            cam = resize(cam[..., None], x.shape[1:3],
                         interpolation=interpolate_mode).numpy()[..., 0]
        return cam.astype(np.float32)
