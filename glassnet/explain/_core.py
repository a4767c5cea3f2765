"""What every attribution method shares: calling the model, picking the target, batching.

Inputs are NumPy arrays of shape ``(n, *features)``. Methods that evaluate the model at many
points per sample lay those points out as a grid ``(k, n, *features)`` (k steps, noise draws or
perturbations per sample) and send chunks of whole rows of the grid through the model, so that
at most ``internal_batch_size`` samples are in memory at once. A tuple of inputs is packed
into one (n, total) array (``Packing``) and split again only where the model is called.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from glassnet.autograd import Tensor, no_grad, tensor
from glassnet.nn.layer import Layer


def as_inputs(inputs, owner):
    """``inputs`` as a floating NumPy array with a batch axis (integers become float32)."""
    if isinstance(inputs, Tensor):
        inputs = inputs.numpy()
    try:
        x = np.asarray(inputs)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{owner}: `inputs` must be an array; received {type(inputs).__name__}"
                        ) from err
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: `inputs` must be numeric; received dtype {x.dtype}")
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"{owner}: `inputs` must have a non-empty batch axis; "
                         f"received shape {x.shape}")
    return x


class Packing:
    """Several inputs (a tuple, as Captum takes a multi-input model's) flattened side by side
    into one (n, total) array, so that every method works on one array; the model gets them
    split back, and the attributions come back as a tuple shaped like the inputs."""

    def __init__(self, arrays):
        self.shapes = [a.shape[1:] for a in arrays]
        sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.bounds = np.cumsum([0, *sizes]).tolist()

    def pack(self, arrays):
        return np.concatenate([np.reshape(a, (len(a), -1)) for a in arrays], axis=1)

    def unpack(self, packed):
        """The separate inputs of a packed batch (a NumPy array or a glassnet tensor)."""
        rows = packed.shape[0]
        return tuple(packed[:, lo:hi].reshape((rows, *shape))
                     for lo, hi, shape in zip(self.bounds, self.bounds[1:], self.shapes))


def pack_inputs(inputs, owner):
    """``(x, packing)``: one input as it is (packing None), or a tuple of inputs packed."""
    if not isinstance(inputs, tuple):
        return as_inputs(inputs, owner), None
    arrays = [as_inputs(a, owner) for a in inputs]
    if not arrays or len({len(a) for a in arrays}) != 1:
        raise ValueError(f"{owner}: the inputs of a tuple must share their batch size; "
                         f"received shapes {[a.shape for a in arrays]}")
    dtype = np.result_type(*arrays)
    packing = Packing(arrays)
    return packing.pack([a.astype(dtype) for a in arrays]), packing


def pack_values(value, packing, n, owner, name):
    """A per-input tuple (baselines, feature masks) packed like the inputs; other values
    (None, one number) as they are."""
    if packing is None or not isinstance(value, tuple):
        return value
    if len(value) != len(packing.shapes):
        raise ValueError(f"{owner}: `{name}` must have one entry per input "
                         f"({len(packing.shapes)}); received {len(value)}")
    parts = []
    for v, shape in zip(value, packing.shapes):
        v = np.asarray(v.numpy() if isinstance(v, Tensor) else v)
        v = np.full((1, *shape), v) if v.ndim == 0 else v
        v = v[None] if v.shape == shape else v
        if v.shape[1:] != shape or v.shape[0] not in (1, n):
            raise ValueError(f"{owner}: each entry of `{name}` must be a number or have the "
                             f"shape of its input {(n, *shape)} or of one sample {shape}; "
                             f"received shape {v.shape}")
        parts.append(v)
    rows = max(len(v) for v in parts)
    return packing.pack([np.broadcast_to(v, (rows, *v.shape[1:])) for v in parts])


def unpack(result, packing):
    """Attributions as the caller gave the inputs: one array, or a tuple of them."""
    return result if packing is None else packing.unpack(result)


def as_baselines(baselines, x, owner, name="baselines"):
    """``baselines`` (None: zeros; a number; an array shaped like ``inputs`` or like one
    sample) broadcast to the shape of ``x``."""
    if baselines is None:
        return np.zeros_like(x)
    if isinstance(baselines, Tensor):
        baselines = baselines.numpy()
    b = np.asarray(baselines, dtype=x.dtype)
    if b.shape != x.shape and b.shape != x.shape[1:] and b.shape != (1, *x.shape[1:]) \
            and b.ndim != 0:
        raise ValueError(f"{owner}: `{name}` must be a number or have the shape of `inputs` "
                         f"{x.shape} or of one sample {x.shape[1:]}; received shape {b.shape}")
    return np.broadcast_to(b, x.shape).copy()


def positive_int(value, name, owner, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: `{name}` must be a positive integer; received {name}={value!r}")
    return int(value)


def as_generator(seed, owner):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"{owner}: `seed` must be None, an int or a numpy Generator; "
                    f"received {type(seed).__name__}")


def _accepts_training(model):
    if isinstance(model, Layer):
        return True
    try:
        params = inspect.signature(model).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in params)


class Forward:
    """The model as a function of a batch, in inference mode (``training=False`` where the
    callable accepts it), with ``additional_forward_args`` tiled to match expanded batches."""

    def __init__(self, model, owner):
        if not callable(model):
            raise TypeError(f"{owner}: `model` must be a model or a callable; "
                            f"received {type(model).__name__}")
        self.model = model
        self.owner = owner
        self.training_kwarg = _accepts_training(model)

    packing = None   # set by a method for the duration of a call on a tuple of inputs

    def __call__(self, batch, args, reps):
        extra = tile_args(args, reps)
        if self.packing is None:
            batch = (batch,)
        elif isinstance(self.model, Layer):
            batch = (list(self.packing.unpack(batch)),)   # a Keras multi-input model
        else:
            batch = self.packing.unpack(batch)            # Captum's forward(*inputs)
        if self.training_kwarg:
            return self.model(*batch, *extra, training=False)
        return self.model(*batch, *extra)


def tile_args(args, reps):
    """``additional_forward_args`` repeated ``reps`` times along the batch axis (arrays only;
    other values pass through as they are)."""
    if args is None:
        return ()
    if not isinstance(args, (tuple, list)):
        args = (args,)
    if reps == 1:
        return tuple(args)
    return tuple(np.concatenate([np.asarray(a)] * reps, axis=0)
                 if isinstance(a, (np.ndarray, Tensor)) else a for a in args)


def check_target(target, n, owner):
    """``target`` as None, a tuple of ints (one index into the non-batch output axes) or an
    int array of length ``n`` (one output column per sample)."""
    if target is None:
        return None
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        return (int(target),)
    if isinstance(target, tuple) and all(isinstance(t, numbers.Integral) for t in target):
        return tuple(int(t) for t in target)
    t = np.asarray(target)
    if t.dtype.kind not in "iu" or t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"{owner}: `target` must be an int, a tuple of ints or one int per "
                         f"sample ({n}); received {target!r}")
    return t.astype(np.int64)


def check_single(out, owner):
    if not hasattr(out, "shape"):
        raise TypeError(f"{owner}: the model must return one array or tensor (for a model with "
                        f"several outputs, wrap it to return the one to explain); received "
                        f"{type(out).__name__}")


def select(out, target, n, reps, owner):
    """One score per sample of the expanded batch (``reps * n`` rows) from the model output."""
    check_single(out, owner)
    shape = tuple(out.shape)
    if len(shape) == 0 or shape[0] != n * reps:
        raise ValueError(f"{owner}: the model must return one row per sample; for a batch of "
                         f"{n * reps} it returned shape {shape}")
    if target is None:
        if len(shape) == 1:
            return out
        if all(d == 1 for d in shape[1:]):
            return out.reshape((shape[0],))
        raise ValueError(f"{owner}: `target` is required when the model output has more than "
                         f"one value per sample; output shape {shape}")
    if isinstance(target, tuple):
        if len(target) != len(shape) - 1 or any(not -d <= t < d
                                                for t, d in zip(target, shape[1:])):
            raise ValueError(f"{owner}: `target` {target if len(target) > 1 else target[0]} "
                             f"is out of range for model output shape {shape}")
        return out[(slice(None), *target)]
    if len(shape) != 2 or target.min() < -shape[1] or target.max() >= shape[1]:
        raise ValueError(f"{owner}: per-sample `target` {target.tolist()} does not index the "
                         f"model output of shape {shape}")
    return out[np.arange(n * reps), np.tile(target, reps)]


def chunks(k, n, internal_batch_size):
    """Slices of the k grid rows, each holding at most ``internal_batch_size`` samples (but
    always at least one row)."""
    step = k if internal_batch_size is None else max(1, internal_batch_size // n)
    return [slice(i, min(i + step, k)) for i in range(0, k, step)]


def gradient_chunks(forward, k, n, points, target, args, internal_batch_size):
    """Yield ``(rows, pts, grads)`` chunk by chunk over k grid rows, where ``points(rows)``
    builds those rows (r, n, *features) only when needed, so that no more than one chunk of
    path points and gradients is ever in memory."""
    for rows in chunks(k, n, internal_batch_size):
        pts = points(rows)
        reps = pts.shape[0]
        t = tensor(pts.reshape((reps * n, *pts.shape[2:])), requires_grad=True)
        out = forward(t, args, reps)
        check_single(out, forward.owner)
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise TypeError(f"{forward.owner} needs gradients: the model must return a "
                            f"glassnet tensor computed from its input; received "
                            f"{type(out).__name__}")
        # samples are independent, so the gradient of the summed scores is each one's own
        select(out, target, n, reps, forward.owner).sum().backward()
        g = t.grad if t.grad is not None else np.zeros(t.shape, pts.dtype)
        yield rows, pts, np.asarray(g, dtype=pts.dtype).reshape(pts.shape)


def gradients(forward, grid, target, args, internal_batch_size):
    """d score / d input at every point of ``grid`` (k, n, *features), chunk by chunk."""
    grads = np.empty_like(grid)
    for rows, _, g in gradient_chunks(forward, grid.shape[0], grid.shape[1],
                                      lambda rows: grid[rows], target, args,
                                      internal_batch_size):
        grads[rows] = g
    return grads


def scores(forward, grid, target, args, internal_batch_size, as_tensor=False):
    """The target score at every point of ``grid`` (k, n, *features), shape (k, n). The model
    gets NumPy batches (so gradient-free methods accept any array function), or glassnet
    tensors with ``as_tensor`` (the gradient methods, whose models are written on tensors)."""
    k, n = grid.shape[:2]
    result = np.empty((k, n), dtype=np.float64)
    with no_grad():
        for rows in chunks(k, n, internal_batch_size):
            reps = rows.stop - rows.start
            batch = grid[rows].reshape((reps * n, *grid.shape[2:]))
            out = forward(tensor(batch) if as_tensor else batch, args, reps)
            if not isinstance(out, Tensor):
                # arrays keep their own precision (a float64 model stays float64)
                out = np.asarray(out)
            s = select(out, target, n, reps, forward.owner)
            s = s.numpy() if isinstance(s, Tensor) else s
            result[rows] = np.asarray(s, dtype=np.float64).reshape((reps, n))
    return result
