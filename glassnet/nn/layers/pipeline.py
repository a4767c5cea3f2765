"""``Pipeline``: a plain layer that applies a list of layers in turn (Keras 3), typically a
chain of preprocessing or augmentation layers mapped over a ``tf.data`` dataset."""

from __future__ import annotations

import inspect

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.nn import masking
from glassnet.nn.layer import Layer


def _takes(layer, argument):
    return argument in inspect.signature(layer.call).parameters


class Pipeline(Layer):
    """``y = layers[-1](... layers[1](layers[0](x)))``, passing ``training`` and each output's
    mask on. Unlike a ``Sequential`` model it is a layer: no compile, no fit.

    ``training`` defaults to True, as in Keras (a pipeline is mostly augmentation, which a
    direct call should apply); ``fit`` and ``predict`` pass it explicitly.

    >>> from glassnet.nn.layers import Rescaling
    >>> Pipeline([Rescaling(2.0), Rescaling(0.5, offset=1.0)])(np.ones((1, 2))).numpy()
    array([[2., 2.]], dtype=float32)
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        if not isinstance(layers, (list, tuple)) or \
                not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError(f"Pipeline: `layers` must be a list of layers. Received: "
                            f"layers={layers!r}")
        self._pipeline_layers = list(layers)
        self.supports_masking = True

    @property
    def layers(self):
        return self._pipeline_layers

    def _sublayers(self):
        return list(self._pipeline_layers)

    def build(self, input_shape):
        """Each layer is built by its first call, for the shape its predecessor gives."""

    def call(self, inputs, training=None, mask=None):
        training = True if training is None else training
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs = {}
            if _takes(layer, "training"):
                kwargs["training"] = training
            if mask is not None and _takes(layer, "mask"):
                kwargs["mask"] = mask
            outputs = layer(outputs, **kwargs)
            mask = masking.get_mask(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def compute_mask(self, inputs, mask=None):
        return None  # the last layer's output carries its own mask

    def get_config(self):
        from glassnet.nn.layers.recurrent._common import serialize_layer

        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from glassnet.nn.layers.recurrent._common import deserialize_layer

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"`Pipeline` config must contain a `layers` key mapping to a list "
                             f"of serialized layers. Received config with layers={layers!r}.")
        return cls([deserialize_layer(entry, "Pipeline", custom_objects) for entry in layers],
                   name=config.get("name"))
