"""Activation layers with parameters: ReLU, LeakyReLU, ELU, Softmax, PReLU."""

from __future__ import annotations

import warnings

from glassnet.autograd import ops
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
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


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope: y = x for x >= 0, else alpha * x, computed as
    relu(x) - alpha * relu(-x).

    ``alpha`` has one entry per input position (the input's shape without the batch axis),
    except along ``shared_axes`` where one slope serves the whole axis: ``shared_axes=[1, 2]``
    on images (batch, height, width, channels) learns one slope per channel, as
    ``torch.nn.PReLU(channels)`` does. Weight constraints are not supported.

    >>> import numpy as np
    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    >>> layer(np.array([[[-2.0, 3.0]]])).numpy().tolist(), layer.alpha.shape
    ([[[-2.0, 3.0]]], (1, 2))
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        if alpha_constraint is not None:
            raise ValueError(f"PReLU: `alpha_constraint` is not supported (glassnet has no "
                             f"weight constraints). Received: alpha_constraint="
                             f"{alpha_constraint!r}")
        super().__init__(**kwargs)
        self.alpha_initializer = check.component(initializers_module.get, alpha_initializer,
                                                 "alpha_initializer", "PReLU")
        self.alpha_regularizer = check.component(regularizers_module.get, alpha_regularizer,
                                                 "alpha_regularizer", "PReLU")
        if shared_axes is not None:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(f"PReLU: `shared_axes` must be None, an axis or a list of axes "
                                 f"(integers >= 1; axis 0 is the batch). Received: "
                                 f"shared_axes={shared_axes!r}")
            shared_axes = axes
        self.shared_axes = shared_axes

    def build(self, input_shape):
        shared = self.shared_axes or []
        if any(a >= len(input_shape) for a in shared):
            raise ValueError(f"PReLU '{self.name}': shared_axes {self.shared_axes} out of range "
                             f"for inputs of shape {tuple(input_shape)}")
        shape = [1 if i in shared else n for i, n in enumerate(input_shape)][1:]
        if None in shape:
            raise ValueError(f"PReLU '{self.name}' needs every axis that is not shared to have "
                             f"a known size (one slope per position); received input shape "
                             f"{tuple(input_shape)} with shared_axes={self.shared_axes}")
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer,
                                     self.alpha_regularizer)

    def check_input(self, inputs):
        expected, got = tuple(self._build_input_shape), tuple(inputs.shape)
        shared = self.shared_axes or []
        if len(got) != len(expected) or any(
                got[i] != expected[i] for i in range(1, len(got)) if i not in shared):
            raise ValueError(f"PReLU '{self.name}' was built for inputs of shape {expected} "
                             f"(shared_axes={self.shared_axes}), received input of shape {got}")

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers_module.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers_module.serialize(self.alpha_regularizer),
                "alpha_constraint": None, "shared_axes": self.shared_axes}
