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

from glassnet.nn.layers.core import InputLayer
from glassnet.nn.symbolic import SymbolicTensor
from glassnet.train import fusion


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


class LayerGraph:
    """The calls between ``inputs`` (``keras.Input`` tensors) and ``outputs``, in order.

    Args:
        inputs, outputs: a symbolic tensor or a list of them (a list makes ``run`` take and
            return lists).
        check_inputs: whether ``run`` checks the data's shape against each Input
            (``Sequential`` built from its first batch does not fix its input shape).
    """

    def __init__(self, inputs, outputs, check_inputs=True):
        self.inputs = as_list(inputs)
        self.outputs = as_list(outputs)
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
        self.nodes = self._order()
        self.layers = []
        seen = set()
        for t in [*self.inputs, *self.nodes]:
            if id(t.layer) not in seen:
                seen.add(id(t.layer))
                self.layers.append(t.layer)
        self._compile()

    def _order(self):
        """The non-input tensors the outputs depend on, each after everything it consumes."""
        input_ids = {id(t) for t in self.inputs}
        order, state = [], {}
        for out in self.outputs:
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
                stack.extend((p, False) for p in reversed(as_list(t.inputs)))
        return order

    def _compile(self):
        slot = {id(t): i for i, t in enumerate([*self.inputs, *self.nodes])}
        self.n_slots = len(slot)
        self.steps = []
        for t in self.nodes:
            args = [slot[id(a)] for a in t.inputs] if isinstance(t.inputs, (list, tuple)) \
                else slot[id(t.inputs)]
            self.steps.append(Step(t.layer, args, slot[id(t)], t.training, t,
                                   getattr(t, "call_kwargs", None)))
        self.output_slots = [slot[id(t)] for t in self.outputs]
        self.steps = fusion.rewrite(self.steps, set(self.output_slots))

    @property
    def input_names(self):
        return [t.layer.name for t in self.inputs]

    @property
    def output_names(self):
        return [t.layer.name for t in self.outputs]

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
        if self.multi_output:
            return [slots[i] for i in self.output_slots]
        return slots[self.output_slots[0]]


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
