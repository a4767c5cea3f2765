"""``graph(tensor)``: the ops that made a tensor, as a Mermaid flowchart, from the leaves
(inputs and parameters) to the tensor.

Each op is a node named by its Function (``Linear``, ``Tanh``, ``MeanSquaredError``...);
each leaf a node with its name (a parameter's) or "input", and its shape; an edge goes from
what an op read to the op. The walk is the one ``backward`` makes (``grad_fn`` and each
op's inputs), so the diagram shows exactly the computation gradients will flow through.

>>> import glassnet
>>> w = glassnet.nn.Parameter(glassnet.ones(3, 2).numpy(), name="w")
>>> x = glassnet.tensor([[1.0, 2.0, 3.0]])
>>> print(graph(glassnet.tanh(x @ w).sum()))
flowchart BT
    t0["input (1, 3)"]
    t1["w (3, 2)"]
    f0["MatMul<br/>(1, 2)"]
    f1["Tanh<br/>(1, 2)"]
    f2["Sum<br/>()"]
    t0 --> f0
    t1 --> f0
    f0 --> f1
    f1 --> f2
"""

from __future__ import annotations

from glassnet.autograd.engine import topological_order
from glassnet.autograd.tensor import Tensor


def _leaf_label(t):
    name = getattr(t, "name", None)
    who = name if isinstance(name, str) and name else "input"
    return f"{who} {tuple(t.shape)}"


def graph(tensor, max_nodes=500):
    """The Mermaid text of the autograd graph that made ``tensor`` (``flowchart BT``: leaves
    at the bottom). Paste it into a Markdown file, or ``keras.utils.plot_model``'s Mermaid
    viewers. ``max_nodes`` bounds the diagram (a ValueError beyond it)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: expected a glassnet Tensor; received {type(tensor).__name__}")
    root = tensor.grad_fn
    if root is None:
        raise ValueError("graph: the tensor has no grad_fn (no input of the ops that made it "
                         "required grad, or they ran under no_grad()); nothing to draw")
    ops, leaves, edges, shapes = {}, {}, [], {}
    stack, seen = [(root, tensor)], set()
    while stack:
        fn, out = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        ops[id(fn)] = fn
        shapes[id(fn)] = tuple(out.shape)
        if fn.inputs is None:
            raise RuntimeError("graph: the graph was freed by backward(); draw it before, or "
                               "pass retain_graph=True to backward()")
        for t in fn.inputs:
            if t._ctx is not None:
                edges.append((("f", id(t._ctx)), ("f", id(fn))))
                stack.append((t._ctx, t))
            else:
                leaves.setdefault(id(t), t)
                edges.append((("t", id(t)), ("f", id(fn))))
        if len(ops) + len(leaves) > max_nodes:
            raise ValueError(f"graph: more than max_nodes={max_nodes} nodes; pass a larger "
                             f"max_nodes to draw it")
    # numbered in the order of computation: leaves, then the ops from the inputs up
    order = [fn for fn in reversed(topological_order(root)) if id(fn) in ops]
    leaf_ids = {}
    for fn in order:
        for t in fn.inputs:
            if t._ctx is None and id(t) not in leaf_ids:
                leaf_ids[id(t)] = f"t{len(leaf_ids)}"
    op_ids = {id(fn): f"f{i}" for i, fn in enumerate(order)}
    lines = ["flowchart BT"]
    lines += [f'    {leaf_ids[k]}["{_leaf_label(leaves[k])}"]' for k in leaf_ids]
    lines += [f'    {op_ids[id(fn)]}["{type(fn).__name__}<br/>{shapes[id(fn)]}"]'
              for fn in order]
    names = {**{("t", k): v for k, v in leaf_ids.items()},
             **{("f", k): v for k, v in op_ids.items()}}
    ordered = sorted(set(edges), key=lambda e: (op_ids[e[1][1]], names[e[0]]))
    lines += [f"    {names[a]} --> {names[b]}" for a, b in ordered]
    return "\n".join(lines)
