"""The order Keras 3 lists a functional model's layers in (``model.layers``, hence
``get_weights`` and the layer order of its ``.h5`` weight files), computed on glassnet's graph.

Keras (``keras/src/ops/function.py`` ``map_graph``): every call gets a depth, the longest path
from it to an output; layers are listed by decreasing depth, ties broken by the order a
depth-first walk from the outputs first reaches them. glassnet's ``Model.layers`` is its
execution order (a depth-first post-order), which agrees for chains but not for branches
(ResNet's shortcut convolution).
"""

import hashlib
import re

# the names Keras gives layers built without one (numbered by what the session built before)
AUTO_NAME = re.compile(r"(conv2d|batch_normalization|dense|normalization)(_[0-9]+)?")


def signature(layers):
    """As fixtures/make_fixture.py's: the names (Keras's auto-named layers, such as
    ``conv2d_3``, as '*': their numbers depend on what was built before) and weight shapes of
    the layers with weights, in order, hashed."""
    rows = []
    for layer in layers:
        if layer.weights:
            auto = AUTO_NAME.fullmatch(layer.name)
            shapes = [tuple(int(d) for d in w.shape) for w in layer.weights]
            rows.append(f"{'*' if auto else layer.name}:{shapes}")
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def keras_layer_order(model):
    graph = model._graph
    inputs = {id(t) for t in graph.inputs}
    index, post, state = {}, [], {}
    for out in graph.outputs:  # depth-first from the outputs, parents in argument order
        stack = [(out, False)]
        while stack:
            t, expanded = stack.pop()
            if expanded:
                post.append(t)
                continue
            if state.get(id(t)):
                continue
            state[id(t)] = True
            index.setdefault(id(t.layer), len(index))
            stack.append((t, True))
            if id(t) not in inputs:
                stack.extend((p, False) for p in reversed(t.parents()))
    node_depth, layer_depth, layers = {}, {}, {}
    for t in reversed(post):
        depth = max(node_depth.setdefault(id(t), 0), layer_depth.get(id(t.layer), 0))
        layer_depth[id(t.layer)] = depth
        node_depth[id(t)] = depth
        layers[id(t.layer)] = t.layer
        if id(t) not in inputs:
            for p in t.parents():
                node_depth[id(p)] = max(depth + 1, node_depth.get(id(p), 0))
    order = sorted(layers, key=lambda k: (-layer_depth[k], index[k]))
    from glassnet.nn.layers.operators import TensorOperator

    return [layers[k] for k in order if not isinstance(layers[k], TensorOperator)]
