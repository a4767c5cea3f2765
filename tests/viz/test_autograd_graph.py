"""glassnet.viz.graph: the autograd graph of a tensor as Mermaid, from a fresh interpreter
too, with every parameter as a leaf and the errors for what cannot be drawn."""

import re
import subprocess
import sys

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.viz import graph


def _loss():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])
    x = np.ones((2, 3), "float32")
    loss = keras.losses.MeanSquaredError()(np.zeros((2, 1)), model(x))
    return model, loss


def test_every_parameter_is_a_leaf_and_every_edge_names_known_nodes():
    model, loss = _loss()
    text = graph(loss)
    lines = text.splitlines()
    assert lines[0] == "flowchart BT"
    nodes = dict(re.findall(r'^    (\w+)\["([^"]*)"\]$', text, re.M))
    edges = re.findall(r"^    (\w+) --> (\w+)$", text, re.M)
    assert edges and all(a in nodes and b in nodes for a, b in edges)
    labels = list(nodes.values())
    for w in model.trainable_weights:  # kernels and biases, with their shapes
        assert any(label.startswith(f"{w.name} {tuple(w.shape)}") for label in labels), w.name
    assert sum(label.startswith("input") for label in labels) >= 1
    sinks = set(nodes) - {a for a, _ in edges}
    assert len(sinks) == 1  # one root: the loss


def test_errors_for_what_cannot_be_drawn():
    with pytest.raises(TypeError, match="expected a glassnet Tensor"):
        graph(np.ones(3))
    with pytest.raises(ValueError, match="no grad_fn"):
        graph(glassnet.tensor([1.0, 2.0]))
    _, loss = _loss()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        graph(loss)
    _, loss = _loss()
    with pytest.raises(ValueError, match="max_nodes=2"):
        graph(loss, max_nodes=2)


def test_import_glassnet_viz_in_a_fresh_interpreter():
    program = ("import glassnet; import glassnet.viz as viz; "
               "x = glassnet.tensor([1.0, 2.0], requires_grad=True); "
               "print(viz.graph((x * x).sum()).splitlines()[0])")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "flowchart BT", result.stderr[-2000:]
