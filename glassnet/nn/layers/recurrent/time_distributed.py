"""``TimeDistributed`` (a layer applied to every timestep) and ``RepeatVector``."""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent._common import (
    deserialize_layer,
    incompatible_input,
    serialize_layer,
)
from glassnet.nn.layers.wrappers import Wrapper


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every timestep of (batch, time, ...) inputs, with the same weights.

    .. math:: y[:, t] = \\mathrm{layer}(x[:, t]) \\quad \\text{for every } t

    The timesteps are folded into the batch, (batch * time, ...), for one call of ``layer``
    (one GEMM for a Dense, not one per step), and unfolded after. A mask passes through; a
    layer whose ``call`` takes ``mask`` gets it folded the same way, (batch * time, ...).

    Args:
        layer: the layer to apply (its input is one timestep, (batch, ...)).

    >>> from glassnet.nn.layers import Dense
    >>> TimeDistributed(Dense(2))(np.ones((4, 5, 3), "float32")).shape
    (4, 5, 2)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: please initialize `TimeDistributed` layer with "
                             f"a `Layer` instance. Received: layer={layer!r}")
        kwargs.setdefault("dtype", layer.dtype.name)
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _step_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}': the input should have at least 3 "
                             f"dimensions (batch, time, ...). Received input of shape "
                             f"{tuple(input_shape) if input_shape is not None else None}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(self._step_shape(tuple(input_shape)))

    def check_input(self, inputs):
        if inputs.ndim < 3:
            raise incompatible_input(self, inputs.shape, 3)

    def compute_output_shape(self, input_shape):
        step = self.layer.compute_output_shape(self._step_shape(tuple(input_shape)))
        return (input_shape[0], input_shape[1], *tuple(step)[1:])

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        folded = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        kwargs = {}
        if mask is not None and getattr(self.layer, "_call_takes_mask", False):
            mask = backend.asarray(mask.data if hasattr(mask, "data") else mask, dtype=bool)
            if mask.shape[:2] != (batch, steps):
                raise ValueError(f"TimeDistributed '{self.name}': the mask has shape "
                                 f"{mask.shape}, which does not fit the input's (batch, "
                                 f"timesteps) = {(batch, steps)}")
            kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        out = self.layer(folded, training=training, **kwargs)
        return ops.reshape(out, (batch, steps, *out.shape[1:]))

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        dtype = {"dtype": config["dtype"]} if "dtype" in config else {}
        config["layer"] = deserialize_layer(config["layer"], "TimeDistributed", custom_objects,
                                            **dtype)
        return cls(**config)


class RepeatVector(Layer):
    """Repeats each input vector ``n`` times: (batch, features) -> (batch, n, features).

    .. math:: y[:, t, :] = x \\quad (t = 0, \\dots, n - 1)

    The gradient of x is the sum over the n copies. Typically between an encoder's final
    state and a decoder that needs a sequence.

    Args:
        n: the number of repetitions.

    >>> RepeatVector(3)(np.ones((2, 4), "float32")).shape
    (2, 3, 4)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"RepeatVector: expected an integer value for `n`. Received: "
                            f"n={n!r} of type {type(n).__name__}")
        if n <= 0:
            raise ValueError(f"RepeatVector: argument `n` should be a positive integer. "
                             f"Received: n={n}")
        self.n = int(n)

    def check_input(self, inputs):
        if inputs.ndim != 2:
            raise incompatible_input(self, inputs.shape, 2)

    def call(self, inputs):
        batch, features = inputs.shape
        return ops.broadcast_to(ops.reshape(inputs, (batch, 1, features)),
                                (batch, self.n, features))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
