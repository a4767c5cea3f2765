"""``Bidirectional``: a recurrent layer run forwards and backwards, the outputs merged."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.autograd import ops
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent._common import (
    copy_layer,
    deserialize_layer,
    flatten,
    serialize_layer,
)
from glassnet.nn.symbolic import SymbolicTensor

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _merge(mode, forward, backward):
    if mode == "concat":
        return ops.concatenate([forward, backward], axis=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mul":
        return forward * backward
    if mode == "ave":
        return (forward + backward) * 0.5
    return [forward, backward]


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions and merges the outputs.

    .. math:: y = \\mathrm{merge}(\\overrightarrow{\\mathrm{rnn}}(x),\\;
              \\mathrm{reverse}(\\overleftarrow{\\mathrm{rnn}}(x)))

    The forward copy is made from ``layer``'s config, the backward one too with
    ``go_backwards`` flipped (unless ``backward_layer`` is given). The backward output
    sequence is reversed back into time order before merging, so step t of both halves
    describes step t of the input; with a mask, both directions skip the masked steps and
    output zeros there (``zero_output_for_mask``, as Keras).

    Args:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``).
        merge_mode: "concat" (default), "sum", "mul", "ave", or None (a list of both).
        backward_layer: the layer for the backward direction (its ``go_backwards`` must
            differ from ``layer``'s; ``stateful``, ``return_sequences`` and ``return_state``
            must agree).

    With ``return_state``: ``[output, *forward states, *backward states]``. Weights: the
    forward layer's, then the backward layer's.

    >>> from glassnet.nn.layers.recurrent import LSTM
    >>> Bidirectional(LSTM(4))(np.ones((2, 5, 3), "float32")).shape
    (2, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional: please initialize `Bidirectional` layer with a "
                             f"`Layer` instance. Received: layer={layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` needs to be a `Layer` instance. "
                             f"Received: backward_layer={backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: invalid merge mode. Merge mode should be one of "
                             f"'sum', 'mul', 'ave', 'concat', None. Received: "
                             f"merge_mode={merge_mode!r}")
        kwargs.setdefault("dtype", layer.dtype.name)
        super().__init__(**kwargs)
        # Copies from the config, so the wrapper carries no state of ``layer``.
        self.forward_layer = copy_layer(layer,
                                        name=f"forward_{_strip(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = copy_layer(layer, go_backwards=not layer.go_backwards,
                                        name=f"backward_{_strip(layer.name, 'backward_')}")
        self.backward_layer = backward_layer
        self._check_pair()
        for half in (self.forward_layer, self.backward_layer):
            if hasattr(half, "zero_output_for_mask"):  # merged steps line up, padding is 0
                half.zero_output_for_mask = half.return_sequences
        self.merge_mode = merge_mode
        self.stateful = self.forward_layer.stateful
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.supports_masking = True
        self._initial_weights = weights

    def _check_pair(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(f"Bidirectional: forward layer and backward layer should have "
                             f"different `go_backwards` value. Received: "
                             f"forward_layer.go_backwards={forward.go_backwards}, "
                             f"backward_layer.go_backwards={backward.go_backwards}")
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(
                    f"Bidirectional: forward layer and backward layer are expected to have the "
                    f"same value for attribute `{attribute}`, got "
                    f"{getattr(forward, attribute)} for forward layer and "
                    f"{getattr(backward, attribute)} for backward layer")

    def build(self, input_shape):
        for half in (self.forward_layer, self.backward_layer):
            if not half.built:
                half.build(input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def check_input(self, inputs):
        self.forward_layer.check_input(inputs)

    def __call__(self, inputs, training=None, initial_state=None, **kwargs):
        if initial_state is not None and any(isinstance(s, SymbolicTensor)
                                             for s in flatten(initial_state)):
            # symbolic states ride as inputs, [x, *states] (as RNN's: a model's graph
            # records inputs, not keyword arguments)
            inputs = [*(inputs if isinstance(inputs, list) else [inputs]),
                      *flatten(initial_state)]
        elif initial_state is not None:
            kwargs["initial_state"] = initial_state
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if isinstance(inputs, (list, tuple)):  # [x, *initial_states]
            inputs, extra = inputs[0], list(inputs[1:])
            if extra and initial_state is None:
                initial_state = extra
            if isinstance(mask, (list, tuple)):
                mask = mask[0]
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(inputs, training=training, initial_state=forward_state,
                               mask=mask)
        y_rev = self.backward_layer(inputs, training=training, initial_state=backward_state,
                                    mask=mask)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        output = _merge(self.merge_mode, y, y_rev)
        if not self.return_state:
            return output
        return [*output, *states] if self.merge_mode is None else [output, *states]

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        shape = tuple(shape)
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return [*outputs, *states, *states]
        return outputs if self.merge_mode is None else shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            n_states = len(self.forward_layer.state_size) * 2
            return [*masks, *([None] * n_states)]
        return masks if self.merge_mode is None else output_mask

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return [*self.forward_layer.states, *self.backward_layer.states]
        return None

    def reset_state(self):
        if not self.stateful:
            raise AttributeError("Bidirectional: layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self):
        self.reset_state()

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_layer(self.forward_layer),
                "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        # The halves compute in the wrapper's dtype (a float64 copy has float64 halves).
        dtype = {"dtype": config["dtype"]} if "dtype" in config else {}
        config["layer"] = deserialize_layer(config["layer"], "Bidirectional", custom_objects,
                                            **dtype)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward, "Bidirectional",
                                                         custom_objects, **dtype)
        return cls(**config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name
