"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from glassnet.nn.layer import Layer
from glassnet.nn.layers.core import InputLayer
from glassnet.nn.symbolic import SymbolicTensor
from glassnet.train.graph import LayerGraph
from glassnet.train.model import Model
from glassnet.train.upward import io


class Sequential(Model):
    """Layers applied one after another: ``Sequential([Flatten(), Dense(10)])`` or ``.add``.

    With the input shape known (an ``Input``/``InputLayer`` first, or ``input_shape=`` on
    the first layer) the model builds at once, so ``summary()`` works before any data;
    otherwise it builds on its first batch. Either way it is traced from its input into the
    graph every model runs through (``graph.LayerGraph``), so ``model.input``,
    ``model.output`` and every ``layer.output`` exist and can start a functional model
    (``Model(base.input, base.layers[-2].output)``).

    >>> from glassnet.nn.layers import Dense
    >>> model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])
    >>> model.count_params()
    26
    """

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._layers = []
        self._input_layer = None
        self._input_given = False  # an Input or input_shape= fixed the input shape
        for layer in layers or []:
            self._append(layer)
        self._rebuild()

    def add(self, layer):
        """Append a layer (an ``Input`` tensor sets the input shape). A built model traces
        only the new layer, so adding N layers one by one costs N traces, not N**2."""
        self._append(layer)
        if self._graph is not None and self._input_given:
            traced = layer._call_symbolic(self._graph.outputs[0]) \
                if not isinstance(layer, InputLayer) else None
            if traced is not None:
                self._set_graph(traced)
                return
        self._rebuild()

    def _append(self, layer):
        if isinstance(layer, SymbolicTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer; received {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("Sequential: an InputLayer can only be the first layer")
            self._input_layer, self._input_given = layer, True
        else:
            if not self._layers and self._input_layer is None and \
                    layer.batch_input_shape is not None:
                self._input_layer = InputLayer(batch_shape=layer.batch_input_shape)
                self._input_given = True
            self._layers.append(layer)

    def pop(self):
        """Remove the last layer."""
        if not self._layers:
            raise ValueError("Sequential.pop: there are no layers to remove")
        layer = self._layers.pop()
        self._rebuild()
        return layer

    def _rebuild(self):
        """After a change of layers: trace again at once when the input shape is known."""
        self.built = False
        self._graph = None
        if not self._input_given:
            self._input_layer = None
        if self._input_layer is not None:
            self._build_for(self._input_layer.batch_input_shape)

    @property
    def layers(self):
        return list(self._layers)

    def build(self, input_shape):
        """Trace the layers from an input of ``input_shape`` (each layer builds for the shape
        the one before produces), as Keras does; without a declared input, the input takes
        the shape of the first batch, with the batch axis left free."""
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=(None, *tuple(input_shape)[1:]))
        traced = self._input_layer.output
        for layer in self._layers:
            traced = layer._call_symbolic(traced)  # builds the layer if needed
        self._set_graph(traced)

    def _set_graph(self, traced):
        self._graph = LayerGraph(self._input_layer.output, traced,
                                 check_inputs=self._input_given)

    @property
    def inputs(self):
        return [self._input_layer.output] if self._graph is not None else None

    @property
    def outputs(self):
        return self._graph.outputs if self._graph is not None else None

    def call(self, inputs, training=None):
        if self._graph is None:  # called directly, not through __call__
            self._build_for(tuple(inputs.shape))
        return self._graph.run(inputs, training)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _sublayers(self):
        return [*([self._input_layer] if self._input_given else []), *self._layers]

    def _summary_layers(self):
        if self._graph is None:
            return [(layer, "?") for layer in self._layers]
        shapes = {id(t.layer): t.shape for t in self._graph.nodes}
        return [(layer, shapes.get(id(layer), "?")) for layer in self._layers]

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A Sequential from ``get_config()`` (or Keras's config of one); layers made only
        from built-in, registered or ``custom_objects`` classes."""
        model = io().model_from_config({"class_name": "Sequential", "config": config},
                                       custom_objects)
        if cls is not Sequential and type(model) is Sequential:
            model = cls(model.layers if not model._input_given
                        else [model._input_layer, *model.layers], name=model.name)
        return model

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self._sublayers()]}
