"""The one executor of models built from layers: ``Model(inputs, outputs)`` and ``Sequential``.

Calling a layer on symbolic tensors records (layer, inputs) on its output. ``LayerGraph``
walks back from the outputs to the ``Input`` tensors, orders the calls so each runs after
the ones it consumes, and replays them on real data. A layer used twice (shared weights) is
two calls of one layer. ``Sequential`` is the special case of a chain: it traces its layers
from its input and runs through the same graph.

Replaying is the hot path of every step, so the graph is compiled once into a list of
``Step``s reading and writing numbered slots, not dictionaries keyed by tensors. Speed
tricks that span several calls are rewrites of that list (``fusion.rewrite``), never
branches in the executor.
"""

from __future__ import annotations

import threading

from glassnet.nn.layers.core import InputLayer
from glassnet.nn.layers.operators import TensorOperator
from glassnet.nn.symbolic import SymbolicTensor
from glassnet.train import direct_calls, fusion


def as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class Step:
    """One layer call of the replay: ``slots[out] = layer(slots[args], training, **kwargs)``.

    ``args`` is a slot number, or a list of them for a layer called on a list.
    ``training`` is the mode fixed at the call (``base(x, training=False)``) or None (the
    model's). ``kwargs`` are the call's other arguments (``use_causal_mask=True``). ``node``
    is the symbolic tensor the call produced.
    """

    __slots__ = ("layer", "args", "out", "training", "node", "kwargs")

    def __init__(self, layer, args, out, training, node, kwargs=None):
        self.layer, self.args, self.out, self.training, self.node = (layer, args, out,
                                                                     training, node)
        self.kwargs = kwargs or {}

    def run(self, slots, training):
        args = self.args
        x = [slots[a] for a in args] if isinstance(args, list) else slots[args]
        slots[self.out] = self.layer(x, training=training if self.training is None
                                     else self.training, **self.kwargs)


class SlotRef(int):
    """A slot number standing for a tensor inside a call's argument structure."""


def _template(value, slot):
    """``value`` (a call argument) with each symbolic tensor replaced by its ``SlotRef``."""
    if isinstance(value, SymbolicTensor):
        return SlotRef(slot[id(value)])
    if isinstance(value, (list, tuple)):
        return [_template(v, slot) for v in value]
    if isinstance(value, dict):
        return {k: _template(v, slot) for k, v in value.items()}
    return value


def _fill(template, slots):
    if template.__class__ is SlotRef:
        return slots[template]
    if isinstance(template, list):
        return [_fill(v, slots) for v in template]
    if isinstance(template, dict):
        return {k: _fill(v, slots) for k, v in template.items()}
    return template


def _refs(template, found):
    if template.__class__ is SlotRef:
        found.append(int(template))
    elif isinstance(template, list):
        for v in template:
            _refs(v, found)
    elif isinstance(template, dict):
        _refs(list(template.values()), found)
    return found


class CallStep(Step):
    """A call with tensors beyond the first argument: ``layer(a, b)``, ``layer(q, value=v)``.

    ``first``, ``rest`` and ``kwargs`` are the arguments with ``SlotRef``s for tensors;
    ``args`` lists every slot read (what ``fusion.rewrite`` looks at).
    """

    __slots__ = ("first", "rest")

    def __init__(self, layer, first, rest, out, training, node, kwargs):
        super().__init__(layer, _refs([first, rest, kwargs], []), out, training, node, kwargs)
        self.first, self.rest = first, rest

    def run(self, slots, training):
        slots[self.out] = self.layer(
            _fill(self.first, slots), *_fill(self.rest, slots),
            training=training if self.training is None else self.training,
            **_fill(self.kwargs, slots))


