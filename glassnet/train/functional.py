"""The graph of a functional model: ``Model(inputs, outputs)`` traced from symbolic tensors.

Calling a layer on symbolic tensors records (layer, inputs) on its output; the graph walks
back from the outputs to the ``Input`` tensors, orders the calls so each runs after the
ones it consumes, and replays them on real data. A layer used twice (shared weights) appears
as two calls of one layer. A Conv2D(relu) whose output only a MaxPooling2D(2) reads runs with
it as one op, as in ``Sequential`` (see ``fusion``).
"""

from __future__ import annotations

from glassnet.nn.layers.core import InputLayer
from glassnet.nn.symbolic import SymbolicTensor
from glassnet.train import fusion


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class FunctionalGraph:
    def __init__(self, inputs, outputs):
        self.inputs = _as_list(inputs)
        self.outputs = _as_list(outputs)
        self.multi_input = isinstance(inputs, (list, tuple))
        self.multi_output = isinstance(outputs, (list, tuple))
        for t in self.inputs:
            if not isinstance(t, SymbolicTensor) or not isinstance(t.layer, InputLayer):
                raise TypeError("Model(inputs, outputs): inputs must come from keras.Input(...); "
                                f"received {t!r}")
        for t in self.outputs:
            if not isinstance(t, SymbolicTensor):
                raise TypeError("Model(inputs, outputs): outputs must be the result of calling "
                                f"layers on Input tensors; received {type(t).__name__}")
        self.nodes = self._order()
        self.fusable = self._conv_pool_pairs()
        self.layers = []
        for t in [*self.inputs, *self.nodes]:
            if t.layer not in self.layers:
                self.layers.append(t.layer)

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
                stack.extend((p, False) for p in reversed(_as_list(t.inputs)))
        return order

    def _conv_pool_pairs(self):
        """{id(conv output): its pool node} for each Conv2D whose output feeds only one
        MaxPooling2D and is not a model output: candidates to run as one op when, at run
        time, the layers qualify (``fusion``)."""
        consumers = {}
        for t in self.nodes:
            for a in _as_list(t.inputs):
                consumers.setdefault(id(a), []).append(t)
        outputs = {id(t) for t in self.outputs}
        return {id(t): users[0] for t in self.nodes
                if len(users := consumers.get(id(t), [])) == 1 and id(t) not in outputs
                and users[0].inputs is t and fusion.may_fuse(t.layer, users[0].layer)}

    @property
    def input_names(self):
        return [t.layer.name for t in self.inputs]

    @property
    def output_names(self):
        return [t.layer.name for t in self.outputs]

    def run(self, inputs, training=None):
        values = {}
        for t, x in zip(self.inputs, _as_list(inputs)):
            t.layer.check_input(x)
            values[id(t)] = x
        deferred = {}  # pool node id -> the conv node whose output it alone reads
        for t in self.nodes:
            args = t.inputs
            if id(t) in deferred:
                conv = deferred.pop(id(t))
                values[id(t)] = fusion.call_conv_relu_pool(conv.layer, t.layer,
                                                           values[id(conv.inputs)])
                continue
            pool = self.fusable.get(id(t))
            if pool is not None and fusion.conv_relu_pool(t.layer, pool.layer):
                deferred[id(pool)] = t
                continue
            layer_input = [values[id(a)] for a in args] if isinstance(args, (list, tuple)) \
                else values[id(args)]
            values[id(t)] = t.layer(layer_input,
                                    training=training if t.training is None else t.training)
        outs = [values[id(t)] for t in self.outputs]
        return outs if self.multi_output else outs[0]

    def output_shapes(self):
        return [t.shape for t in self.nodes]
