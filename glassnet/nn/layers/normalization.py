"""BatchNormalization, LayerNormalization, UnitNormalization and RMSNormalization."""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.grad_mode import no_grad
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer


def _axes(axis, ndim, layer):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': axis {a} is out of range "
                             f"for input with {ndim} dimensions")
        out.append(a % ndim)
    return tuple(sorted(out))


class _Normalization(Layer):
    supports_masking = True  # the mask passes through (statistics include masked steps)

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.axis = check.axis(axis, "axis", cls)
        self.epsilon = check.number(epsilon, "epsilon", cls, low=0, low_open=True)
        self.center = check.boolean(center, "center", cls)
        self.scale = check.boolean(scale, "scale", cls)
        self.beta_initializer = check.component(initializers_module.get, beta_initializer,
                                                "beta_initializer", cls)
        self.gamma_initializer = check.component(initializers_module.get, gamma_initializer,
                                                 "gamma_initializer", cls)
        self.beta_regularizer = check.component(regularizers_module.get, beta_regularizer,
                                                "beta_regularizer", cls)
        self.gamma_regularizer = check.component(regularizers_module.get, gamma_regularizer,
                                                 "gamma_regularizer", cls)

    def _build_affine(self, input_shape):
        self.axes = _axes(self.axis, len(input_shape), self)
        # gamma and beta have the input's size on the normalized axes and 1 elsewhere.
        self.param_shape = tuple(input_shape[a] for a in self.axes)
        self.broadcast_shape = tuple(n if i in self.axes else 1
                                     for i, n in enumerate(input_shape))
        self.gamma = self.add_weight("gamma", self.param_shape, self.gamma_initializer,
                                     self.gamma_regularizer) if self.scale else None
        self.beta = self.add_weight("beta", self.param_shape, self.beta_initializer,
                                    self.beta_regularizer) if self.center else None

    def _affine(self, y):
        if self.gamma is not None:
            y = y * ops.reshape(self.gamma, self.broadcast_shape)
        if self.beta is not None:
            y = y + ops.reshape(self.beta, self.broadcast_shape)
        return y

    def check_input(self, inputs):
        expected = self._build_input_shape
        if inputs.ndim != len(expected) or any(
                tuple(inputs.shape)[a] != expected[a] for a in self.axes):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was built for inputs of shape "
                f"{tuple(expected)} (normalizing axis {self.axis}), received input of shape "
                f"{tuple(inputs.shape)}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": initializers_module.serialize(self.beta_initializer),
            "gamma_initializer": initializers_module.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers_module.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers_module.serialize(self.gamma_regularizer),
        }


class BatchNormalization(_Normalization):
    """Normalizes each feature (along ``axis``) over the batch, then scales and shifts.

    Training: y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta with the batch's statistics,
    and moving = momentum * moving + (1 - momentum) * batch for mean and (biased) variance.
    Inference (``training`` false, or the layer frozen with ``trainable = False``, as Keras):
    the moving statistics instead. The moving statistics are non-trainable weights.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        # Keras's execution hints: one process, one NumPy kernel here, so nothing to switch
        for hint in ("fused", "synchronized"):
            if hint in kwargs:
                value = kwargs.pop(hint)
                if value not in (None, False):
                    check.warn_ignored("BatchNormalization", hint, value,
                                       "glassnet has one batch-normalization kernel and "
                                       "computes the statistics in one process")
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        self.momentum = check.number(momentum, "momentum", "BatchNormalization", 0, 1)
        self.moving_mean_initializer = check.component(
            initializers_module.get, moving_mean_initializer, "moving_mean_initializer",
            "BatchNormalization")
        self.moving_variance_initializer = check.component(
            initializers_module.get, moving_variance_initializer, "moving_variance_initializer",
            "BatchNormalization")

    def build(self, input_shape):
        self._build_affine(input_shape)
        self.moving_mean = self.add_weight("moving_mean", self.param_shape,
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", self.param_shape,
                                               self.moving_variance_initializer, trainable=False)
        self.reduce_axes = tuple(i for i in range(len(input_shape)) if i not in self.axes)

    def call(self, inputs, training=None):
        if training and self.trainable:
            y, mean, var = ops.standardize(inputs, self.reduce_axes, self.epsilon,
                                           return_stats=True)
            self._update_moving(mean, var)
            return self._affine(y)
        mean = self.moving_mean.data.reshape(self.broadcast_shape)
        inv_std = 1 / np.sqrt(self.moving_variance.data.reshape(self.broadcast_shape)
                              + self.epsilon)
        return self._affine((inputs - mean) * inv_std.astype(self.dtype))

    def _update_moving(self, mean, var):
        m = self.momentum
        with no_grad():
            for moving, batch in ((self.moving_mean, mean), (self.moving_variance, var)):
                moving.data *= m
                moving.data += (1 - m) * batch.reshape(moving.data.shape)

    def get_config(self):
        return {
            **super().get_config(), "momentum": self.momentum,
            "moving_mean_initializer": initializers_module.serialize(
                self.moving_mean_initializer),
            "moving_variance_initializer": initializers_module.serialize(
                self.moving_variance_initializer),
        }


class LayerNormalization(_Normalization):
    """Normalizes each sample over ``axis`` (default the last), then scales and shifts:
    y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per sample."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)

    def build(self, input_shape):
        self._build_affine(input_shape)

    def call(self, inputs):
        return self._affine(ops.standardize(inputs, self.axes, self.epsilon))


