"""The backward pass: the chain rule applied over the recorded graph, output to leaves.

Each op's ``backward`` maps the gradient of its output to the gradients of its inputs. Visiting
the ops in reverse topological order guarantees that when an op is reached, every path from the
output to it has already delivered its share of the gradient (shares are summed: a tensor used
twice gets the sum of both gradients). The order comes from an iterative depth-first search, so
graphs of any depth work and the order is the same on every run.

Two drivers share that walk: :func:`backward` accumulates into every leaf's ``.grad`` and frees
the graph (PyTorch's ``loss.backward()``); :func:`gradients` returns d(roots)/d(sources) for
chosen tensors, leaves or intermediates, and leaves both the graph and every ``.grad`` alone
(what ``GradientTape.gradient`` needs: two tapes may read one forward graph).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend


def topological_order(root_fn, *more_roots):
    """The ops reachable from the root ops, each listed before every op it depends on."""
    postorder, visited = [], set()
    stack = [(fn, False) for fn in reversed((root_fn, *more_roots))]
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


def _input_grads(fn, grad_output):
    """``(input, gradient)`` for each input of ``fn`` that takes a gradient, checked."""
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
        yield t, g


def _add_to(grads, fn, g):
    grads[fn] = grads[fn] + g if fn in grads else g


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
        grad_output = grads.pop(fn, None)
        if grad_output is not None:
            for t, g in _input_grads(fn, grad_output):
                if t._ctx is None:
                    _accumulate_leaf(t, g, handed_out)
                else:
                    _add_to(grads, t._ctx, g)
        if not retain_graph:
            fn.release()


def gradients(roots, seeds, sources, recorded=None):
    """d(sum_i <seeds[i], roots[i]>)/d(source) for each source: a list of arrays, None where
    no recorded path leads from the source to a root.

    Sources may be leaves or intermediate tensors (d/dh for ``h = x @ w`` is the gradient
    flowing into ``h``, summed over all its uses). Nothing is written to any ``.grad`` and
    the graph is not freed. Only ops that lie between a root and a source run their
    backward: a tape asking for a discriminator's weights skips the generator below it.

    Args:
        roots: tensors (the targets).
        seeds: one array per root, of the root's shape: the gradient of the final scalar
            with respect to that root (ones for a plain sum).
        sources: tensors to differentiate with respect to.
        recorded: if given, the ops (Functions) that count: an op outside it is treated as
            the maker of a constant (a GradientTape passes the ops made while it recorded).
    """
    results = [None] * len(sources)
    by_id = {}  # id(source) -> positions in ``sources`` (a tensor may be listed twice)
    for i, s in enumerate(sources):
        by_id.setdefault(id(s), []).append(i)

    def maker(t):  # the op that made t, if it counts
        fn = t._ctx
        return fn if recorded is None or fn in recorded else None

    producer = {maker(s): id(s) for s in sources if maker(s) is not None}

    def deliver(t, g):
        # Copied on first arrival: ``g`` may be an array another op's backward hands on or
        # a buffer the fast kernels write into again; the caller gets arrays of its own.
        first = results[by_id[id(t)][0]]
        if first is None:
            first = backend.get_array_module(g).array(g, dtype=t.data.dtype, copy=True)
        else:
            np.add(first, g, out=first)
        for i in by_id[id(t)]:
            results[i] = first

    root_fns = []
    for root, seed in zip(roots, seeds, strict=True):
        if maker(root) is None:
            if id(root) in by_id:  # d(x)/d(x): the seed itself
                deliver(root, seed)
        else:
            root_fns.append(root._ctx)
    if not root_fns:
        return results

    try:
        order = topological_order(*root_fns)
    except RuntimeError:
        raise RuntimeError(
            "gradient: the target's graph was freed by a backward() call (backward frees it "
            "unless retain_graph=True). Take the gradients before calling backward(), or "
            "call backward(retain_graph=True)."
        ) from None
    # reaches[fn]: some source lies below fn's output, so fn's backward has to run.
    reaches = {}
    for fn in reversed(order):
        reaches[fn] = (recorded is None or fn in recorded) and any(
            id(t) in by_id or (maker(t) is not None and reaches[t._ctx]) for t in fn.inputs)
    wanted = {fn for fn in order if reaches[fn] or fn in producer}

    grads = {}
    for root, seed in zip(roots, seeds):
        if maker(root) in wanted:
            _add_to(grads, root._ctx, seed)
    for fn in order:
        grad_output = grads.pop(fn, None)
        if grad_output is None:
            continue
        if fn in producer:
            deliver(sources[by_id[producer[fn]][0]], grad_output)
        if not reaches[fn]:
            continue
        for t, g in _input_grads(fn, grad_output):
            if maker(t) is None:
                if id(t) in by_id:
                    deliver(t, g)
            elif t._ctx in wanted:
                _add_to(grads, t._ctx, g)
    return results


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
    grad = grad.data if hasattr(grad, "_ctx") else grad
    xp = backend.get_array_module(root.data)
    grad = xp.asarray(backend.to_device(grad, backend.device_of(root.data)) if xp is not np
                      else grad, dtype=root.data.dtype)
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
