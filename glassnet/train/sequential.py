"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from glassnet.nn.layer import Layer
from glassnet.nn.layers.core import InputLayer
from glassnet.nn.symbolic import SymbolicTensor
from glassnet.train import fusion
from glassnet.train.model import Model


class Sequential(Model):
    """Layers applied one after another: ``Sequential([Flatten(), Dense(10)])`` or ``.add``.

    With the input shape known (an ``Input``/``InputLayer`` first, or ``input_shape=`` on
    the first layer) the model builds at once, so ``summary()`` works before any data.

    >>> from glassnet.nn.layers import Dense
    >>> model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])
    >>> model.count_params()
    26
    """

    _traced_output = None
    _may_fuse = False  # a Conv2D followed by a MaxPooling2D somewhere (see ``fusion``)

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._layers = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (an ``Input`` tensor sets the input shape)."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer; received {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("Sequential: an InputLayer can only be the first layer")
            self._input_layer = layer
        else:
            if not self._layers and self._input_layer is None and \
                    layer.batch_input_shape is not None:
                self._input_layer = InputLayer(batch_shape=layer.batch_input_shape)
            self._layers.append(layer)
        self._rebuild()

    def pop(self):
        """Remove the last layer."""
        if not self._layers:
            raise ValueError("Sequential.pop: there are no layers to remove")
        layer = self._layers.pop()
        self._rebuild()
        return layer

    def _rebuild(self):
        """After a change of layers: build again at once when the input shape is known."""
        self.built = False
        self._traced_output = None
        self._may_fuse = any(fusion.may_fuse(a, b) for a, b in zip(self._layers,
                                                                    self._layers[1:]))
        if self._input_layer is not None:
            self._build_for(self._input_layer.batch_input_shape)

    @property
    def layers(self):
        return list(self._layers)

    def build(self, input_shape):
        """Build each layer for the shape the one before it produces. With an Input, the
        shapes come from calling each layer on symbolic tensors, as Keras does, so that
        ``model.input``, ``model.output`` and every ``layer.output`` exist and can start a
        functional model (``Model(base.input, base.layers[-2].output)``)."""
        shape = tuple(input_shape)
        traced = self._input_layer.output if self._input_layer is not None else None
        self._shapes = []
        for layer in self._layers:
            if traced is not None:
                traced = layer._call_symbolic(traced)  # builds the layer if needed
                shape = traced.shape
            else:
                if not layer.built:
                    layer._build_for(shape)
                shape = tuple(layer.compute_output_shape(shape))
            self._shapes.append(shape)
        self._traced_output = traced

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def outputs(self):
        return [self._traced_output] if self._traced_output is not None else None

    def call(self, inputs, training=None):
        if self._input_layer is not None:
            self._input_layer.check_input(inputs)
        x = inputs
        layers = self._layers
        if not self._may_fuse:
            for layer in layers:
                x = layer(x, training=training)
            return x
        i = 0
        while i < len(layers):
            if (i + 1 < len(layers) and not isinstance(x, SymbolicTensor)
                    and fusion.conv_relu_pool(layers[i], layers[i + 1])):
                x = fusion.call_conv_relu_pool(layers[i], layers[i + 1], x)
                i += 2
                continue
            x = layers[i](x, training=training)
            i += 1
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _sublayers(self):
        return [*([self._input_layer] if self._input_layer else []), *self._layers]

    def _summary_layers(self):
        shape = getattr(self, "_build_input_shape", None)
        rows = []
        for layer in self._layers:
            if shape is not None and layer.built:
                shape = (None, *tuple(layer.compute_output_shape(shape))[1:])
                rows.append((layer, shape))
            else:
                rows.append((layer, "?"))
        return rows

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self._sublayers()]}
