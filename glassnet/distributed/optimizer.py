"""``DistributedOptimizer``: the wrapped optimizer, with the gradients averaged over the ranks
before each update (data parallelism).

Each step the gradients are copied into one preallocated, contiguous buffer (float32 for
float32 weights; reused every step), reduced with a single ``comm.Allreduce(MPI.IN_PLACE,
buffer, op=MPI.SUM)`` and divided by ``size()`` (``op=Average``); the update then reads
views into that buffer. With ``Compression.fp16`` the buffer is cast into a preallocated
float16 one for the allreduce and back. With ``backward_passes_per_step=k`` the gradients of
k backward passes are summed locally (averaged with ``average_aggregated_gradients``) and
only the k-th call reduces and updates.

Why one buffer and no overlap with the backward pass: the backward engine runs in Python on
one thread and has no per-parameter "gradient ready" hook, and Open MPI's shared-memory and
TCP transports progress a nonblocking ``Iallreduce`` mostly inside MPI calls; so one large
allreduce after backward costs the same bytes in one call (no per-bucket latency) and is the
fastest choice here.

All ranks get the same reduced bits (MPI reduces in the same order for every rank), so
updates are identical and the weights, once broadcast from one rank, stay bit-identical.

The result is an instance of a subclass of the wrapped optimizer's class, with the same name:
``compile``, ``get_config``, ``learning_rate``, ``iterations`` and saving behave as for the
wrapped optimizer, and a saved model loads without ``glassnet.distributed``.

>>> import glassnet, glassnet.distributed as hvd
>>> hvd.init()  # doctest: +SKIP
>>> opt = hvd.DistributedOptimizer(glassnet.optim.SGD(0.01 * hvd.size()))  # doctest: +SKIP
>>> type(opt).__name__, isinstance(opt, glassnet.optim.SGD)  # doctest: +SKIP
('SGD', True)
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.autograd.tensor import Tensor
from glassnet.distributed.collectives import agree, fingerprint, reduce_in_place
from glassnet.distributed.ops import Average, Compression, Sum, check_compression, check_op
from glassnet.distributed.runtime import job


class _Reducer:
    """The flat gradient buffer of one optimizer and the local accumulation count."""

    def __init__(self, compression, passes, op, average_passes):
        self.compression, self.passes, self.op = compression, passes, op
        self.average_passes = average_passes
        self.key = None
        self.count = 0

    def _build(self, pairs, key):
        dtype = np.result_type(*[g.dtype for g, _ in pairs], np.float32)
        sizes = [v.data.size for _, v in pairs]
        bounds = np.cumsum([0, *sizes])
        self.flat = np.zeros(int(bounds[-1]), dtype=dtype)
        self.views = [self.flat[a:b].reshape(v.data.shape)
                      for (_, v), a, b in zip(pairs, bounds, bounds[1:])]
        self.wire = None
        if self.compression.wire_dtype is not None:
            self.wire = np.empty(self.flat.size, dtype=self.compression.wire_dtype)
        self.key = key
        # every rank must reduce a buffer of the same layout
        agree(fingerprint(dtype.str, [v.data.shape for _, v in pairs]),
              "DistributedOptimizer", "gradients of the same variables (shapes, order)")

    def add(self, pairs):
        """Add one backward pass's gradients; whether the update is due."""
        key = tuple((id(v), v.data.shape) for _, v in pairs)
        if key != self.key:
            if self.count:
                raise ValueError(f"DistributedOptimizer: the gradients of this backward "
                                 f"pass are for other variables than those of the "
                                 f"{self.count} pass(es) accumulated since the last update")
            self._build(pairs, key)
        first = self.count == 0
        for view, (g, _) in zip(self.views, pairs):
            if first:
                np.copyto(view, g)
            else:
                np.add(view, g, out=view)
        self.count += 1
        return self.count >= self.passes

    def reduce(self, what):
        """Reduce the accumulated gradients over the ranks (in place); their views."""
        if self.average_passes and self.passes > 1:
            np.divide(self.flat, self.passes, out=self.flat)
        if self.wire is not None:
            np.copyto(self.wire, self.flat, casting="same_kind")
            reduce_in_place(self.wire, Sum, what)
            np.copyto(self.flat, self.wire)
            if self.op is Average and job(what).size > 1:
                np.divide(self.flat, job(what).size, out=self.flat)
        else:
            reduce_in_place(self.flat, self.op, what)
        self.count = 0
        return self.views


