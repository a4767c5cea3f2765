"""What the built-in recurrent cells share: their arguments, checked in Keras's words, and
their dropout masks.

Dropout in a recurrent cell (Keras's ``DropoutRNNCell``) draws one mask per sequence, not per
step: the same units of the input and of the recurrent state are dropped at every timestep,
so the noise does not wash out over time (Gal and Ghahramani's variational dropout). A mask
is drawn at the first step that needs it and kept until the recurrent layer resets it after
the sequence. One mask serves all the gates (Keras draws one per gate when
``recurrent_dropout`` is set); the fused ops take exactly these masks, so the fused op and
the cell loop drop the same units.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.nn import activations as activations_module
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent._common import as_tensor, flat_sizes, zero_states


def _constraint(value, arg, owner):
    # glassnet has no weight constraints (an optimizer would have to project after each
    # step); refusing beats silently training an unconstrained weight.
    if value is not None:
        raise ValueError(f"{owner}: `{arg}` is not supported (glassnet has no weight "
                         f"constraints). Received: {arg}={value!r}")
    return None


def _component(get):
    return lambda value, arg, owner: check.component(get, value, arg, owner)


_activation = _component(activations_module.get)
_initializer = _component(initializers_module.get)
_regularizer = _component(regularizers_module.get)

# Each argument a cell may take, with its check (returning the stored value) and how its
# stored value is written in a config.
_ARGUMENTS = {
    "units": (check.positive_int, None),
    "filters": (check.positive_int, None),
    "activation": (_activation, activations_module.serialize),
    "recurrent_activation": (_activation, activations_module.serialize),
    "use_bias": (check.boolean, None),
    "kernel_initializer": (_initializer, initializers_module.serialize),
    "recurrent_initializer": (_initializer, initializers_module.serialize),
    "bias_initializer": (_initializer, initializers_module.serialize),
    "unit_forget_bias": (check.boolean, None),
    "kernel_regularizer": (_regularizer, regularizers_module.serialize),
    "recurrent_regularizer": (_regularizer, regularizers_module.serialize),
    "bias_regularizer": (_regularizer, regularizers_module.serialize),
    "kernel_constraint": (_constraint, None),
    "recurrent_constraint": (_constraint, None),
    "bias_constraint": (_constraint, None),
    "dropout": (check.rate, None),
    "recurrent_dropout": (check.rate, None),
    "reset_after": (check.boolean, None),
    "seed": (lambda value, arg, owner: check.seed(value, owner), None),
}


def check_arguments(owner, **arguments):
    """The cell ``arguments`` checked, each error naming ``owner`` (the cell, or the layer
    that makes it: ``LSTM(0)`` says "LSTM"), as a dict of stored values."""
    return {name: _ARGUMENTS[name][0](value, name, owner) for name, value in arguments.items()}


def arguments_config(cell):
    """The config entries of ``cell``'s arguments (``cell.ARGUMENTS``), in that order."""
    config = {}
    for name in cell.ARGUMENTS:
        serialize = _ARGUMENTS[name][1]
        value = getattr(cell, name)
        config[name] = serialize(value) if serialize else value
    return config


class RecurrentCell(Layer):
    """Base class of the built-in cells: one timestep, ``output, new_states = cell(x, states)``.

    A subclass lists its arguments in ``ARGUMENTS`` (Keras's config order), passes them to
    ``__init__`` here, and writes ``build`` and ``call(inputs, states, training)``.
    Attributes ``state_size`` (an int or a list, one per state) and ``output_size`` say what
    the recurrence carries.
    """

    ARGUMENTS = ()

    def __init__(self, arguments, **kwargs):
        super().__init__(**kwargs)
        for name, value in check_arguments(type(self).__name__, **arguments).items():
            setattr(self, name, value)
        self._generator = None if self.seed is None else np.random.default_rng(self.seed)
        self._dropout_mask = self._recurrent_dropout_mask = None

    def __call__(self, inputs, states=None, training=None, **kwargs):
        """One timestep on its own: ``cell(x_t, states)`` (Keras's call), states a list."""
        if states is None:
            raise TypeError(f"{type(self).__name__} '{self.name}': a cell computes one "
                            f"timestep from the input and the previous states; call it as "
                            f"cell(inputs, states)")
        return super().__call__(inputs, training=training, states=states, **kwargs)

    def check_input(self, inputs):
        expected = self.kernel.shape[0]
        if inputs.ndim != 2 or inputs.shape[-1] != expected:
            raise ValueError(f"{type(self).__name__} '{self.name}' expected one timestep of "
                             f"shape (batch, {expected}), received input of shape "
                             f"{tuple(inputs.shape)}")

    def _states(self, states):
        """The previous states as a list of tensors of this cell's dtype."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        expected = len(flat_sizes(self.state_size))
        if len(states) != expected:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects {expected} "
                             f"state(s), received {len(states)}")
        return [as_tensor(s, self.dtype) for s in states]

    def get_initial_state(self, batch_size=None):
        """Zeros of shape (batch_size, size), one per state."""
        return [zero_states((batch_size, n), self.dtype) for n in flat_sizes(self.state_size)]

    # -- dropout masks (Keras's DropoutRNNCell) ---------------------------------------------

    def _draw(self, like, rate):
        # drawn on the device of ``like`` (the step input or state, a Tensor or an array)
        like = like.data if isinstance(like, Tensor) else like
        generator = self._generator or backend.generator()
        keep = backend.random_uniform(generator, tuple(like.shape), np.float32, like) >= rate
        return keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - rate))

    def get_dropout_mask(self, step_input):
        """The input's dropout mask for this sequence ((batch, features), already scaled by
        1 / (1 - dropout)), drawn on first use; None without dropout."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._draw(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input):
        """The recurrent state's dropout mask ((batch, units)), as ``get_dropout_mask``."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._draw(step_input, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def _dropped(self, inputs, h, training):
        """The step input and previous output with this sequence's dropout masks applied."""
        # (the masks as tensors of the cell's dtype: a bare array would become float32)
        if training and self.dropout > 0:
            inputs = inputs * as_tensor(self.get_dropout_mask(inputs), self.dtype)
        if training and self.recurrent_dropout > 0:
            h = h * as_tensor(self.get_recurrent_dropout_mask(h), self.dtype)
        return inputs, h

    def get_config(self):
        return {**super().get_config(), **arguments_config(self)}
