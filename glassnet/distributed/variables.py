"""Broadcast a model's weights and an optimizer's state from one rank to all, in place.

``broadcast_variables(model.weights, root_rank=0)`` makes every rank start from rank 0's
weights: the variables are packed into one contiguous buffer per dtype, broadcast with
``Bcast`` and copied back into each variable's own array (its identity is kept, so layers and
optimizer state that hold it still see it). The bytes are those of the root: the weights are
bit-identical afterwards.

``broadcast_optimizer_state`` sends the root's ``optimizer.state_dict()`` (step count and
state arrays): the names, dtypes and shapes as a JSON text (a uint8 buffer: nothing is
pickled), then the arrays.
"""

from __future__ import annotations

import json

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.distributed.collectives import agree, bcast_in_place, fingerprint
from glassnet.distributed.runtime import check_root, job


def broadcast_variables(variables, root_rank=0):
    """Overwrite each of ``variables`` (Tensors, or writable arrays) with its value on rank
    ``root_rank``; every rank passes the same list (shapes and dtypes)."""
    what = "broadcast_variables"
    root = check_root(root_rank, what)
    arrays = _arrays(variables, what)
    agree(fingerprint([(a.dtype.str, a.shape) for a in arrays]), what,
          "the same variables (the same count, shapes and dtypes, in the same order)")
    if job(what).size == 1:
        return
    for dtype in sorted({a.dtype.str for a in arrays}):
        group = [a for a in arrays if a.dtype.str == dtype]
        flat = np.concatenate([a.reshape(-1) for a in group])
        bcast_in_place(flat, root, what)
        start = 0
        for a in group:
            a[...] = flat[start:start + a.size].reshape(a.shape)
            start += a.size


def broadcast_parameters(params, root_rank=0):
    """``broadcast_variables`` for PyTorch-style collections: a dict of name -> Tensor
    (``model.state_dict()``; broadcast in sorted name order), a list of ``(name, Tensor)``
    pairs (``model.named_parameters()``) or a list of Tensors (``model.parameters()``)."""
    what = "broadcast_parameters"
    if isinstance(params, dict):
        items = [params[k] for k in sorted(params)]
    else:
        try:
            items = list(params)
        except TypeError:
            raise TypeError(f"{what}: `params` must be a dict of name -> Tensor or a list of "
                            f"Tensors or (name, Tensor) pairs. Received: "
                            f"{type(params).__name__}") from None
        items = [p[1] if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                 else p for p in items]
    broadcast_variables(items, root_rank)


def broadcast_optimizer_state(optimizer, root_rank=0):
    """Give every rank the optimizer state (step count, slots) of rank ``root_rank``."""
    from glassnet.optim import Optimizer

    what = "broadcast_optimizer_state"
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{what}: `optimizer` must be a glassnet Optimizer. Received: "
                        f"{type(optimizer).__name__}")
    root = check_root(root_rank, what)
    current = job(what)
    if current.size == 1:
        return
    state = {k: np.array(v, order="C") for k, v in optimizer.state_dict().items()}
    header = json.dumps([[k, v.dtype.str, list(v.shape)] for k, v in sorted(state.items())])
    text = np.frombuffer(header.encode(), dtype=np.uint8)
    length = np.array([text.size], dtype=np.int64)
    bcast_in_place(length, root, what)
    if current.rank != root:
        text = np.empty(int(length[0]), dtype=np.uint8)
    bcast_in_place(text, root, what)
    entries = json.loads(text.tobytes().decode())
    received = {}
    for key, dtype, shape in entries:
        dtype = np.dtype(dtype)
        if dtype.kind not in "fiub" or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ValueError(f"{what}: rank {root} sent state {key!r} of dtype {dtype} and "
                             f"shape {shape}, which an optimizer does not hold")
        array = state[key] if current.rank == root else np.empty(shape, dtype=dtype)
        bcast_in_place(array, root, what)
        received[key] = array
    if current.rank != root:
        optimizer.load_state_dict(received)


def _arrays(variables, what):
    if isinstance(variables, (Tensor, np.ndarray)):
        raise TypeError(f"{what}: `variables` must be a list of Tensors (model.weights), not "
                        f"one {type(variables).__name__}")
    try:
        items = list(variables)
    except TypeError:
        raise TypeError(f"{what}: `variables` must be a list of Tensors (model.weights). "
                        f"Received: {type(variables).__name__}") from None
    arrays = []
    for i, v in enumerate(items):
        array = v.data if isinstance(v, Tensor) else v
        if not isinstance(array, np.ndarray) or not array.flags.writeable:
            raise TypeError(f"{what}: variables[{i}] must be a Tensor or a writable NumPy "
                            f"array. Received: {type(v).__name__}")
        arrays.append(array)
    return arrays