class _Distributed:
    """What a distributed optimizer adds to its class: the reduction before each update.

    ``_apply`` is the one place every way of stepping goes through (``apply``,
    ``apply_gradients`` and the PyTorch-style ``step``)."""

    _reducer = None

    def _apply(self, pairs):
        for g, v in pairs:
            if g.shape != v.data.shape:
                raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} for "
                                 f"variable '{getattr(v, 'name', None)}' of shape "
                                 f"{v.data.shape}")
        if not self._reducer.add(pairs):
            return  # more backward passes to accumulate before the update
        views = self._reducer.reduce("DistributedOptimizer")
        super()._apply([(g, v) for g, (_, v) in zip(views, pairs)])


_CLASSES = {}


def _distributed_class(base):
    """A subclass of ``base`` with its name, so configs and saved models name ``base``."""
    cls = _CLASSES.get(base)
    if cls is None:
        cls = type(base.__name__, (_Distributed, base), {
            "__module__": base.__module__, "__qualname__": base.__qualname__,
            "__doc__": base.__doc__})
        _CLASSES[base] = cls
    return cls


def DistributedOptimizer(optimizer, named_parameters=None, compression=Compression.none,
                         backward_passes_per_step=1, op=Average,
                         average_aggregated_gradients=False, name=None):
    """``optimizer`` with its gradients averaged (or summed) over all ranks before each update.

    Args:
        optimizer: a glassnet optimizer (or its name, such as "adam"); its configuration and
            state (step count, slots) carry over. Scale its learning rate by ``size()``.
        named_parameters: PyTorch style, ``model.named_parameters()`` (or the parameters) to
            step, when ``optimizer`` was made without them.
        compression: ``Compression.none`` or ``Compression.fp16`` (gradients travel as
            float16).
        backward_passes_per_step: backward passes whose gradients are summed locally before
            one allreduce and one update.
        op: ``Average`` (the mean gradient over the ranks) or ``Sum``.
        average_aggregated_gradients: divide the local sum of the passes by their number.
        name: a new name for the optimizer (default: the wrapped one's).

    Returns:
        A new optimizer of a subclass of ``type(optimizer)`` (same class name).
    """
    from glassnet import optim

    what = "DistributedOptimizer"
    job(what)
    if isinstance(optimizer, str):
        optimizer = optim.get(optimizer)
    if not isinstance(optimizer, optim.Optimizer):
        raise TypeError(f"{what}: `optimizer` must be a glassnet Optimizer or an optimizer "
                        f"name. Received: {type(optimizer).__name__}")
    if isinstance(optimizer, _Distributed):
        raise ValueError(f"{what}: the optimizer is already a DistributedOptimizer")
    compression = check_compression(compression, what)
    passes = checks.integer(backward_passes_per_step, "backward_passes_per_step", what, 1)
    op = check_op(op, what, allowed=(Average, Sum))
    params = _parameters(named_parameters, what) if named_parameters is not None else None
    if params is not None and optimizer.params is not None:
        raise ValueError(f"{what}: pass the parameters once: the optimizer already has "
                         f"{len(optimizer.params)}; leave named_parameters out")
    config = optimizer.get_config()
    if name is not None:
        config["name"] = str(name)
    try:
        wrapped = _distributed_class(type(optimizer)).from_config(config)
    except TypeError as error:
        raise TypeError(f"{what}: cannot rebuild {type(optimizer).__name__} from its "
                        f"get_config() ({error}); its get_config must return the arguments "
                        f"of its __init__") from None
    wrapped.decay = optimizer.decay
    wrapped.params = params if params is not None else optimizer.params
    state = optimizer.state_dict()
    if int(state["iterations"]) or len(state) > 1:
        wrapped.load_state_dict(state)
    wrapped._reducer = _Reducer(compression, passes, op, bool(average_aggregated_gradients))
    return wrapped


def _parameters(named_parameters, what):
    out = []
    for item in named_parameters:
        p = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        if not isinstance(p, Tensor):
            raise TypeError(f"{what}: `named_parameters` must hold Tensors or (name, Tensor) "
                            f"pairs. Received: an item of type {type(p).__name__}")
        out.append(p)
    return out
