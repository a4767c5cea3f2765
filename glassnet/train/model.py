"""``Model``: a layer that also trains: compile, fit, evaluate, predict.

Three ways to make one, as in Keras: ``Sequential([...])``; the functional
``Model(inputs, outputs)``; or subclassing ``Model`` and writing ``call``.
"""

from __future__ import annotations

from glassnet.autograd.variable import Variable
from glassnet.nn.layer import Layer
from glassnet.nn.layer import _walk as walk_values
from glassnet.nn.layers.operators import TensorOperator
from glassnet.train.data_adapter import flatten_structure
from glassnet.train.graph import LayerGraph
from glassnet.train.summary import format_summary
from glassnet.train.trainer import Trainer
from glassnet.train.upward import io


class Model(Trainer, Layer):
    """A trainable stack or graph of layers.

    >>> import numpy as np
    >>> from glassnet.nn.layers import Dense, Input
    >>> x = Input(shape=(4,))
    >>> model = Model(x, Dense(2, activation="softmax")(Dense(8, activation="relu")(x)))
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> history = model.fit(np.zeros((8, 4)), np.zeros(8), epochs=1, verbose=0)
    >>> sorted(history.history)
    ['loss']
    """

    # Strings reach the first layer, which refuses them unless it takes text; integers too,
    # so that an Input(dtype="int64") before a lookup or an Embedding keeps them (each layer
    # casts what it computes on itself).
    _accepts_strings = True
    _casts_integers = False

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): both are required for a functional "
                                 "model; to subclass Model, define call() instead")
            self._graph = LayerGraph(inputs, outputs)
            self._layers = self._graph.layers
            self.built = True
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._diagnose_non_finite = False
        self._keep_last_gradients = False
        self.non_finite_report = None

    # -- structure ------------------------------------------------------------------------

    def call(self, inputs, training=None):
        if self._graph is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclassed Model must define call(inputs); or "
                f"build the model as Model(inputs, outputs) or Sequential([...])")
        return self._graph.run(inputs, training)

    @property
    def layers(self):
        """The layers in call order; the operators between tensors (``a + b``, unpacking
        ``out, h, c = lstm(x)``) are steps of the graph but not layers, as in Keras."""
        if self._graph is None:
            return self._sublayers()
        return [layer for layer in self._graph.layers if not isinstance(layer, TensorOperator)]

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` in ``layers``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range for a model of "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: '{name}'. Existing layers are: "
                         f"{[layer.name for layer in layers]}")

    @property
    def input_names(self):
        return self._graph.input_names if self._graph is not None else ["input"]

    @property
    def output_names(self):
        return self._graph.output_names if self._graph is not None else ["output"]

    @property
    def inputs(self):
        return self._graph.inputs if self._graph is not None else None

    @property
    def outputs(self):
        return self._graph.outputs if self._graph is not None else None

    @property
    def input(self):
        """The model's symbolic input (a list when it has several), as Keras."""
        return self._single_or_list(self.inputs, "input")

    @property
    def output(self):
        return self._single_or_list(self.outputs, "output")

    @property
    def input_shape(self):
        """The shape of the model's input, batch axis first (a list for several inputs)."""
        return self._shape_of("input")

    @property
    def output_shape(self):
        """The shape of the model's output: ``(None, 10)`` for a 10-class classifier."""
        return self._shape_of("output")

    def _shape_of(self, which):
        tensors = self.inputs if which == "input" else self.outputs
        if tensors is None:
            raise AttributeError(f"The model '{self.name}' has no defined {which} shape yet: "
                                 f"build it (call it on data, or start it with keras.Input)")
        shapes = [tuple(t.shape) for t in tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    def _single_or_list(self, tensors, which):
        if tensors is None:
            return self._symbolic(which)  # a subclassed model called on keras.Input
        return tensors[0] if len(tensors) == 1 else list(tensors)

    def _convert_inputs(self, inputs):
        if isinstance(inputs, dict):
            inputs = flatten_structure(inputs, self.input_names)
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and \
                len(self.input_names) == 1:
            inputs = inputs[0]
        return super()._convert_inputs(inputs)

    def _own_parameters(self):
        # The fit loop keeps the trainable weights in ``_step_params`` for the length of a
        # call; they are the layers' weights, not the model's own (counted first, they would
        # reorder ``weights`` while fit runs, and so a checkpoint's weights file).
        attributes = (v for k, v in self.__dict__.items() if k != "_step_params")
        return list(walk_values(attributes, Variable))

    def reset_states(self):
        """Forget the states that stateful layers (``LSTM(..., stateful=True)``) carry from
        batch to batch: every layer inside, however deep, that has ``reset_state``."""
        seen, stack = set(), list(self.layers)
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if layer is not self and callable(getattr(layer, "reset_state", None)):
                layer.reset_state()
            stack.extend(layer._sublayers())

    reset_state = reset_states  # Keras 3's spelling

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras's table: layer name and type, output shape, parameter count (and
        whether it trains, ``show_trainable``); ``expand_nested`` lists the layers of nested
        models under them, ``layer_range=[first, last]`` (names) a slice of the layers.
        ``positions`` (column widths) is accepted; the columns fit their contents."""
        rows = self._summary_rows(expand_nested)
        if layer_range is not None:
            names = [name.split(" (")[0].lstrip(" └") for name, *_ in rows]
            if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2:
                raise ValueError(f"layer_range must be a list or tuple of length 2. "
                                 f"Received: layer_range={layer_range!r}")
            missing = [n for n in layer_range if n not in names]
            if missing:
                raise ValueError(f"summary: layer_range names {missing[0]!r}, which is not a "
                                 f"layer of the model; its layers: {names}")
            first, last = names.index(layer_range[0]), names.index(layer_range[1])
            rows = rows[first:last + 1]
        text = format_summary(self, rows, line_length, show_trainable)
        (print_fn or print)(text)

    def _summary_rows(self, expand_nested, depth=0):
        rows = []
        for layer, shape in self._summary_layers():
            indent = " └ " * depth
            rows.append((f"{indent}{layer.name} ({type(layer).__name__})", shape,
                         _count(layer), layer.trainable if layer.weights else None))
            if expand_nested and isinstance(layer, Model):
                rows.extend(layer._summary_rows(True, depth + 1))
        return rows

    def _summary_layers(self):
        if self._graph is not None:
            shapes = {}
            for t in [*self._graph.inputs, *self._graph.nodes]:
                shapes.setdefault(t.layer, t.shape)
            return [(layer, shapes[layer]) for layer in self._graph.layers]
        return [(layer, getattr(layer, "_output_shape", "?")) for layer in self.layers]

    # -- saving ---------------------------------------------------------------------------

    def save(self, filepath, overwrite=True, **kwargs):
        """Save architecture, weights, compile settings and optimizer state (``.keras``), or
        in Keras 2's HDF5 layout (``.h5`` / ``.hdf5``)."""
        io().save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights to ``.weights.npz`` (or ``.weights.h5`` with h5py; another ``.h5``
        in Keras 2's weights-only layout)."""
        io().save_weights(self, filepath, overwrite=overwrite)

    def export(self, filepath, format="onnx", **kwargs):  # noqa: A002 - Keras's name
        """Export for another runtime; ``format="onnx"`` (the ``[onnx]`` extra)."""
        if format != "onnx":
            raise ValueError(f"export: only format='onnx' is supported. Received: {format!r}")
        return io().export_onnx(self, filepath, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Read weights saved by ``save_weights`` (or a Keras 2 ``.h5`` file: layers matched
        in order, or by name with ``by_name=True``)."""
        io().load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``keras.models.model_from_json`` reads it);
        ``kwargs`` go to ``json.dumps`` (``indent=2``)."""
        import json

        return json.dumps(io().serialize_keras_object(self), **kwargs)

    def get_config(self):
        if self._graph is not None:  # a functional model's config is its graph, as Keras's
            return io().model_to_config(self)["config"]
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from ``get_config()``: a functional model's graph (glassnet's, or Keras's
        with ``inbound_nodes``), else ``cls(**config)``."""
        if isinstance(config, dict) and isinstance(config.get("layers"), list) and \
                ("input_layers" in config or "inputs" in config):
            return io().model_from_config({"class_name": "Functional", "config": config},
                                          custom_objects)
        return cls(**config)


def _count(layer):
    return sum(p.size for p in layer.weights) if layer.built else 0
