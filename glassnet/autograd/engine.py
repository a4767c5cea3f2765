"""The backward pass: the chain rule applied over the recorded graph, output to leaves.

Each op's ``backward`` maps the gradient of its output to the gradients of its inputs. Visiting
the ops in reverse topological order guarantees that when an op is reached, every path from the
output to it has already delivered its share of the gradient (shares are summed: a tensor used
twice gets the sum of both gradients). The order comes from an iterative depth-first search, so
graphs of any depth work and the order is the same on every run.
"""

from __future__ import annotations

import numpy as np


def topological_order(root_fn):
    """The ops reachable from ``root_fn``, each listed before every op it depends on."""
    postorder, visited = [], set()
    stack = [(root_fn, False)]
    while stack:
        fn, children_done = stack.pop()
        if children_done:
            postorder.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        if fn.inputs is None:
            raise RuntimeError(
                "backward: trying to go through the graph a second time, but its saved "
                "arrays were freed by the first backward(). Pass retain_graph=True to the "
                "first backward() to go through it again."
            )
        for t in fn.inputs:
            parent = t._ctx
            if parent is not None and parent not in visited:
                stack.append((parent, False))
    postorder.reverse()
    return postorder


def backward(root, grad=None, retain_graph=False):
    """Accumulate d(root)/d(leaf), scaled by ``grad``, into ``leaf.grad`` for every leaf."""
    if not root._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn: no input of the "
            "ops that made it had requires_grad=True (or they ran under no_grad())"
        )
    grad = _initial_grad(root, grad)
    # Arrays handed to a leaf's .grad must be the leaf's own: ops pass gradients through
    # unchanged (add returns the same array for both inputs), so an array already handed
    # out, or a view of another array, is copied before a leaf keeps it.
    handed_out = {id(grad)}
    if root._ctx is None:
        _accumulate_leaf(root, grad, handed_out)
        return

    grads = {root._ctx: grad}
    for fn in topological_order(root._ctx):
        grad_output = grads.pop(fn)
        input_grads = fn.backward(grad_output)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for t, g, needed in zip(fn.inputs, input_grads, fn.needs_input_grad, strict=True):
            if not needed or g is None:
                continue
            if g.shape != t.data.shape:
                raise RuntimeError(
                    f"{fn.name}.backward returned a gradient of shape {g.shape} for an input "
                    f"of shape {t.data.shape}"
                )
            parent = t._ctx
            if parent is None:
                _accumulate_leaf(t, g, handed_out)
            elif parent in grads:
                grads[parent] = grads[parent] + g
            else:
                grads[parent] = g
        if not retain_graph:
            fn.release()


def _initial_grad(root, grad):
    if grad is None:
        if root.data.size != 1:
            raise ValueError(
                f"backward: grad can be implicitly created only for a tensor with one element, "
                f"but this one has shape {root.shape}. Reduce it first (y.sum().backward(), "
                f"y.mean().backward()) or pass the gradient of the final scalar with respect "
                f"to it: y.backward(grad) with grad of shape {root.shape}."
            )
        return np.ones_like(root.data)
    grad = np.asarray(grad.data if hasattr(grad, "_ctx") else grad, dtype=root.data.dtype)
    if grad.shape != root.shape:
        raise ValueError(
            f"backward: grad must have the shape of the tensor, {root.shape}; "
            f"received grad of shape {grad.shape}"
        )
    return grad


def _accumulate_leaf(t, g, handed_out):
    if t.grad is None:
        if id(g) in handed_out or g.base is not None or g.dtype != t.data.dtype:
            g = g.astype(t.data.dtype, copy=True)
        elif isinstance(g, np.generic):  # a 0-d result NumPy made a scalar
            g = np.asarray(g)
        handed_out.add(id(g))
        t.grad = g
    else:
        # Out of place: the previous .grad may be an array its owner still reads.
        t.grad = t.grad + g
