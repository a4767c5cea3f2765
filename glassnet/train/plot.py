"""``plot_model``: the model's graph as text, a Mermaid flowchart (renders on GitHub and in
many Markdown viewers) instead of a Graphviz image, so it needs no system packages."""

from __future__ import annotations

import os


def _label(layer, shape, show_shapes, show_layer_names):
    parts = [f"{layer.name}: {type(layer).__name__}" if show_layer_names
             else type(layer).__name__]
    if show_shapes and shape is not None:
        parts.append(f"output {tuple(shape)}")
    return "<br/>".join(parts).replace('"', "'")


def plot_model(model, to_file=None, show_shapes=False, show_layer_names=True, rankdir="TB",
               **_ignored):
    """Return (and with ``to_file`` write) a Mermaid ``flowchart`` of the model's layers.

    >>> from glassnet.train import Sequential
    >>> from glassnet.nn.layers import Dense
    >>> print(plot_model(Sequential([Dense(2, input_shape=(3,), name="d")])))
    flowchart TB
      n0["d: Dense"]
    """
    edges, nodes = [], {}
    graph = getattr(model, "_graph", None)
    if graph is not None:
        for t in [*graph.inputs, *graph.nodes]:
            nodes.setdefault(t.layer, t.shape)
        ids = {layer: f"n{i}" for i, layer in enumerate(nodes)}
        for t in graph.nodes:
            args = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
            for a in args:
                edge = f"  {ids[a.layer]} --> {ids[t.layer]}"
                if edge not in edges:
                    edges.append(edge)
    else:
        rows = model._summary_layers()
        nodes = {layer: (shape if shape != "?" else None) for layer, shape in rows}
        ids = {layer: f"n{i}" for i, layer in enumerate(nodes)}
        order = list(nodes)
        edges = [f"  {ids[a]} --> {ids[b]}" for a, b in zip(order, order[1:])]
    direction = {"TB": "TB", "LR": "LR", "BT": "BT", "RL": "RL"}.get(rankdir, "TB")
    lines = [f"flowchart {direction}"]
    lines += [f'  {ids[layer]}["{_label(layer, shape, show_shapes, show_layer_names)}"]'
              for layer, shape in nodes.items()]
    lines += edges
    text = "\n".join(lines)
    if to_file is not None:
        with open(os.fspath(to_file), "w") as f:
            f.write(text + "\n")
    return text