class LayerGraph:
    """The calls between ``inputs`` (``keras.Input`` tensors) and ``outputs``, in order.

    Args:
        inputs, outputs: a symbolic tensor or a list of them (a list makes ``run`` take and
            return lists).
        check_inputs: whether ``run`` checks the data's shape against each Input
            (``Sequential`` built from its first batch does not fix its input shape).
    """

    def __init__(self, inputs, outputs, check_inputs=True):
        # dicts of tensors (Keras 3): their keys, sorted as Keras flattens them, name the
        # data the model takes and the outputs it returns
        self.input_keys, inputs = _keys_and_values(inputs, "inputs")
        self.output_keys, outputs = _keys_and_values(outputs, "outputs")
        self.inputs = as_list(inputs)
        self.outputs = as_list(outputs)
        # Values computed beside the outputs at every run: tf.keras 2's model.add_loss /
        # add_metric on symbolic tensors; (kind, name, tensor), kind "loss" or "metric".
        self.extras = []
        self._extra_values = threading.local()
        self.multi_input = isinstance(inputs, (list, tuple))
        self.multi_output = isinstance(outputs, (list, tuple))
        self.check_inputs = check_inputs
        for t in self.inputs:
            if not isinstance(t, SymbolicTensor) or not isinstance(t.layer, InputLayer):
                raise TypeError("Model(inputs, outputs): inputs must come from keras.Input(...); "
                                f"received {t!r}")
        for t in self.outputs:
            if not isinstance(t, SymbolicTensor):
                raise TypeError("Model(inputs, outputs): outputs must be the result of calling "
                                f"layers on Input tensors; received {type(t).__name__}")
        self._trace()

    def _trace(self):
        self.nodes = self._order()
        # One list, updated in place: a model holds it (its sub-layers, for its weights).
        if not hasattr(self, "layers"):
            self.layers = []
        self.layers.clear()
        self.layers.extend(self._keras_layer_order())
        self._compile()

    def _keras_layer_order(self):
        """The layers in Keras's order (``keras/src/ops/function.py``'s ``map_graph``), which
        fixes ``model.weights`` and so the order of weight files: each call's depth is the
        longest path from it to an output, layers go by decreasing depth, ties by the order
        a depth-first walk from the outputs first reaches them. For a chain it is the call
        order; for branches (ResNet's shortcut) it is not, and Keras's files need it."""
        input_ids = {id(t) for t in self.inputs}
        first_seen, post_order, visited = {}, [], set()
        for out in self.outputs:
            stack = [(out, False)]
            while stack:
                t, expanded = stack.pop()
                if expanded:
                    post_order.append(t)
                    continue
                if id(t) in visited:
                    continue
                visited.add(id(t))
                first_seen.setdefault(id(t.layer), len(first_seen))
                stack.append((t, True))
                if id(t) not in input_ids:
                    stack.extend((p, False) for p in reversed(t.parents()))
        node_depth, layer_depth, layers = {}, {}, {}
        for t in reversed(post_order):  # consumers before what they consume
            depth = max(node_depth.get(id(t), 0), layer_depth.get(id(t.layer), 0))
            node_depth[id(t)] = layer_depth[id(t.layer)] = depth
            layers[id(t.layer)] = t.layer
            if id(t) not in input_ids:
                step = 0 if _unpacks(t) else 1
                for p in t.parents():
                    node_depth[id(p)] = max(depth + step, node_depth.get(id(p), 0))
        # inputs the outputs do not reach and the layers of added losses/metrics come last
        extra = [t.layer for t in [*self.inputs, *self.nodes] if id(t.layer) not in layers]
        ordered = sorted(layers, key=lambda k: (-layer_depth[k], first_seen[k]))
        return [layers[k] for k in ordered] + list(dict.fromkeys(extra))

    def add_extra(self, kind, name, tensor):
        """Compute the symbolic ``tensor`` (of this graph's inputs) at every run, as an
        added loss or metric; ``extra_values()`` gives the latest run's values."""
        self.extras.append((kind, name, tensor))
        try:
            self._trace()
        except ValueError:
            self.extras.pop()
            self._trace()
            raise ValueError(f"add_{kind}: the tensor {tensor.name!r} is not computed from "
                             f"the model's inputs {self.input_names}; an added {kind} must "
                             f"be a function of the model's inputs and outputs") from None

    def extra_values(self):
        """[(kind, name, value)] of the latest ``run`` in this thread."""
        return getattr(self._extra_values, "values", [])

    def _order(self):
        """The non-input tensors the outputs depend on, each after everything it consumes."""
        input_ids = {id(t) for t in self.inputs}
        order, state = [], {}
        for out in [*self.outputs, *(t for _, _, t in self.extras)]:
            stack = [(out, False)]
            while stack:
                t, expanded = stack.pop()
                if id(t) in input_ids:
                    continue
                if expanded:
                    state[id(t)] = "done"
                    order.append(t)
                    continue
                if state.get(id(t)):
                    continue
                if t.layer is None or isinstance(t.layer, InputLayer):
                    raise ValueError(
                        f"Model(inputs, outputs): output depends on the input "
                        f"'{t.name}', which is not among the model's inputs")
                state[id(t)] = "open"
                stack.append((t, True))
                stack.extend((p, False) for p in reversed(t.parents()))
        return order

    def _compile(self):
        slot = {id(t): i for i, t in enumerate([*self.inputs, *self.nodes])}
        self.n_slots = len(slot)
        self.steps = []
        for t in self.nodes:
            kwargs = getattr(t, "call_kwargs", None) or {}
            if t.args or any(isinstance(v, (SymbolicTensor, list, tuple, dict))
                             for v in kwargs.values()):
                self.steps.append(CallStep(t.layer, _template(t.inputs, slot),
                                           _template(list(t.args), slot), slot[id(t)],
                                           t.training, t, _template(kwargs, slot)))
                continue
            args = [slot[id(a)] for a in t.inputs] if isinstance(t.inputs, (list, tuple)) \
                else slot[id(t.inputs)]
            self.steps.append(Step(t.layer, args, slot[id(t)], t.training, t, kwargs))
        self.output_slots = [slot[id(t)] for t in self.outputs]
        self.extra_slots = [slot[id(t)] for _, _, t in self.extras]
        self.steps = fusion.rewrite(self.steps, {*self.output_slots, *self.extra_slots})
        self.steps = direct_calls.rewrite(self.steps, Step)

    @property
    def input_names(self):
        return self.input_keys or [t.layer.name for t in self.inputs]

    @property
    def output_names(self):
        return self.output_keys or [t.layer.name for t in self.outputs]

    def run(self, inputs, training=None):
        """The outputs for real ``inputs`` (one array or tensor per Input)."""
        slots = [None] * self.n_slots
        values = as_list(inputs) if self.multi_input else [inputs]
        if len(values) != len(self.inputs):
            raise ValueError(f"the model has {len(self.inputs)} inputs {self.input_names}; "
                             f"received {len(values)} arrays")
        for i, (t, x) in enumerate(zip(self.inputs, values)):
            x = adjust_rank(x, t.shape)
            if self.check_inputs:
                t.layer.check_input(x)
            slots[i] = x
        # The hot path: a plain Step inlined (one call per layer fewer), anything else (a
        # fused pair) runs itself.
        for step in self.steps:
            if step.__class__ is Step:
                args = step.args
                x = slots[args] if args.__class__ is int else [slots[a] for a in args]
                fixed = step.training
                slots[step.out] = step.layer(x, training=training if fixed is None else fixed,
                                             **step.kwargs)
            else:
                step.run(slots, training)
        if self.extras:
            self._extra_values.values = [(kind, name, slots[i]) for (kind, name, _), i in
                                         zip(self.extras, self.extra_slots)]
        if self.output_keys:
            return {k: slots[i] for k, i in zip(self.output_keys, self.output_slots)}
        if self.multi_output:
            return [slots[i] for i in self.output_slots]
        return slots[self.output_slots[0]]


