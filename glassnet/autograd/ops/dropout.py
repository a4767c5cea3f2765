"""Dropout: zero each element with probability ``rate`` while training, scale the rest."""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Function, Tensor


class Dropout(Function):
    """y = x * m / (1 - rate) with m ~ Bernoulli(1 - rate);  dx = gy * m / (1 - rate).

    "Inverted" scaling keeps E[y] = x, so nothing changes at inference time.
    """

    def __init__(self, rate, rng):
        self.rate, self.rng = rate, rng

    def forward(self, x):
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self.mask = keep * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x, rate=0.5, training=True, generator=None) -> Tensor:
    """Randomly zero elements of x with probability ``rate`` (only when ``training``).

    >>> import glassnet
    >>> glassnet.dropout(glassnet.ones(4), 0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"dropout: expected 0 <= rate < 1. Received: rate={rate!r}")
    x = constant(x)
    if not training or rate == 0:
        return x
    return Dropout(float(rate), generator or backend.generator())(x)
