"""Core layers: InputLayer/Input, Dense, Activation, Flatten, Reshape, Permute, Dropout, Lambda."""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import ops
from glassnet.nn import activations as activations_module
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.symbolic import SymbolicTensor


class InputLayer(Layer):
    """The entry of a model: holds the shape of one sample and checks inputs against it.

    Args:
        shape: shape of one sample, without the batch axis (Keras 2: ``input_shape``).
        batch_size: optional fixed batch size.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, **kwargs):
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        batch_shape = kwargs.pop("batch_shape", None) or kwargs.pop("batch_input_shape", None)
        if batch_shape is not None:
            if not isinstance(batch_shape, (tuple, list)) or not batch_shape:
                raise ValueError(f"InputLayer: `batch_shape` must be a tuple (batch size, "
                                 f"*sample shape). Received: batch_shape={batch_shape!r}")
            if batch_size is not None and batch_size != batch_shape[0]:
                raise ValueError(f"InputLayer: `batch_size` and `batch_shape` disagree. "
                                 f"Received: batch_size={batch_size!r}, "
                                 f"batch_shape={batch_shape!r}")
            batch_size, shape = batch_shape[0], tuple(batch_shape[1:])
        if shape is None:
            raise ValueError("InputLayer: `shape` (the shape of one sample) is required")
        is_text = dtype in ("string", "str", str)  # text for TextVectorization / StringLookup
        super().__init__(name=name, dtype=None if is_text else dtype, **kwargs)
        if is_text:
            self.dtype, self._accepts_strings = np.dtype(object), True
        self.shape = check.shape(shape, "shape", "InputLayer")
        self.batch_size = check.optional_positive_int(batch_size, "batch_size", "InputLayer")
        self.batch_input_shape = (batch_size, *self.shape)
        self.built = True
        self._symbolic_output = SymbolicTensor(self.batch_input_shape, self.dtype, layer=self,
                                               name=self.name)
        self._symbolic_input = self._symbolic_output

    def check_input(self, inputs):
        expected = self.shape
        got = tuple(inputs.shape[1:])
        if len(got) != len(expected) or any(e is not None and e != g
                                            for e, g in zip(expected, got)):
            raise ValueError(
                f"InputLayer '{self.name}' expected input of shape "
                f"{(self.batch_size, *expected)}, received input of shape {tuple(inputs.shape)}"
            )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("batch_input_shape", None)
        config.pop("trainable", None)
        if self.dtype == object:
            config["dtype"] = "string"
        return {**config, "shape": self.shape, "batch_size": self.batch_size}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802
    """A symbolic model input: ``x = Input(shape=(784,))`` (Keras's ``keras.Input``)."""
    if shape is not None:
        shape = check.shape(shape, "shape", "Input")
    batch_size = check.optional_positive_int(batch_size, "batch_size", "Input")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape)
    return layer.output


class Dense(Layer):
    """Fully connected layer: ``activation(inputs @ kernel + bias)``.

    One fused op (``linear``) plus the activation: two graph nodes per layer. The kernel has
    shape (input features, units); inputs may have extra leading axes.

    Args:
        units: number of outputs.
        activation: name or callable (default: none, i.e. linear).
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: default glorot_uniform and zeros.
        kernel_regularizer, bias_regularizer: optional penalties added to ``losses``.
        input_dim: Keras 2's spelling of ``input_shape=(input_dim,)``.

    >>> Dense(2, activation="relu", input_shape=(4,)).get_config()["units"]
    2
    """

    supports_masking = True  # acts on the last axis: timesteps keep their mask

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, input_dim=None, **kwargs):
        if input_dim is not None:
            input_dim = check.positive_int(input_dim, "input_dim", "Dense")
            given = kwargs.get("input_shape")
            if given is None:
                kwargs["input_shape"] = (input_dim,)
            elif tuple(given) != (input_dim,):
                raise ValueError(f"Dense: `input_dim` and `input_shape` disagree. Received: "
                                 f"input_dim={input_dim!r}, input_shape={given!r}")
        super().__init__(**kwargs)
        self.units = check.positive_int(units, "units", "Dense")
        self.activation = check.component(activations_module.get, activation, "activation",
                                          "Dense")
        self.use_bias = check.boolean(use_bias, "use_bias", "Dense")
        self.kernel_initializer = check.component(initializers_module.get, kernel_initializer,
                                                  "kernel_initializer", "Dense")
        self.bias_initializer = check.component(initializers_module.get, bias_initializer,
                                                "bias_initializer", "Dense")
        self.kernel_regularizer = check.component(regularizers_module.get, kernel_regularizer,
                                                  "kernel_regularizer", "Dense")
        self.bias_regularizer = check.component(regularizers_module.get, bias_regularizer,
                                                "bias_regularizer", "Dense")

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"Dense '{self.name}' expected input with at least 2 dimensions (batch, "
                f"features) and a known number of features, received input of shape "
                f"{tuple(input_shape)}"
            )
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      self.kernel_initializer, self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                    self.bias_regularizer) if self.use_bias else None

    def check_input(self, inputs):
        expected = self.kernel.data.shape[0]
        if inputs.ndim < 2 or inputs.shape[-1] != expected:
            raise ValueError(
                f"Dense '{self.name}' expected {expected} input features, received input of "
                f"shape {tuple(inputs.shape)}"
            )

    def call(self, inputs):
        return self.activation(ops.linear(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations_module.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers_module.serialize(self.kernel_initializer),
            "bias_initializer": initializers_module.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers_module.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers_module.serialize(self.bias_regularizer),
        }


class Activation(Layer):
    """Applies an activation function, given by name or as a callable."""

    supports_masking = True  # passes the mask on, as Keras

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = check.component(activations_module.get, activation, "activation",
                                          "Activation")

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(),
                "activation": activations_module.serialize(self.activation)}