def _axis_list(axis, layer):
    """Keras's ``axis``: an int, or a list/tuple of ints (kept as a list)."""
    if isinstance(axis, (list, tuple)) and axis and all(check._is_int(a) for a in axis):
        return [int(a) for a in axis]
    if check._is_int(axis):
        return int(axis)
    raise TypeError(f"{layer}: invalid value for `axis` argument: expected an int or a "
                    f"list/tuple of ints. Received: axis={axis!r}")


def _check_axes_in(layer, axis, input_shape):
    for a in axis if isinstance(axis, list) else [axis]:
        if not -len(input_shape) <= a < len(input_shape):
            raise ValueError(f"{type(layer).__name__} '{layer.name}': axis {a} is out of "
                             f"bounds for input shape {tuple(input_shape)}. Received: "
                             f"axis={axis}")


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along ``axis``: y = x / max(||x||_2, 1e-12).

    >>> UnitNormalization()(np.array([[3.0, 4.0]])).numpy().astype(float).round(3).tolist()
    [[0.6, 0.8]]
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_list(axis, "UnitNormalization")

    def check_input(self, inputs):
        _check_axes_in(self, self.axis, inputs.shape)

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return ops.normalize(inputs, axis=axis, order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        _check_axes_in(self, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Root-mean-square normalization (Keras 3's, as ``torch.nn.RMSNorm``), no centring:

        y = x / sqrt(mean(x**2) + epsilon) * scale

    the mean over ``axis`` (an int or a list), ``scale`` a learned weight of the size of
    those axes (initialized to ones). After building, ``axis`` is a sorted list (Keras).

    >>> RMSNormalization(epsilon=0.0)(np.array([[1.0, -1.0]])).numpy().tolist()
    [[1.0, -1.0]]
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_list(axis, "RMSNormalization")
        self.epsilon = check.number(epsilon, "epsilon", "RMSNormalization", low=0)

    def build(self, input_shape):
        _check_axes_in(self, self.axis, input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self.axis = sorted(axes)
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ValueError(f"RMSNormalization '{self.name}': the normalized axes {self.axis} "
                             f"need known sizes (the scale has one entry per position); "
                             f"received input shape {tuple(input_shape)}")
        self.scale = self.add_weight("scale", shape, "ones")

    def check_input(self, inputs):
        expected, got = tuple(self._build_input_shape), tuple(inputs.shape)
        if len(got) != len(expected) or any(got[a] != expected[a] for a in self.axis):
            raise ValueError(f"RMSNormalization '{self.name}' was built for inputs of shape "
                             f"{expected} (normalizing axis {self.axis}), received input of "
                             f"shape {got}")

    def call(self, inputs):
        return ops.rms_normalization(inputs, scale=self.scale, axis=tuple(self.axis),
                                     epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        _check_axes_in(self, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
