"""Activation layers with parameters: ReLU, LeakyReLU, ELU, Softmax."""

from __future__ import annotations

import warnings

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer


class _Elementwise(Layer):
    supports_masking = True  # elementwise: each timestep's mask holds for its output

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """max_value if x >= max_value; x if threshold <= x < max_value; else
    negative_slope * (x - threshold). Defaults give the plain relu."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None:
            max_value = check.number(max_value, "max_value", "ReLU", low=0)
        self.max_value = max_value
        self.negative_slope = check.number(negative_slope, "negative_slope", "ReLU", low=0)
        self.threshold = check.number(threshold, "threshold", "ReLU")

    def call(self, inputs):
        if self.negative_slope == 0 and self.threshold == 0:
            y = ops.relu(inputs)
        else:
            y = ops.where(inputs.data >= self.threshold, inputs,
                          (inputs - self.threshold) * self.negative_slope)
        return y if self.max_value is None else ops.minimum(y, float(self.max_value))

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """x for x > 0, else negative_slope * x (Keras's default slope 0.3; ``alpha`` is the
    Keras 2 spelling)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            warnings.warn("LeakyReLU: `alpha` is deprecated; use `negative_slope`",
                          DeprecationWarning, stacklevel=2)
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = check.number(negative_slope, "negative_slope", "LeakyReLU", low=0)

    def call(self, inputs):
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """x for x > 0, else alpha * (e**x - 1)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = check.number(alpha, "alpha", "ELU")

    def call(self, inputs):
        return ops.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """softmax along ``axis`` (default the last)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = check.axis(axis, "axis", "Softmax")

    def call(self, inputs):
        return ops.softmax(inputs, self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
