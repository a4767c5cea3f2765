"""Gradient attributions: how much the target score moves per unit change of each input.

.. math::
    \\text{Saliency}(x)_i = \\left|\\frac{\\partial f_c(x)}{\\partial x_i}\\right|, \\qquad
    \\text{InputXGradient}(x)_i = x_i \\frac{\\partial f_c(x)}{\\partial x_i}

(Simonyan et al., 2013; Shrikumar et al., 2016), computed with glassnet's own autograd.
"""

from __future__ import annotations

import numpy as np

from glassnet.explain import _core


class Saliency:
    """The gradient of the target score with respect to the input (its absolute value by
    default), as Captum's ``Saliency``.

    Args:
        model: a glassnet/Keras model or any callable mapping a batch tensor to outputs
            built from glassnet ops.

    >>> import numpy as np
    >>> from glassnet import keras
    >>> from glassnet.explain import Saliency
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> Saliency(model).attribute(np.ones((4, 3), "float32"), target=1).shape
    (4, 3)
    """

    def __init__(self, model):
        self.forward = _core.Forward(model, type(self).__name__)

    def _grads(self, x, target, additional_forward_args):
        owner = type(self).__name__
        target = _core.check_target(target, x.shape[0], owner)
        return _core.gradients(self.forward, x[None], target, additional_forward_args, None)[0]

    def attribute(self, inputs, target=None, abs=True, additional_forward_args=None):
        """Attributions shaped like ``inputs``.

        Args:
            inputs: array (n, *features), or a tuple of them for a multi-input model
                (attributions are then a tuple too).
            target: output index: an int (or a tuple for outputs with several axes), one int
                per sample, or None when the model returns one value per sample.
            abs: return ``|gradient|`` (True) or the signed gradient.
            additional_forward_args: further positional arguments of the model.
        """
        x, self.forward.packing = _core.pack_inputs(inputs, type(self).__name__)
        g = self._grads(x, target, additional_forward_args)
        return _core.unpack(np.abs(g) if abs else g, self.forward.packing)


class InputXGradient(Saliency):
    """The input times the gradient of the target score: for a linear model ``x * w``, the
    contribution of each input to the score. As Captum's ``InputXGradient``.

    >>> import numpy as np
    >>> from glassnet.explain import InputXGradient
    >>> import glassnet as gn
    >>> f = lambda t: (t * gn.tensor([[1.0, -2.0]])).sum(axis=1)
    >>> InputXGradient(f).attribute(np.array([[3.0, 1.0]], "float32")).tolist()
    [[3.0, -2.0]]
    """

    def attribute(self, inputs, target=None, additional_forward_args=None):
        x, self.forward.packing = _core.pack_inputs(inputs, type(self).__name__)
        return _core.unpack(x * self._grads(x, target, additional_forward_args),
                            self.forward.packing)
