"""``keras.random``: random tensors drawn reproducibly.

``seed`` may be an int (the same int gives the same numbers, call after call, as Keras), a
``SeedGenerator`` (each call draws a fresh seed from it, so a seeded generator gives a
reproducible *sequence*), or None (the global generator of ``glassnet.backend``, which
``glassnet.seed(n)`` and ``keras.utils.set_random_seed(n)`` fix).

>>> from glassnet import keras
>>> a = keras.random.normal((2,), seed=1)
>>> b = keras.random.normal((2,), seed=1)
>>> bool((a.numpy() == b.numpy()).all())
True
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops import dropout as _dropout
from glassnet.autograd.tensor import Tensor
from glassnet.keras.ops.core import convert_to_tensor

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]


class SeedGenerator:
    """A stateful source of seeds: ``SeedGenerator(42)`` yields the same sequence of random
    draws in every run; ``SeedGenerator()`` seeds itself from the global generator.

    >>> g = SeedGenerator(7)
    >>> x = normal((3,), seed=g); y = normal((3,), seed=g)   # two different draws
    >>> bool((x.numpy() != y.numpy()).any())
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int,
                                                                             np.integer))):
            raise TypeError(f"SeedGenerator: seed must be an integer or None. Received: "
                            f"seed={seed!r}")
        if seed is None:
            seed = int(backend.generator().integers(0, 2**31 - 1))
        self.initial_seed = int(seed)
        self.name = name
        self._rng = np.random.default_rng(self.initial_seed)

    def next(self, ordered=True) -> np.random.Generator:
        """A generator for the next draw, seeded from this one's state."""
        return np.random.default_rng(int(self._rng.integers(0, 2**63 - 1)))

    def get_config(self):
        return {"seed": self.initial_seed}


def _generator(seed, op) -> np.random.Generator:
    if seed is None:
        return backend.generator()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, Tensor):
        seed = int(seed.numpy().ravel()[0])
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"{op}: seed must be None, a non-negative integer or a SeedGenerator. "
                        f"Received: seed={seed!r}")
    return np.random.default_rng(int(seed))


def _shape(shape, op):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{op}: shape must hold non-negative integers. Received: "
                             f"shape={shape}")
    return tuple(int(n) for n in shape)


def _float(dtype, op):
    dtype = backend.floatx() if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{op}: dtype must be a floating dtype. Received: dtype={dtype}")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples of N(mean, stddev**2)."""
    rng, dtype = _generator(seed, "normal"), _float(dtype, "normal")
    return Tensor(rng.normal(mean, stddev, _shape(shape, "normal")), dtype=dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Samples of the uniform distribution on [minval, maxval)."""
    if maxval < minval:
        raise ValueError(f"uniform: expected minval <= maxval. Received: minval={minval}, "
                         f"maxval={maxval}")
    rng, dtype = _generator(seed, "uniform"), _float(dtype, "uniform")
    return Tensor(rng.uniform(minval, maxval, _shape(shape, "uniform")), dtype=dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers drawn uniformly from [minval, maxval)."""
    if maxval <= minval:
        raise ValueError(f"randint: expected minval < maxval. Received: minval={minval}, "
                         f"maxval={maxval}")
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"randint: dtype must be an integer dtype. Received: dtype={dtype}")
    rng = _generator(seed, "randint")
    return Tensor(rng.integers(minval, maxval, _shape(shape, "randint")).astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples of N(mean, stddev**2) restricted to two standard deviations of the mean
    (drawn by rejection: values outside are redrawn, all at once per round)."""
    rng, dtype = _generator(seed, "truncated_normal"), _float(dtype, "truncated_normal")
    z = rng.standard_normal(_shape(shape, "truncated_normal"))
    bad = np.abs(z) > 2
    while bad.any():  # each round keeps ~95% of what it redraws; a few rounds suffice
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return Tensor(mean + stddev * z, dtype=dtype)


def categorical(logits, num_samples, dtype="int32", seed=None) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` (batch, classes), drawn with
    probabilities softmax(logits), by inverting the cumulative distribution."""
    z = convert_to_tensor(logits).numpy().astype(np.float64)
    if z.ndim != 2:
        raise ValueError(f"categorical: logits must be 2-D (batch, classes). Received: shape "
                         f"{z.shape}")
    p = np.exp(z - z.max(axis=1, keepdims=True))
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = _generator(seed, "categorical").random((z.shape[0], int(num_samples)))
    # For each row, the first class whose cumulative probability exceeds u.
    idx = (u[:, :, None] > cdf[:, None, :]).sum(axis=2)
    return Tensor(np.minimum(idx, z.shape[1] - 1).astype(np.dtype(dtype)))


def gamma(shape, alpha, dtype=None, seed=None) -> Tensor:
    """Samples of the Gamma(alpha, 1) distribution."""
    rng, dtype = _generator(seed, "gamma"), _float(dtype, "gamma")
    return Tensor(rng.gamma(alpha, 1.0, _shape(shape, "gamma")), dtype=dtype)


def beta(shape, alpha, beta, dtype=None, seed=None) -> Tensor:
    """Samples of the Beta(alpha, beta) distribution."""
    rng, dtype = _generator(seed, "beta"), _float(dtype, "beta")
    return Tensor(rng.beta(alpha, beta, _shape(shape, "beta")), dtype=dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None) -> Tensor:
    """Samples of the Binomial(counts, probabilities) distribution (as floats, as Keras)."""
    rng, dtype = _generator(seed, "binomial"), _float(dtype, "binomial")
    return Tensor(rng.binomial(counts, probabilities, _shape(shape, "binomial")), dtype=dtype)


def dropout(inputs, rate, noise_shape=None, seed=None) -> Tensor:
    """Zero each entry with probability ``rate`` and scale the rest by 1 / (1 - rate)."""
    return _dropout(convert_to_tensor(inputs), rate, training=True,
                    generator=_generator(seed, "dropout"), noise_shape=noise_shape)


def shuffle(x, axis=0, seed=None) -> Tensor:
    """``x`` with its slices along ``axis`` in a random order (differentiable)."""
    x = convert_to_tensor(x)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"shuffle: axis {axis} is out of range for a tensor of shape "
                         f"{x.shape}")
    order = _generator(seed, "shuffle").permutation(x.shape[axis])
    return x[(slice(None),) * (axis % x.ndim) + (order,)]
