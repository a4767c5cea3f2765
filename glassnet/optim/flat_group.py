"""Small parameters updated together as one flat array (see ``Optimizer``'s SMALL_PARAMETER):
for arrays of a few thousand values the cost of an update is the call overhead, ten NumPy
calls per parameter, not the arithmetic."""

from __future__ import annotations

import numpy as np


class FlatGroup:
    """Small parameters updated as one flat array: gradients and values are copied in,
    updated with one ``update_step``, and the values copied back. The parameters' arrays
    keep their identity; their optimizer state becomes views into the group's arrays."""

    def __init__(self, optimizer, variables, key):
        self.key = key
        self.variables = variables
        self.members = set(key)
        sizes = [v.data.size for v in variables]
        bounds = np.cumsum([0, *sizes])
        self.spans = {id(v): (int(a), int(b)) for v, a, b in zip(variables, bounds, bounds[1:])}
        dtype = variables[0].data.dtype
        total = int(bounds[-1])
        self.g = np.zeros(total, dtype)
        self.w = np.empty(total, dtype)
        self.slots = {name: np.zeros(total, dtype) for name in optimizer.slot_names}
        for i in range(optimizer.scratch_buffers):
            self.slots[f"_scratch{i}"] = np.empty(total, dtype)
        for v in variables:
            a, b = self.spans[id(v)]
            views = {name: arr[a:b].reshape(v.data.shape) for name, arr in self.slots.items()
                     if not name.startswith("_")}
            optimizer._slot_views(v, views)

    def gather(self, variable, grad):
        a, b = self.spans[id(variable)]
        self.g[a:b] = grad.reshape(-1)
        self.w[a:b] = variable.data.reshape(-1)

    def scatter(self):
        for v in self.variables:
            a, b = self.spans[id(v)]
            v.data[...] = self.w[a:b].reshape(v.data.shape)
