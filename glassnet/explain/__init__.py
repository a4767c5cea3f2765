"""Attribution methods with Captum's conventions: which inputs made the model say what it said.

Each class takes a model (a glassnet/Keras model or any callable from a batch to outputs) and
has ``attribute(inputs, target=None, ...)`` returning NumPy arrays shaped like ``inputs``.
Gradients come from glassnet's own autograd, with the model in inference mode. A tuple of
inputs (a multi-input model: ``forward(*inputs)``, or a Keras model given the list) gives a
tuple of attributions; baselines and feature masks may then be tuples too.

``glassnet.explain.shap_bridge`` and ``glassnet.explain.lime_bridge`` hand glassnet models
to SHAP's and LIME's explainers (the ``[explain]`` extra).

>>> import numpy as np
>>> import glassnet as gn
>>> from glassnet.explain import IntegratedGradients
>>> f = lambda t: (t * gn.tensor([[2.0, -1.0]])).sum(axis=1)
>>> IntegratedGradients(f).attribute(np.array([[1.0, 3.0]], "float32")).tolist()
[[2.0, -3.0]]
"""

from glassnet.explain.faithfulness import deletion_curve
from glassnet.explain.grad_cam import GradCAM
from glassnet.explain.gradient_shap import GradientShap
from glassnet.explain.gradients import InputXGradient, Saliency
from glassnet.explain.guided import Deconvolution, GuidedBackprop, GuidedGradCam
from glassnet.explain.integrated_gradients import IntegratedGradients
from glassnet.explain.noise_tunnel import NoiseTunnel, SmoothGrad
from glassnet.explain.perturbation import FeatureAblation, FeaturePermutation, Occlusion
from glassnet.explain.sanity import SanityReport, sanity_check, spearman

__all__ = ["Deconvolution", "FeatureAblation", "FeaturePermutation", "GradCAM", "GradientShap",
           "GuidedBackprop", "GuidedGradCam", "InputXGradient", "IntegratedGradients",
           "NoiseTunnel", "Occlusion", "Saliency", "SanityReport", "SmoothGrad", "deletion_curve",
           "sanity_check", "spearman"]
