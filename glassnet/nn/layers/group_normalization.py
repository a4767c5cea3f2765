"""GroupNormalization: normalization over groups of channels, per sample.

The channels (along ``axis``) are split into ``groups`` groups of equal size; each sample's
group is standardized over its channels and every other non-batch axis:

    y = gamma * (x - mean_g) / sqrt(var_g + epsilon) + beta

with one gamma and beta per channel. ``groups=1`` is layer normalization over all non-batch
axes; ``groups=-1`` (one channel per group) is instance normalization. The statistics do not
depend on the batch, so training and inference compute the same thing.

>>> import numpy as np
>>> x = np.random.default_rng(0).standard_normal((2, 5, 8))
>>> y = GroupNormalization(groups=4)(x).numpy()
>>> bool(np.allclose(y[0, :, :2].mean(), 0, atol=1e-6))
True
"""

from __future__ import annotations

from glassnet.autograd import ops
from glassnet.nn import validation as check
from glassnet.nn.layers.normalization import _Normalization


class GroupNormalization(_Normalization):
    """Normalizes groups of channels of each sample, then scales and shifts per channel.

    Args:
        groups: the number of groups (it must divide the number of channels), or -1 for one
            channel per group.
        axis: the channels axis (default the last).
        epsilon: added to the variance.
        center, scale: whether to learn beta (a shift) and gamma (a scale).
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer: as
            BatchNormalization's. Weight constraints are not supported.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        name = "GroupNormalization"
        if isinstance(groups, bool) or not isinstance(groups, int) or (
                groups <= 0 and groups != -1):
            raise ValueError(f"{name}: received an invalid value for argument `groups`, "
                             f"expected a positive integer (or `-1` for instance "
                             f"normalization). Received: groups={groups!r}")
        for arg, value in (("beta_constraint", beta_constraint),
                           ("gamma_constraint", gamma_constraint)):
            if value is not None:
                raise ValueError(f"{name}: `{arg}` is not supported (glassnet has no weight "
                                 f"constraints). Received: {arg}={value!r}")
        # the shared arguments checked as every normalization layer's; the axis is one axis
        super().__init__(check.integer(axis, "axis", name), epsilon, center, scale,
                         beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, **kwargs)
        self.groups = groups

    def _channel_axis(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} is out of "
                             f"range (or the batch axis) for input of shape "
                             f"{tuple(input_shape)}")
        return self.axis % ndim

    def build(self, input_shape):
        axis = self._channel_axis(input_shape)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} of the input "
                             f"should have a defined size, but the layer received an input "
                             f"of shape {tuple(input_shape)}")
        if self.groups == -1:  # Keras records the resolved count, so the config says it
            self.groups = channels
        if channels < self.groups:
            raise ValueError(f"GroupNormalization '{self.name}': number of groups "
                             f"({self.groups}) cannot be more than the number of channels "
                             f"({channels}) along axis {self.axis}")
        if channels % self.groups:
            raise ValueError(f"GroupNormalization '{self.name}': number of groups "
                             f"({self.groups}) must divide the number of channels ({channels}) "
                             f"along axis {self.axis}")
        self.broadcast_shape = tuple(channels if i == axis else 1
                                     for i in range(len(input_shape)))
        self.gamma = self.add_weight("gamma", (channels,), self.gamma_initializer,
                                     self.gamma_regularizer) if self.scale else None
        self.beta = self.add_weight("beta", (channels,), self.beta_initializer,
                                    self.beta_regularizer) if self.center else None

    def check_input(self, inputs):
        expected, got = tuple(self._build_input_shape), tuple(inputs.shape)
        axis = self.axis % len(expected)
        if len(got) != len(expected) or got[axis] != expected[axis]:
            raise ValueError(f"GroupNormalization '{self.name}' was built for inputs of shape "
                             f"{expected} ({expected[axis]} channels along axis {self.axis}), "
                             f"received input of shape {got}")

    def call(self, inputs):
        shape = tuple(inputs.shape)
        axis = self.axis % len(shape)
        # (..., C, ...) -> (..., groups, C / groups, ...): one fused standardization over
        # each group's channels and the other non-batch axes.
        grouped = shape[:axis] + (self.groups, shape[axis] // self.groups) + shape[axis + 1:]
        reduce = tuple(i for i in range(1, len(grouped)) if i != axis)
        y = ops.reshape(ops.standardize(ops.reshape(inputs, grouped), reduce, self.epsilon),
                        shape)
        if self.gamma is not None:
            y = y * ops.reshape(self.gamma, self.broadcast_shape)
        if self.beta is not None:
            y = y + ops.reshape(self.beta, self.broadcast_shape)
        return y

    def compute_output_shape(self, input_shape):
        self._channel_axis(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "beta_constraint": None,
                "gamma_constraint": None}
