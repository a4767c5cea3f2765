"""``keras.models.clone_model``: the same architecture with new layers (fresh weights, drawn
by their initializers), as Keras does; ``clone_function`` chooses how each layer is copied.

>>> from glassnet import keras
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
>>> twin = keras.models.clone_model(model)
>>> twin.layers[0] is model.layers[0], twin.count_params() == model.count_params()
(False, True)
"""

from __future__ import annotations

__all__ = ["clone_model"]


def _default_clone(layer):
    """A new layer of the same class and config (a nested model: its whole architecture)."""
    from glassnet.io.model_config import layer_from_config, layer_to_config
    from glassnet.io.serialization import all_custom_objects

    return layer_from_config(layer_to_config(layer), all_custom_objects(
        {type(layer).__name__: type(layer)}))


def _cloner(clone_function):
    from glassnet.nn.layer import Layer

    if clone_function is None:
        return _default_clone
    if not callable(clone_function):
        raise TypeError(f"clone_model: clone_function must be callable. Received: "
                        f"clone_function={clone_function!r}")

    def clone(layer):
        new = clone_function(layer)
        if not isinstance(new, Layer):
            raise TypeError(f"clone_model: clone_function must return a Layer; for layer "
                            f"'{layer.name}' it returned {type(new).__name__}")
        return new

    return clone


def _input_list(input_tensors, count):
    from glassnet.nn.symbolic import SymbolicTensor

    tensors = list(input_tensors) if isinstance(input_tensors, (list, tuple)) \
        else [input_tensors]
    if len(tensors) != count or not all(isinstance(t, SymbolicTensor) for t in tensors):
        raise ValueError(f"clone_model: input_tensors must be {count} keras.Input tensor(s), "
                         f"one per model input. Received: {input_tensors!r}")
    return tensors


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the architecture of ``model`` (a ``Sequential`` or functional
    ``Model``) and new layers: ``clone_function(layer)`` for each (default: the layer's class
    built from its config, so weights are initialised afresh); the inputs are new
    ``keras.Input`` tensors or ``input_tensors``. A layer shared by several calls stays
    shared in the clone."""
    from glassnet.nn.layers import Input
    from glassnet.nn.layers.core import InputLayer
    from glassnet.nn.symbolic import SymbolicTensor
    from glassnet.train import Model, Sequential

    if kwargs:
        raise ValueError(f"clone_model: unexpected argument(s) {sorted(kwargs)}")
    if call_function is not None:
        raise ValueError("clone_model: call_function is not supported by glassnet")
    if not isinstance(model, Model):
        raise TypeError(f"clone_model: expected a Model or Sequential. Received: "
                        f"{type(model).__name__}")
    clone = _cloner(clone_function)
    if recursive:
        inner = clone

        def clone(layer):
            if isinstance(layer, (Sequential,)) or (isinstance(layer, Model)
                                                     and layer._graph is not None):
                return clone_model(layer, clone_function=clone_function, recursive=True)
            return inner(layer)

    if isinstance(model, Sequential):
        layers = [clone(layer) for layer in model.layers]
        if input_tensors is not None:
            layers.insert(0, _input_list(input_tensors, 1)[0])
        elif model._input_given:
            shape = model._input_layer.batch_input_shape
            layers.insert(0, InputLayer(batch_shape=shape, dtype=model._input_layer.dtype,
                                        name=model._input_layer.name))
        return Sequential(layers, name=model.name)
    if model._graph is None:
        raise ValueError(f"clone_model: the subclassed model '{model.name}' has no graph of "
                         f"layers to copy; make a new instance of its class instead")
    graph = model._graph
    if input_tensors is not None:
        new_inputs = _input_list(input_tensors, len(graph.inputs))
    else:
        new_inputs = [Input(batch_shape=t.layer.batch_input_shape, dtype=t.layer.dtype,
                            name=t.layer.name) for t in graph.inputs]
    tensors = {id(old): new for old, new in zip(graph.inputs, new_inputs)}
    layers = {}
    for t in graph.nodes:
        if id(t.layer) not in layers:
            layers[id(t.layer)] = clone(t.layer)
        def mapped(value):  # the new model's tensor for each old one, in any nesting
            if isinstance(value, SymbolicTensor):
                return tensors[id(value)]
            if isinstance(value, (list, tuple)):
                return [mapped(v) for v in value]
            return value

        kwargs = {k: mapped(v) for k, v in (t.call_kwargs or {}).items()}
        tensors[id(t)] = layers[id(t.layer)](mapped(t.inputs), *mapped(list(t.args)),
                                             training=t.training, **kwargs)
    outputs = [tensors[id(t)] for t in graph.outputs]
    return Model(new_inputs if graph.multi_input else new_inputs[0],
                 outputs if graph.multi_output else outputs[0], name=model.name)
