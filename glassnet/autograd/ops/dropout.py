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

    def __init__(self, rate, rng, noise_shape=None):
        self.rate, self.rng, self.noise_shape = rate, rng, noise_shape

    def forward(self, x):
        # A noise_shape with 1s drops whole rows, channels or feature maps at once.
        shape = x.shape if self.noise_shape is None else self.noise_shape
        # Drawn where x is: the host generator on the CPU, its twin on a GPU.
        keep = backend.random_uniform(self.rng, shape, np.float32, like=x) >= self.rate
        self.mask = keep * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x, rate=0.5, training=True, generator=None, noise_shape=None) -> Tensor:
    """Randomly zero elements of x with probability ``rate`` (only when ``training``).

    ``noise_shape`` (broadcastable to x's shape, None entries taking x's size) shares one
    draw along its size-1 axes.

    >>> import glassnet
    >>> glassnet.dropout(glassnet.ones(4), 0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"dropout: expected 0 <= rate < 1. Received: rate={rate!r}")
    x = constant(x)
    if not training or rate == 0:
        return x
    if noise_shape is not None:
        noise_shape = tuple(n if m is None else m for n, m in zip(x.shape, noise_shape))
        if len(noise_shape) != x.ndim or any(m not in (1, n) for n, m in zip(x.shape, noise_shape)):
            raise ValueError(f"dropout: noise_shape {noise_shape} does not broadcast to the "
                             f"input shape {x.shape}")
    return Dropout(float(rate), generator or backend.generator(), noise_shape)(x)
