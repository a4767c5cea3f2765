"""``tf.random``: normal, uniform, truncated_normal, categorical, shuffle, set_seed, with
TensorFlow's argument names (shape, mean, stddev, minval, maxval, dtype, seed).

Draws come from the generator ``glassnet.seed`` (= ``set_seed``) fixes; an op-level
``seed=n`` draws from its own generator seeded with n instead, so the same call with the same
seed gives the same values.

>>> import glassnet as tf
>>> tf.random.set_seed(0); a = tf.random.normal([2])
>>> tf.random.set_seed(0); b = tf.random.normal([2])
>>> bool((a.numpy() == b.numpy()).all())
True
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Tensor
from glassnet.tf.dtypes import float32, int64, numpy_dtype

__all__ = ["Generator", "categorical", "gamma", "normal", "poisson", "set_seed", "shuffle",
           "stateless_normal", "stateless_truncated_normal", "stateless_uniform",
           "truncated_normal", "uniform"]


def set_seed(seed) -> None:
    """Seed every generator glassnet draws from (the same as ``glassnet.seed``)."""
    backend.seed(seed)


def _generator(seed):
    if seed is None:
        return backend.generator()
    if isinstance(seed, np.random.Generator):  # a tf.random.Generator's own stream
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer or None; received {seed!r}")
    return np.random.default_rng(int(seed))


def _shape(shape, op):
    data = np.asarray(shape.data if isinstance(shape, Tensor) else shape)
    if data.dtype.kind not in "iu" and data.size:
        raise TypeError(f"{op}: shape must hold integers; received {shape!r}")
    dims = tuple(int(n) for n in data.reshape(-1))
    if any(n < 0 for n in dims):
        raise ValueError(f"{op}: shape must be non-negative; received {dims}")
    return dims


def _float_dtype(dtype, op):
    dtype = numpy_dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{op}: dtype must be floating; received {dtype}")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None) -> Tensor:
    """Samples of the normal distribution N(mean, stddev**2)."""
    dtype = _float_dtype(dtype, "normal")
    z = _generator(seed).standard_normal(_shape(shape, "normal"))
    return Tensor((z * np.asarray(stddev) + np.asarray(mean)).astype(dtype), dtype=dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None,
                     name=None) -> Tensor:
    """Samples of N(mean, stddev**2) with those beyond 2 standard deviations drawn again
    (so every value lies within mean +- 2 stddev)."""
    dtype = _float_dtype(dtype, "truncated_normal")
    gen = _generator(seed)
    z = gen.standard_normal(_shape(shape, "truncated_normal"))
    outside = np.abs(z) > 2
    while outside.any():  # each round redraws the 4.6% left over: a few rounds in all
        z[outside] = gen.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return Tensor((z * np.asarray(stddev) + np.asarray(mean)).astype(dtype), dtype=dtype)


def uniform(shape, minval=0, maxval=None, dtype=float32, seed=None, name=None) -> Tensor:
    """Samples of the uniform distribution on [minval, maxval) (maxval None: 1, for floats);
    an integer dtype draws integers and needs maxval.

    >>> int(uniform([3], 0, 5, dtype="int32").numpy().max()) < 5
    True
    """
    dtype, dims, gen = numpy_dtype(dtype), _shape(shape, "uniform"), _generator(seed)
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError("uniform: an integer dtype needs maxval")
        if not minval < maxval:
            raise ValueError(f"uniform: need minval < maxval; received {minval}, {maxval}")
        return Tensor(gen.integers(minval, maxval, dims).astype(dtype), dtype=dtype)
    if dtype.kind != "f":
        raise ValueError(f"uniform: dtype must be floating or integer; received {dtype}")
    maxval = 1.0 if maxval is None else maxval
    u = gen.random(dims)
    low, high = np.asarray(minval, np.float64), np.asarray(maxval, np.float64)
    return Tensor((low + u * (high - low)).astype(dtype), dtype=dtype)


def categorical(logits, num_samples, dtype=int64, seed=None, name=None) -> Tensor:
    """Class indices drawn from softmax(logits) for each row of ``logits`` (batch, classes):
    shape (batch, num_samples), by the Gumbel-max trick (argmax of logits + Gumbel noise)."""
    z = constant(logits).data
    if z.ndim != 2:
        raise ValueError(f"categorical: logits must be (batch, classes); received shape "
                         f"{z.shape}")
    u = _generator(seed).random((z.shape[0], int(num_samples), z.shape[1]))
    gumbel = -np.log(-np.log(np.clip(u, 1e-12, 1.0)))  # clipped: log(0) is -inf
    return Tensor(np.argmax(z[:, None, :] + gumbel, axis=-1).astype(numpy_dtype(dtype)))


def shuffle(value, seed=None, name=None) -> Tensor:
    """``value`` with its first axis randomly permuted (no gradient)."""
    x = constant(value)
    if x.ndim == 0:
        raise ValueError("shuffle: value must have at least one dimension")
    return Tensor(x.data[_generator(seed).permutation(x.shape[0])], dtype=x.dtype)


def poisson(shape, lam, dtype=float32, seed=None, name=None) -> Tensor:
    """Poisson samples of shape ``shape + lam.shape`` (one set per rate in ``lam``)."""
    rates = np.asarray(constant(lam).data, np.float64)
    if (rates < 0).any():
        raise ValueError("poisson: every rate `lam` must be non-negative")
    dims = _shape(shape, "poisson") + rates.shape
    return Tensor(_generator(seed).poisson(rates, size=dims).astype(numpy_dtype(dtype)))


def gamma(shape, alpha, beta=None, dtype=float32, seed=None, name=None) -> Tensor:
    """Gamma(alpha, rate beta) samples of shape ``shape + broadcast(alpha, beta).shape``
    (beta None: rate 1), as tf: the density is beta^a x^(a-1) e^(-beta x) / Gamma(a)."""
    a = np.asarray(constant(alpha).data, np.float64)
    b = np.ones_like(a) if beta is None else np.asarray(constant(beta).data, np.float64)
    if (a <= 0).any() or (b <= 0).any():
        raise ValueError("gamma: `alpha` and `beta` must be positive")
    a, b = np.broadcast_arrays(a, b)
    dims = _shape(shape, "gamma") + a.shape
    draws = _generator(seed).gamma(a, 1.0 / b, size=dims)
    return Tensor(draws.astype(_float_dtype(dtype, "gamma")))


def _stateless(seed, op):
    pair = np.asarray(constant(seed).data).reshape(-1)
    if pair.shape != (2,) or pair.dtype.kind not in "iu":
        raise ValueError(f"{op}: seed must be a pair of integers, e.g. [1, 2]; received "
                         f"{seed!r}")
    return np.random.default_rng([int(n) % 2**63 for n in pair])


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=float32, name=None) -> Tensor:
    """``normal`` as a pure function of ``seed`` (a pair of ints): the same seed, the same
    numbers (not TensorFlow's numbers: the streams differ)."""
    return normal(shape, mean, stddev, dtype, seed=_stateless(seed, "stateless_normal"))


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=float32,
                               name=None) -> Tensor:
    """``truncated_normal`` as a pure function of ``seed`` (a pair of ints)."""
    return truncated_normal(shape, mean, stddev, dtype,
                            seed=_stateless(seed, "stateless_truncated_normal"))


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=float32, name=None) -> Tensor:
    """``uniform`` as a pure function of ``seed`` (a pair of ints)."""
    return uniform(shape, minval, maxval, dtype, seed=_stateless(seed, "stateless_uniform"))


class Generator:
    """``tf.random.Generator``: a stream of random numbers of its own, advanced by each draw.

    >>> g = Generator.from_seed(1)
    >>> a, b = g.normal([2]), g.normal([2])
    >>> again = Generator.from_seed(1).normal([2])
    >>> bool((a.numpy() != b.numpy()).all()), again.tolist() == a.tolist()
    (True, True)
    """

    def __init__(self, seed=None):
        self._rng = np.random.default_rng(seed)

    @classmethod
    def from_seed(cls, seed, alg=None):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"Generator.from_seed: seed must be an integer; received {seed!r}")
        return cls(int(seed))

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        return cls(None)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=float32, name=None) -> Tensor:
        return normal(shape, mean, stddev, dtype, seed=self._rng)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=float32, name=None):
        return truncated_normal(shape, mean, stddev, dtype, seed=self._rng)

    def uniform(self, shape, minval=0, maxval=None, dtype=float32, name=None) -> Tensor:
        return uniform(shape, minval, maxval, dtype, seed=self._rng)

    def make_seeds(self, count=1):
        """``count`` seed pairs (shape (2, count)) for the stateless functions."""
        return Tensor(self._rng.integers(0, 2**31 - 1, size=(2, count), dtype=np.int64))
