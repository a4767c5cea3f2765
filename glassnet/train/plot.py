"""``plot_model``: the model's graph of layers, as Keras draws it.

The file's extension picks the format: ``.png``, ``.svg``, ``.pdf``, ``.jpg`` and ``.dot`` are
drawn by Graphviz through pydot, as in Keras (``pip install pydot``, ``apt-get install
graphviz``); ``.mmd`` and ``.md`` get a Mermaid flowchart, text that renders on GitHub and in
many Markdown viewers and needs nothing installed.
"""

from __future__ import annotations

import os
import shutil

from glassnet.files import atomic_write

IMAGE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif", "dot")
TEXT_FORMATS = ("mmd", "md")


def _write(path, data):
    """Write ``data`` to ``path`` all at once (``files.atomic_write``: a temporary file renamed
    into place, with the permissions a new file gets)."""
    with atomic_write(path) as f:
        f.write(data)


def _activation_name(layer):
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    return getattr(fn, "__name__", None) or type(fn).__name__


def _label_lines(layer, shape, opts):
    lines = [f"{layer.name}: {type(layer).__name__}" if opts["show_layer_names"]
             else type(layer).__name__]
    if opts["show_layer_activations"] and _activation_name(layer) not in (None, "linear"):
        lines.append(f"activation {_activation_name(layer)}")
    if opts["show_shapes"] and shape is not None:
        lines.append(f"output {tuple(shape)}")
    if opts["show_dtype"] and getattr(layer, "dtype", None) is not None:
        lines.append(f"dtype {layer.dtype}")
    if opts["show_trainable"]:
        lines.append("trainable" if layer.trainable else "frozen")
    return lines


def _is_model(layer):
    return hasattr(layer, "_summary_layers") and hasattr(layer, "layers")


def _collect(model, prefix, opts, nodes, edges, clusters):
    """Add ``model``'s layers to ``nodes`` (id -> label lines) and ``edges`` (id pairs);
    return the ids data enters by and leaves from. A nested model becomes a cluster of its
    own layers with ``expand_nested``, else one node."""
    ids = {}

    def add(layer, shape):
        node = f"{prefix}n{len(ids)}"
        if opts["expand_nested"] and _is_model(layer):
            members = {}
            first, last = _collect(layer, node + "_", opts, members, edges, clusters)
            clusters.append((node, _label_lines(layer, None, opts)[0], list(members)))
            nodes.update(members)
            ids[layer] = (first, last)
        else:
            nodes[node] = _label_lines(layer, shape, opts)
            ids[layer] = ([node], [node])

    def link(a, b):
        for u in ids[a][1]:
            for v in ids[b][0]:
                if (u, v) not in edges:
                    edges.append((u, v))

    graph = getattr(model, "_graph", None)
    if graph is not None:
        for t in [*graph.inputs, *graph.nodes]:
            if t.layer not in ids:
                add(t.layer, t.shape)
        for t in graph.nodes:
            for a in t.parents():  # every tensor the call read: layer(a, b), key=k too
                link(a.layer, t.layer)
        first = [n for t in graph.inputs for n in ids[t.layer][0]]
        last = [n for t in graph.outputs for n in ids[t.layer][1]]
        return first, last
    layers = []
    for layer, shape in model._summary_layers():
        add(layer, shape if shape != "?" else None)
        layers.append(layer)
    for a, b in zip(layers, layers[1:]):
        link(a, b)
    return (ids[layers[0]][0], ids[layers[-1]][1]) if layers else ([], [])


def _mermaid(nodes, edges, clusters, rankdir):
    def node(n, indent="  "):
        label = "<br/>".join(nodes[n]).replace('"', "'")
        return f'{indent}{n}["{label}"]'

    in_cluster = {n for _, _, members in clusters for n in members}
    lines = [f"flowchart {rankdir}"]
    lines += [node(n) for n in nodes if n not in in_cluster]
    for name, title, members in clusters:
        lines.append(f'  subgraph {name}["{title}"]')
        lines += [node(n, "    ") for n in members]
        lines.append("  end")
    lines += [f"  {a} --> {b}" for a, b in edges]
    return "\n".join(lines)


