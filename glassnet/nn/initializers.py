"""Initial values of weights, by name or class (Keras's ``keras.initializers``).

The variance-scaling family draws with variance ``scale / n``, n being the fan-in, the
fan-out or their mean; for a kernel of shape (..., in, out) the fans are ``in * receptive``
and ``out * receptive``, receptive being the product of the leading (spatial) sizes.
Seeded initializers give the same values on every call; unseeded ones draw from the generator
that ``glassnet.seed`` fixes.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.naming import Configurable, lookup, snake_case


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape, as Keras computes them."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(Configurable):
    """Base class: ``initializer(shape, dtype)`` returns a NumPy array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"{type(self).__name__}: seed must be an integer or None. "
                             f"Received: seed={seed!r}")
        self.seed = seed

    def _rng(self):
        return backend.generator() if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _dtype(dtype):
    return backend.floatx() if dtype is None else np.dtype(dtype)


class Zeros(Initializer):
    """All zeros (Keras's default for biases)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """All equal to ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomNormal(_Seeded):
    """Normal samples with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return (self._rng().standard_normal(shape) * self.stddev + self.mean).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(_Seeded):
    """Uniform samples in [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def _truncated_standard_normal(rng, shape):
    """Standard normal samples redrawn until all lie within 2 standard deviations."""
    x = rng.standard_normal(shape)
    outside = np.abs(x) > 2
    while outside.any():  # each round redraws the ~4.6% left outside, so few rounds
        x[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(x) > 2
    return x


class TruncatedNormal(_Seeded):
    """Normal samples with ``mean`` and ``stddev``, redrawn beyond 2 standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        x = _truncated_standard_normal(self._rng(), shape) * self.stddev + self.mean
        return x.astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(_Seeded):
    """Samples with variance ``scale / n``, n = fan_in, fan_out or (fan_in + fan_out) / 2.

    distribution "truncated_normal" (std corrected for the truncation at 2 std),
    "untruncated_normal", or "uniform" on [-sqrt(3 * scale / n), sqrt(3 * scale / n)].
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")
    # Standard deviation of a standard normal truncated to [-2, 2].
    TRUNCATED_STD = 0.87962566103423978

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive. Received: scale={scale}")
        if mode not in self.MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {self.MODES}. "
                             f"Received: mode={mode!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: distribution must be one of "
                             f"{self.DISTRIBUTIONS}. Received: distribution={distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            x = rng.uniform(-limit, limit, shape)
        elif self.distribution == "truncated_normal":
            x = _truncated_standard_normal(rng, shape) * (math.sqrt(variance) / self.TRUNCATED_STD)
        else:
            x = rng.standard_normal(shape) * math.sqrt(variance)
        return x.astype(_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _FixedVarianceScaling(VarianceScaling):
    _args = ()

    def __init__(self, seed=None):
        super().__init__(*self._args, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Keras's default)."""

    _args = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with std = sqrt(2 / (fan_in + fan_out))."""

    _args = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform on [-limit, limit], limit = sqrt(6 / fan_in) (for relu)."""

    _args = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with std = sqrt(2 / fan_in) (for relu)."""

    _args = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform on [-limit, limit], limit = sqrt(3 / fan_in) (for selu)."""

    _args = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with std = sqrt(1 / fan_in) (for selu)."""

    _args = (1.0, "fan_in", "truncated_normal")


class Orthogonal(_Seeded):
    """A (semi-)orthogonal matrix times ``gain``: the Q of the QR decomposition of a normal
    matrix, signs fixed so the distribution is uniform; leading axes are flattened."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of at least 2 dimensions. "
                             f"Received: shape={tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


_CLASSES = [Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
            LecunNormal, Orthogonal]
INITIALIZERS = {snake_case(c.__name__): c for c in _CLASSES}
INITIALIZERS.update({c.__name__.lower(): c for c in _CLASSES})
INITIALIZERS.update({"zero": Zeros, "one": Ones, "normal": RandomNormal,
                     "uniform": RandomUniform})
_KNOWN = [snake_case(c.__name__) for c in _CLASSES]


def get(identifier):
    """An initializer from a name, a ``{"class_name", "config"}`` dict, an instance or a
    callable ``(shape, dtype) -> array``.

    >>> get("glorot_uniform")
    GlorotUniform(seed=None)
    """
    if identifier is None:
        return None
    if isinstance(identifier, Initializer) or callable(identifier) and \
            not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, dict):
        cls = lookup(INITIALIZERS, identifier["class_name"], "initializer", _KNOWN)
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    return lookup(INITIALIZERS, identifier, "initializer", _KNOWN)()


def serialize(initializer):
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return initializer
