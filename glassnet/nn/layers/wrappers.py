"""Layers that hold another layer: ``Wrapper`` (Keras's base class of ``TimeDistributed``)
and ``SpectralNormalization``."""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.nn import initializers as initializers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer


class Wrapper(Layer):
    """A layer around ``layer`` (Keras's abstract base): ``build`` builds the inner layer, the
    config holds the inner layer's, and ``from_config`` makes it again (glassnet's layers and
    ``custom_objects`` only: a class name is looked up, never imported).

    >>> from glassnet.nn.layers import Dense
    >>> Wrapper(Dense(2)).get_config()["layer"]["class_name"]
    'Dense'
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer!r} supplied to Wrapper isn't a supported layer "
                             f"type. Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)

    def _sublayers(self):
        return [self.layer]

    def get_config(self):
        from glassnet.nn.layers.recurrent._common import serialize_layer

        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from glassnet.nn.layers.recurrent._common import deserialize_layer

        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), cls.__name__, custom_objects)
        return cls(layer, **config)


def _l2_normalize(v):
    """v / max(||v||, sqrt(1e-12)), as Keras's ``normalize(axis=None)``."""
    return v / np.sqrt(max(float(np.sum(v * v)), 1e-12))


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its largest singular
    value sigma, estimated by power iteration (Miyato et al., 2018), at each training call:

        W2 = W.reshape(-1, out);   v = u W2^T / ||u W2^T||;   u = v W2 / ||v W2||
        sigma = v W2 u^T;          W <- W / sigma

    As in Keras, the normalized kernel is assigned to the layer's weight (so the gradient
    step applies to it), ``u`` (1, out) is a non-trainable weight carried between calls, an
    all-zero kernel is left alone, and inference calls use the kernel as it is.

    Args:
        layer: a layer with a ``kernel`` or ``embeddings`` weight.
        power_iterations: iterations per training call (> 0).

    >>> from glassnet.nn.layers import Dense
    >>> sn = SpectralNormalization(Dense(3), power_iterations=30)
    >>> _ = sn(np.ones((2, 4), "float32"), training=True)
    >>> round(float(np.linalg.svd(sn.layer.kernel.numpy())[1][0]), 1)
    1.0
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not check._is_int(power_iterations) or power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             f"nor 'embeddings'")
        self.kernel = kernel  # the wrapped layer's weight, listed first as Keras does
        self.vector_u = self.add_weight(
            "vector_u", (1, kernel.shape[-1]),
            initializers_module.TruncatedNormal(stddev=0.02), trainable=False)

    def call(self, inputs, training=False):
        if training:
            self._normalize_kernel()
        return self.layer(inputs)

    def _normalize_kernel(self):
        if backend.on_device(self.kernel.data):
            self._normalize_kernel_on_device()
            return
        kernel = self.kernel.numpy()
        if not kernel.any():
            return
        weights = kernel.reshape(-1, kernel.shape[-1]).astype(np.float64)
        u = self.vector_u.numpy().astype(np.float64)
        for _ in range(self.power_iterations):
            v = _l2_normalize(u @ weights.T)
            u = _l2_normalize(v @ weights)
        sigma = float((v @ weights @ u.T)[0, 0])
        self.vector_u.assign(u.astype(self.vector_u.numpy().dtype))
        self.kernel.assign((kernel / sigma).astype(kernel.dtype))

    def _normalize_kernel_on_device(self):
        """The same power iteration on the GPU, with no value brought to the host: an
        all-zero kernel (and its ``u``) is kept by a select instead of an early return."""
        kernel, u_old = self.kernel.data, self.vector_u.data
        weights = kernel.reshape(-1, kernel.shape[-1]).astype(np.float64)
        u = u_old.astype(np.float64)
        for _ in range(self.power_iterations):
            v = _l2_normalize_on_device(u @ weights.T)
            u = _l2_normalize_on_device(v @ weights)
        sigma = (v @ weights @ u.T)[0, 0]
        nonzero = np.any(kernel)
        self.vector_u.assign(np.where(nonzero, u, u_old).astype(u_old.dtype))
        self.kernel.assign(np.where(nonzero, kernel / np.where(nonzero, sigma, 1.0), kernel)
                           .astype(kernel.dtype))

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


def _l2_normalize_on_device(v):
    return v / np.sqrt(np.maximum(np.sum(v * v), 1e-12))