def _pydot_graph(nodes, edges, clusters, rankdir, dpi):
    try:
        import pydot
    except ImportError:
        raise ImportError("plot_model: drawing an image needs pydot: pip install pydot (or "
                          "save to a .mmd file, Mermaid text, which needs nothing)") from None
    graph = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi), concentrate="true")
    graph.set_node_defaults(shape="box", style="rounded", fontname="Helvetica")
    owner = {n: name for name, _, members in clusters for n in members}
    subgraphs = {}
    for name, title, _ in clusters:
        subgraphs[name] = pydot.Cluster(name, label=pydot.quote_id_if_necessary(title),
                                        style="dashed", fontname="Helvetica")
        graph.add_subgraph(subgraphs[name])
    for n, lines in nodes.items():
        label = pydot.quote_id_if_necessary("\n".join(lines))
        (subgraphs[owner[n]] if n in owner else graph).add_node(pydot.Node(n, label=label))
    for a, b in edges:
        graph.add_edge(pydot.Edge(a, b))
    return graph


def plot_model(model, to_file=None, show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draw the model's layers as a graph; return it as text (Mermaid, or DOT for images).

    Args:
        model: a built ``Sequential`` or functional ``Model``.
        to_file: where to write; the extension picks the format (see the module). ``None``
            writes nothing and returns the Mermaid text.
        show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable:
            what each layer's box shows besides its class.
        rankdir: ``"TB"`` (top to bottom), ``"LR"``, ``"BT"`` or ``"RL"``.
        expand_nested: draw a nested model's layers inside a box instead of one node.
        dpi: resolution of a drawn image.

    Raises:
        ImportError: an image format, and pydot or Graphviz's ``dot`` is not installed.
        ValueError: an extension that is neither an image nor a text format.

    >>> from glassnet.nn.layers import Dense, Input
    >>> from glassnet.train import Model
    >>> x = Input(shape=(3,), name="x")
    >>> print(plot_model(Model(x, Dense(2, name="d")(x)), show_shapes=True))
    flowchart TB
      n0["x: InputLayer<br/>output (None, 3)"]
      n1["d: Dense<br/>output (None, 2)"]
      n0 --> n1
    """
    unknown = set(kwargs) - {"layer_range"}  # Keras's layer_range: the whole model is drawn
    if unknown:
        raise TypeError(f"plot_model: unexpected arguments {sorted(unknown)}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"plot_model: rankdir must be 'TB', 'LR', 'BT' or 'RL'. "
                         f"Received: rankdir={rankdir!r}")
    opts = {"show_shapes": show_shapes, "show_dtype": show_dtype,
            "show_layer_names": show_layer_names, "expand_nested": expand_nested,
            "show_layer_activations": show_layer_activations, "show_trainable": show_trainable}
    nodes, edges, clusters = {}, [], []
    _collect(model, "", opts, nodes, edges, clusters)
    path = None if to_file is None else os.fspath(to_file)
    fmt = "mmd" if path is None else os.path.splitext(path)[1].lower().lstrip(".")
    if fmt in TEXT_FORMATS:
        text = _mermaid(nodes, edges, clusters, rankdir)
        if path is not None:
            body = f"```mermaid\n{text}\n```\n" if fmt == "md" else text + "\n"
            _write(path, body.encode())
        return text
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"plot_model: cannot tell the format of {path!r}; use one of "
                         + ", ".join(f".{f}" for f in IMAGE_FORMATS + TEXT_FORMATS))
    graph = _pydot_graph(nodes, edges, clusters, rankdir, dpi)
    if fmt == "dot":
        data = graph.to_string().encode()
    else:
        if shutil.which("dot") is None:
            raise ImportError(f"plot_model: drawing a .{fmt} needs Graphviz's dot program: "
                              "apt-get install graphviz (or save to a .mmd file, Mermaid "
                              "text, which needs nothing)")
        data = graph.create(prog="dot", format="jpeg" if fmt == "jpg" else fmt)
    _write(path, data)
    return graph.to_string()
