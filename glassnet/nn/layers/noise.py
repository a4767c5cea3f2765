"""Noise layers, active only while training (the identity at inference): GaussianNoise,
GaussianDropout, AlphaDropout.

Each draws from its own generator when given a ``seed`` (the same seed, the same noise),
else from glassnet's generator (``glassnet.seed(n)`` fixes it), as Dropout does. The noise is
a constant of the step: the gradient flows through the input, scaled as the forward is.

>>> import numpy as np
>>> GaussianNoise(0.1)(np.ones((2, 3)), training=False).numpy().tolist()
[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer

# SELU's constants: AlphaDropout sets dropped units to SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


class _Noise(Layer):
    supports_masking = True  # elementwise: each step's mask holds for its output

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check.seed(seed, type(self).__name__)
        self._generator = None if seed is None else np.random.default_rng(seed)

    def _rng(self):
        return self._generator or backend.generator()

    def _draw(self, kind, shape, like):
        """Noise of ``shape`` in the layer's dtype (float64 draws for a float64 layer), drawn
        on the device of ``like`` (a tensor): by the generator's GPU twin there."""
        dtype = np.float64 if self.dtype == np.float64 else np.float32
        rng = self._rng()
        if backend.on_device(like.data):
            rng = backend.device_generator(rng)
        values = rng.standard_normal(shape, dtype=dtype) if kind == "normal" else \
            rng.random(shape, dtype=dtype)
        return values.astype(self.dtype, copy=False)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def _unit_rate(value, layer):
    # Keras's range is [0, 1]; rate 1 would divide by zero (infinite-variance noise).
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)) and value == 1:
        raise ValueError(f"{layer}: invalid value received for argument `rate`. Expected a "
                         f"float value between 0 and 1, 1 excluded (it leaves no signal). "
                         f"Received: rate={value!r}")
    return check.number(value, "rate", layer, 0, 1)


class GaussianNoise(_Noise):
    """Adds zero-centred Gaussian noise while training: y = x + n, n ~ N(0, stddev**2).

    Args:
        stddev: the noise's standard deviation, in [0, 1] (Keras's range).
        seed: an integer for reproducible noise.

    >>> y = GaussianNoise(0.5, seed=1)(np.zeros((1000, 10)), training=True).numpy()
    >>> bool(abs(y.std() - 0.5) < 0.02)
    True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.stddev = check.number(stddev, "stddev", "GaussianNoise", 0, 1)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return inputs + self._draw("normal", inputs.shape, inputs) * self.dtype.type(self.stddev)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies by Gaussian noise of mean 1 while training: y = x * n,
    n ~ N(1, rate / (1 - rate)), the variance of inverted dropout of that rate.

    Args:
        rate: as Dropout's, in [0, 1).
        seed: an integer for reproducible noise.

    >>> y = GaussianDropout(0.5, seed=1)(np.ones((1000, 10)), training=True).numpy()
    >>> bool(abs(y.mean() - 1) < 0.05 and abs(y.std() - 1) < 0.05)
    True
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.rate = _unit_rate(rate, "GaussianDropout")

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = self._draw("normal", inputs.shape, inputs) * self.dtype.type(stddev) + 1
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_Noise):
    """Dropout for self-normalizing (SELU) networks: keeps the inputs' mean and variance.

    While training, a dropped unit is set to alpha' = -scale * alpha (SELU's saturation) and
    every unit is then mapped affinely:

        y = a * (x * keep + alpha' * (1 - keep)) + b,   keep ~ Bernoulli(1 - rate)
        a = ((1 - rate) * (1 + rate * alpha'**2)) ** -0.5,   b = -a * alpha' * rate

    so that zero mean and unit variance are kept. ``noise_shape`` (None entries take the
    input's size) shares one draw along its size-1 axes, as Dropout's.

    >>> y = AlphaDropout(0.2, seed=0)(np.random.default_rng(0).standard_normal((4000, 50)),
    ...                               training=True).numpy()
    >>> bool(abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02)
    True
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.rate = _unit_rate(rate, "AlphaDropout")
        if noise_shape is not None:
            noise_shape = check.shape(noise_shape, "noise_shape", "AlphaDropout")
        self.noise_shape = noise_shape

    def check_input(self, inputs):
        if self.noise_shape is None:
            return
        shape = tuple(inputs.shape)
        noise = self._noise_shape(shape)
        if len(noise) != len(shape) or any(m not in (1, n) for n, m in zip(shape, noise)):
            raise ValueError(f"AlphaDropout '{self.name}': noise_shape {self.noise_shape} does "
                             f"not broadcast to the input shape {shape}")

    def _noise_shape(self, shape):
        if self.noise_shape is None:
            return shape
        return tuple(n if m is None else m for n, m in zip(shape, self.noise_shape))

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        rate = self.rate
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        keep = (self._draw("uniform", self._noise_shape(tuple(inputs.shape)), inputs) >= rate)
        # y = x * (a keep) + (a alpha' (1 - keep) + b): one scale and one shift per unit.
        scale = (keep * a).astype(self.dtype)
        shift = (~keep * (a * alpha_p) + b).astype(self.dtype)
        return inputs * scale + shift

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}