def _keys_and_values(tensors, what):
    """(sorted keys, their tensors) of a dict of tensors; (None, tensors) otherwise."""
    if not isinstance(tensors, dict):
        return None, tensors
    if not tensors or not all(isinstance(k, str) for k in tensors):
        raise TypeError(f"Model(inputs, outputs): a dict of {what} must map names (strings) "
                        f"to tensors; received keys {list(tensors)}")
    keys = sorted(tensors)
    return keys, [tensors[k] for k in keys]


def adjust_rank(x, shape):
    """``x`` one axis short of an Input whose last axis is 1 gains it, one axis long with a
    last axis of 1 loses it (Keras's rule: a batch of strings (32,) for Input(shape=(1,)))."""
    ndim = getattr(x, "ndim", None)
    if ndim is None or len(shape) < 2:
        return x
    if ndim == len(shape) - 1 and shape[-1] == 1:
        return x[..., None]
    if ndim == len(shape) + 1 and x.shape[-1] == 1:
        return x[..., 0]
    return x


def _unpacks(t):
    """Whether ``t`` picks one output of a layer with several (``out, h, c = lstm(x)``): an
    indexing step of glassnet's graph that is no node of Keras's, so it adds no depth."""
    source = t.inputs
    return isinstance(t.layer, TensorOperator) and t.layer.operator == "get_item" \
        and isinstance(source, SymbolicTensor) and bool(source.shape) \
        and isinstance(source.shape[0], tuple)
