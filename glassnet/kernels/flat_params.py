"""The tricks of an optimizer step: small parameters updated as one flat array, large ones in
row slices split over the threads, and subnormal state flushed (see ``subnormal``).

Replaces ``Optimizer``'s plain loop, which this computes exactly (the same values, bit for
bit: every built-in update treats each element on its own)::

    for g, v in zip(grads, variables):
        optimizer.update_variable(g, v.data, optimizer.slots_of(v), lr, t)

- For arrays of a few thousand values the cost of an update is the call overhead, about ten
  NumPy calls per parameter, not the arithmetic: parameters up to ``SMALL_PARAMETER`` values
  are copied into one flat group, updated with one call, and copied back. The parameters'
  arrays keep their identity; their optimizer state becomes views into the group's arrays.
- A large parameter of an ``elementwise`` optimizer is updated in contiguous slices of its
  rows, one per thread, inside a thread_pool block (the update is memory-bound).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.kernels import cuda, subnormal, threads

# Parameters up to this size are updated together in one flat group. Larger ones are updated
# in place, one by one.
SMALL_PARAMETER = 1 << 14


class FlatGroup:
    """Small parameters updated as one flat array: gradients and values are copied in,
    updated with one call, and the values copied back."""

    def __init__(self, optimizer, variables, key):
        self.key = key
        self.variables = variables
        self.members = set(key)
        sizes = [v.data.size for v in variables]
        bounds = np.cumsum([0, *sizes])
        self.spans = {id(v): (int(a), int(b)) for v, a, b in zip(variables, bounds, bounds[1:])}
        dtype = variables[0].data.dtype
        total = int(bounds[-1])
        xp = backend.get_array_module(variables[0].data)  # the group lives beside its members
        self.g = xp.zeros(total, dtype)
        self.w = xp.empty(total, dtype)
        self.slots = {name: xp.zeros(total, dtype) for name in optimizer.slot_names}
        for i in range(optimizer.scratch_buffers):
            self.slots[f"_scratch{i}"] = xp.empty(total, dtype)
        for v in variables:
            a, b = self.spans[id(v)]
            views = {name: arr[a:b].reshape(v.data.shape) for name, arr in self.slots.items()
                     if not name.startswith("_")}
            optimizer.share_slots(v, views)

    def gather(self, variable, grad):
        a, b = self.spans[id(variable)]
        self.g[a:b] = grad.reshape(-1)
        self.w[a:b] = variable.data.reshape(-1)

    def scatter(self):
        for v in self.variables:
            a, b = self.spans[id(v)]
            v.data[...] = self.w[a:b].reshape(v.data.shape)


class Updater:
    """One optimizer's step with the tricks above; ``group`` is the current flat group."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.group = None

    def apply(self, grads, variables, lr, t):
        """Update ``variables`` in place from ``grads`` at step ``t`` (slots already built)."""
        opt = self.optimizer
        group = self._small_group(variables)
        gpu = backend.on_device(variables[0].data)
        update = cuda.fused_update(opt) if gpu else None
        for g, v in zip(grads, variables):
            if group is not None and id(v) in group.members:
                group.gather(v, g)
            elif gpu:  # one kernel per parameter where there is a fused one
                (update or opt.update_variable)(g, v.data, opt.slots_of(v), lr, t)
            else:
                self._update(g, v.data, opt.slots_of(v), lr, t)
        if group is not None:
            (update or opt.update_variable)(group.g, group.w, group.slots, lr, t)
            group.scatter()
        if gpu:
            return  # subnormals cost nothing on a GPU
        period = subnormal.flush_period(opt.state_decay)
        if period and t % period == 0:
            subnormal.flush(opt.slots_of(v)[name] for v in opt.state_variables()
                            for name in opt.slot_names)

    def _update(self, g, w, slots, lr, t):
        """update_variable, split over the threads by rows for a large parameter."""
        opt = self.optimizer
        if g.dtype != w.dtype:
            g = g.astype(w.dtype)
        if not (opt.elementwise and w.flags.c_contiguous and g.flags.c_contiguous
                and all(s.flags.c_contiguous for s in slots.values())):
            opt.update_variable(g, w, slots, lr, t)
            return
        g1, w1 = g.reshape(-1), w.reshape(-1)
        flat = {name: s.reshape(-1) for name, s in slots.items()}
        threads.over_batch(lambda lo, hi: opt.update_variable(
            g1[lo:hi], w1[lo:hi], {name: s[lo:hi] for name, s in flat.items()}, lr, t),
            len(w1), 2 * w1.size)

    def _small_group(self, variables):
        """The flat group of this step's small parameters (built once for a given set)."""
        small = [v for v in variables if v.data.size <= SMALL_PARAMETER]
        if len(small) < 2:
            return None
        key = tuple(id(v) for v in small)
        if self.group is None or self.group.key != key:
            if len({(v.data.dtype, backend.device_of(v.data)) for v in small}) != 1:
                return None
            self.group = FlatGroup(self.optimizer, small, key)
        return self.group
