"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

import numpy as np

from glassnet.optim.optimizer import Optimizer, _check


class SGD(Optimizer):
    """w -= lr * g; with momentum: m = momentum * m - lr * g, w += m; with Nesterov:
    w += momentum * m - lr * g (m already updated).

    >>> import numpy as np, glassnet
    >>> w = glassnet.tensor([1.0], requires_grad=True)
    >>> SGD(learning_rate=0.1).apply_gradients([(np.array([2.0]), w)])
    >>> round(w.item(), 6)
    0.8
    """

    elementwise = True

    default_learning_rate = 0.01

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = _check(momentum, "momentum", "SGD", 0, True, 1, True)
        self.nesterov = bool(nesterov)
        self.slot_names = ("momentum",) if self.momentum else ()
        self.state_decay = self.momentum

    def update_step(self, g, w, slots, lr, t):
        tmp = slots["_scratch0"]
        np.multiply(g, lr, out=tmp)
        if not self.momentum:
            w -= tmp
            return
        m = slots["momentum"]
        m *= self.momentum
        m -= tmp
        if self.nesterov:
            w -= tmp
            np.multiply(m, self.momentum, out=tmp)
        w += tmp if self.nesterov else m

    def fused_kind(self):
        same = type(self).update_step is SGD.update_step
        return "sgd_momentum" if same and self.momentum else None

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