class Flatten(Layer):
    """Flattens each sample to one axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).

    Row-major (C) order over the sample's axes, so channels-last images flatten as
    (height, width, channels) with channels varying fastest, as in Keras.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format is not None:
            data_format = check.one_of(data_format, ("channels_last", "channels_first"),
                                       "data_format", "Flatten")
        self.data_format = data_format

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            # Keras flattens channels-first data in channels-last order.
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (batch axis kept; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, (int, np.integer)) and not isinstance(target_shape, bool):
            target_shape = (target_shape,)
        if not isinstance(target_shape, (tuple, list)) or any(
                isinstance(n, bool) or not isinstance(n, (int, np.integer))
                for n in target_shape):
            raise ValueError(f"Reshape: `target_shape` must be a tuple of integers. Received: "
                             f"target_shape={target_shape!r}")
        self.target_shape = tuple(int(n) for n in target_shape)
        if sum(n == -1 for n in self.target_shape) > 1 or any(
                n == 0 or n < -1 for n in self.target_shape):
            raise ValueError(f"Reshape: target_shape must hold positive sizes and at most one "
                             f"-1. Received: target_shape={self.target_shape}")

    def call(self, inputs):
        sample = math.prod(inputs.shape[1:])
        target = self._resolve(sample, tuple(inputs.shape))
        return ops.reshape(inputs, (inputs.shape[0], *target))

    def _resolve(self, sample, input_shape):
        known = math.prod(n for n in self.target_shape if n != -1)
        if -1 in self.target_shape:
            if known == 0 or sample % known:
                raise self._error(input_shape)
            return tuple(sample // known if n == -1 else n for n in self.target_shape)
        if known != sample:
            raise self._error(input_shape)
        return self.target_shape

    def _error(self, input_shape):
        return ValueError(
            f"Reshape '{self.name}': cannot reshape input of shape {input_shape} "
            f"({math.prod(input_shape[1:])} values per sample) to target_shape "
            f"{self.target_shape}"
        )

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if None in rest:  # the -1 axis is unknown too
            return (input_shape[0], *(None if n == -1 else n for n in self.target_shape))
        return (input_shape[0], *self._resolve(math.prod(rest), tuple(input_shape)))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the axes of each sample; ``dims`` counts from 1 (the batch axis is 0)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dims, (tuple, list)) or any(
                isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in dims):
            raise ValueError(f"Permute: `dims` must be a tuple of integers. Received: "
                             f"dims={dims!r}")
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}. "
                             f"Received: dims={self.dims}")

    def call(self, inputs):
        if inputs.ndim != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}' with dims {self.dims} expected "
                             f"{len(self.dims) + 1}-D input, received shape {inputs.shape}")
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of inputs while training (scaling the rest by
    1 / (1 - rate)); the identity at inference."""

    supports_masking = True  # passes the mask on, as Keras

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check.rate(rate, "rate", "Dropout")
        if noise_shape is not None:
            noise_shape = check.shape(noise_shape, "noise_shape", "Dropout")
        self.noise_shape = noise_shape
        self.seed = check.seed(seed, "Dropout")
        self._generator = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=None):
        return ops.dropout(inputs, self.rate, training=bool(training),
                           generator=self._generator, noise_shape=self.noise_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class Lambda(Layer):
    """Wraps a function of the inputs as a layer (in-memory only: a function cannot be
    saved safely, so saving a model with a Lambda is refused; write a small Layer subclass
    instead)."""

    supports_masking = True

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        # The output's mask: a function (inputs, mask) -> mask, a fixed mask, or None (the
        # input's mask is dropped: Keras 3's rule, since a function may change the time axis).
        self.mask = mask
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable. Received: {function!r}")
        self.function = function
        if output_shape is not None and not callable(output_shape):
            output_shape = check.shape(output_shape, "output_shape", "Lambda")
        elif callable(output_shape):
            raise ValueError("Lambda: a callable `output_shape` is not supported; give the "
                             "output shape of one sample as a tuple")
        self.output_shape = output_shape
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f"Lambda: `arguments` must be a dict of keyword arguments. "
                             f"Received: arguments={arguments!r}")
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        if self.output_shape is not None:
            return (input_shape[0], *self.output_shape)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "function": self.function,
                "output_shape": self.output_shape, "arguments": self.arguments}
