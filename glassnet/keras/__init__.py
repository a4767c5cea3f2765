"""Keras's namespace, served by glassnet's classes: code written for tf.keras / Keras runs with
only its import changed (``import glassnet as tf``; ``from glassnet import keras``;
``from glassnet.keras.layers import Dense``). Nothing here has logic of its own."""

from glassnet.autograd.variable import Variable
from glassnet.keras import (
    activations,
    applications,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    utils,
)
from glassnet.nn.layers import Input
from glassnet.train import Model, Sequential

__all__ = ["Input", "Model", "Sequential", "Variable", "activations", "applications", "backend",
           "callbacks", "datasets", "initializers", "layers", "losses", "metrics", "models", "ops",
           "optimizers", "preprocessing", "random", "regularizers", "saving", "utils"]
