"""``RNN(cell)``: any cell run over a sequence, one timestep after another.

The loop calls the cell once per step on engine ops, so the whole sequence is one graph and
backpropagation through time is the autodiff's ordinary backward over it: any cell works,
including a user's Layer with ``state_size`` and ``call(inputs, states)``. ``SimpleRNN``,
``LSTM`` and ``GRU`` replace the loop by one fused op over the sequence where their
activations allow (``_run``), with the same results.
"""

from __future__ import annotations

import contextlib

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.autograd.tensor import Tensor
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent._common import (
    as_tensor,
    call_cell,
    cell_output_size,
    check_cell,
    deserialize_layer,
    flat_sizes,
    flatten,
    incompatible_input,
    pack,
    serialize_layer,
    unstack_time,
    zero_states,
)
from glassnet.nn.layers.recurrent.stacked import StackedRNNCells
from glassnet.nn.masking import as_bool_array
from glassnet.nn.symbolic import SymbolicTensor

_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
          "zero_output_for_mask")


class RNN(Layer):
    """Runs ``cell`` over the timesteps of (batch, time, features) inputs.

    .. math:: y_t, s_t = \\mathrm{cell}(x_t, s_{t-1}), \\quad s_0 = \\text{initial state}

    Args:
        cell: an RNN cell, or a list of cells (stacked: ``StackedRNNCells``).
        return_sequences: return every step's output (batch, time, units), not only the last.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: process the sequence from its end; the returned sequence is in that
            (reversed) order, as Keras.
        stateful: the final states of a batch are the initial states of the next (sample i
            continues sample i); the batch size is fixed by ``batch_input_shape`` or the
            first call. ``reset_states()`` sets them back to zeros.
        unroll: accepted for Keras compatibility; the loop is the same either way.
        zero_output_for_mask: with a mask and ``return_sequences``, masked steps output
            zeros instead of the previous output (``Bidirectional`` sets it).

    Call arguments: ``inputs`` (or ``[inputs, *initial_states]``), ``initial_state`` (a list
    of tensors, one per state), ``mask`` (bool (batch, time), True where a step is real:
    masked steps keep the previous states and output), ``training`` (dropout).

    >>> from glassnet.nn.layers.recurrent import LSTMCell
    >>> layer = RNN(LSTMCell(4), return_sequences=True)
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        owner = type(self).__name__
        # Keras 2's spelling of the sample shape: LSTM(8, input_dim=3, input_length=10)
        input_dim, input_length = kwargs.pop("input_dim", None), kwargs.pop("input_length", None)
        if input_dim is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (check.optional_positive_int(input_length, "input_length",
                                                                 owner),
                                     check.positive_int(input_dim, "input_dim", owner))
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        check_cell(cell, owner)
        super().__init__(**kwargs)
        self.cell = cell
        for flag, value in zip(_FLAGS, (return_sequences, return_state, go_backwards, stateful,
                                        unroll, zero_output_for_mask)):
            setattr(self, flag, check.boolean(value, flag, owner))
        self.supports_masking = True
        self.states = None  # the carried states of a stateful layer (tensors, not weights)
        self._batch_size = None

    @property
    def state_size(self):
        """One entry per state (a nested list for stacked cells)."""
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    # -- shapes ----------------------------------------------------------------------------

    @staticmethod
    def _sequence_shape(input_shape):
        first = input_shape[0] if input_shape else None
        return tuple(first) if isinstance(first, (list, tuple)) else tuple(input_shape)

    # (batch, time, features); a convolutional recurrence reads (batch, time, *image)
    _input_ndim = 3

    def build(self, input_shape):
        shape = self._sequence_shape(input_shape)
        if len(shape) != self._input_ndim:
            raise incompatible_input(self, shape, self._input_ndim)
        if None in shape[2:]:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs a known size of each "
                             f"timestep (the axes after time). Received input of shape "
                             f"{shape}")
        batch = self.batch_input_shape[0] if self.batch_input_shape else shape[0]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((batch, *shape[2:]))
        self._step_shape = shape[2:]
        if self.stateful and batch is not None:
            self._create_states(batch)

    def check_input(self, inputs):
        x = inputs[0] if isinstance(inputs, list) else inputs
        if x.ndim != self._input_ndim:
            raise incompatible_input(self, x.shape, self._input_ndim)
        if tuple(x.shape[2:]) != self._step_shape:
            what = (f"{self._step_shape[0]} input features" if len(self._step_shape) == 1
                    else f"timesteps of shape {self._step_shape}")
            raise ValueError(f"{type(self).__name__} '{self.name}' expected {what}, received "
                             f"input of shape {tuple(x.shape)}")

    def compute_output_shape(self, input_shape):
        batch, length = self._sequence_shape(input_shape)[:2]
        units = cell_output_size(self.cell)
        output = (batch, length, units) if self.return_sequences else (batch, units)
        if not self.return_state:
            return output
        # nested as call returns them: per cell of a stack, one shape (a cell of one state,
        # Keras's int state_size) or a list of them
        if isinstance(self.cell, StackedRNNCells):
            return [output, *[(batch, c.state_size) if isinstance(c.state_size, int)
                              else [(batch, n) for n in flat_sizes(c.state_size)]
                              for c in self.cell.cells]]
        sizes = flat_sizes(self.state_size)
        return [output, *pack(sizes, [(batch, n) for n in flatten(sizes)])]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # -- states ----------------------------------------------------------------------------

    def get_initial_state(self, batch_size):
        """The states a sequence starts from: the cell's ``get_initial_state``, else zeros."""
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            states = make(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        return [zero_states((batch_size, n), self.dtype) for n in flat_sizes(self.state_size)]

    def _create_states(self, batch_size):
        self._batch_size = int(batch_size)
        self.states = self.get_initial_state(self._batch_size)

    def _moved_to(self, device):
        if self.states is not None:  # a stateful layer's carried states go along
            self.states = pack(self.states, [Tensor._from_op(backend.to_device(s.data, device),
                                                             None)
                                             for s in flatten(self.states)])

    def reset_state(self):
        """Set a stateful layer's carried states back to zeros."""
        if self.states is not None:
            self.states = self.get_initial_state(self._batch_size)

    def reset_states(self, states=None):
        """Keras 2's name for ``reset_state``; ``states`` (arrays, one per state) sets them to
        given values instead of zeros."""
        if states is None or not self.stateful:
            self.reset_state()
            return
        if self.states is None:
            first = flatten(states)[0]
            self._create_states(np.shape(first)[0])
        self.states = self._given_states(states, self._batch_size, "states")

    def _given_states(self, given, batch, arg):
        """User-given states (a tensor or nested list) checked and shaped as the cell's."""
        template = self.get_initial_state(batch)
        flat = flatten(list(given) if isinstance(given, (list, tuple)) else [given])
        expected = flatten(template)
        shapes = [tuple(np.shape(s.data if isinstance(s, Tensor) else s)) for s in flat]
        wanted = [tuple(s.shape) for s in expected]
        if shapes != wanted:
            raise ValueError(f"{type(self).__name__} '{self.name}': `{arg}` must be "
                             f"{len(wanted)} tensor(s) of shape(s) {wanted} (the cell's "
                             f"state_size is {self.cell.state_size}). Received shape(s) "
                             f"{shapes}")
        return pack(template, [as_tensor(s, self.dtype) for s in flat])

    # -- the computation -------------------------------------------------------------------

    def __call__(self, inputs, training=None, initial_state=None, **kwargs):
        if initial_state is not None and any(isinstance(s, SymbolicTensor)
                                             for s in flatten(initial_state)):
            # A model's graph records a call's inputs, not its keyword arguments: symbolic
            # states (Keras's seq2seq decoder(x, initial_state=encoder_states)) ride along as
            # inputs, Keras 2's layer([x, *states]), which call() reads the same way.
            inputs = [*(inputs if isinstance(inputs, list) else [inputs]),
                      *flatten(initial_state)]
        elif initial_state is not None:
            kwargs["initial_state"] = initial_state
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if isinstance(inputs, (list, tuple)):  # Keras 2's layer([x, *initial_states])
            inputs, extra = inputs[0], list(inputs[1:])
            if extra and initial_state is None:
                initial_state = extra
        batch = inputs.shape[0]
        mask = self._sequence_mask(mask, inputs)
        if self.stateful:
            if self.states is None:
                with _device_of(inputs):
                    self._create_states(batch)
            elif batch != self._batch_size:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': if an RNN is stateful, the batch size "
                    f"of the input sequences must be the same as the batch size of the "
                    f"initial state. Expected batch size: {self._batch_size}. Received batch "
                    f"size: {batch}")
        if initial_state is not None:
            with _device_of(inputs):
                states = self._given_states(initial_state, batch, "initial_state")
        elif self.stateful:
            states = self.states
        elif backend.on_device(inputs.data):
            with _device_of(inputs):  # zero states made on the sequence's GPU
                states = self.get_initial_state(batch)
        else:
            states = self.get_initial_state(batch)

        try:
            last, sequence, states = self._run(inputs, states, mask, bool(training))
        finally:
            _reset_dropout_masks(self.cell)
        if mask is not None and self.zero_output_for_mask:
            processed = mask[:, ::-1] if self.go_backwards else mask
            if sequence is not None:
                sequence = ops.where(processed.reshape(processed.shape
                                                       + (1,) * (sequence.ndim - 2)),
                                     sequence, 0.0)
            last = ops.where(_per_sample(processed[:, -1], last), last, 0.0)
        if self.stateful:  # carried as values: the next batch's graph starts here
            self.states = pack(states, [Tensor._from_op(s.data, None) for s in flatten(states)])
        output = sequence if self.return_sequences else last
        if not self.return_state:
            return output
        if isinstance(self.cell, StackedRNNCells):  # a cell of one state returns the tensor
            states = [s[0] if isinstance(c.state_size, int) and isinstance(s, (list, tuple))
                      and len(s) == 1 else s for c, s in zip(self.cell.cells, states)]
        return [output, *states]

    def _sequence_mask(self, mask, inputs):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        mask = as_bool_array(mask)
        if mask is not None and mask.shape != tuple(inputs.shape[:2]):
            raise ValueError(f"{type(self).__name__} '{self.name}': the mask must have shape "
                             f"(batch, timesteps) = {tuple(inputs.shape[:2])}. Received: mask "
                             f"of shape {mask.shape}")
        return mask

    def _run(self, sequences, states, mask, training):
        """``(last output, output sequence or None, final states)``: the cell called once
        per timestep, in processing order."""
        steps = unstack_time(sequences)
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        flat_states, outputs, previous = flatten(states), [], None
        for t in order:
            output, new_states = call_cell(self.cell, steps[t], pack(states, flat_states),
                                           training)
            new_flat = flatten(new_states if isinstance(new_states, (list, tuple))
                               else [new_states])
            if len(new_flat) != len(flat_states):
                raise ValueError(f"{type(self).__name__} '{self.name}': the cell returned "
                                 f"{len(new_flat)} state(s), its state_size has "
                                 f"{len(flat_states)}")
            if mask is not None:  # a masked step carries the states and the output over
                keep = mask[:, t]
                output = ops.where(_per_sample(keep, output), output,
                                   0.0 if previous is None else previous)
                new_flat = [ops.where(_per_sample(keep, n), n, s)
                            for n, s in zip(new_flat, flat_states)]
            previous, flat_states = output, new_flat
            if self.return_sequences:
                outputs.append(output)
        sequence = ops.stack(outputs, axis=1) if self.return_sequences else None
        return previous, sequence, pack(states, flat_states)

    # -- config ----------------------------------------------------------------------------

    def _flags_config(self):
        return {flag: getattr(self, flag) for flag in _FLAGS}

    def get_config(self):
        return {**super().get_config(), **self._flags_config(),
                "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        # The cell computes in the layer's dtype (a float64 copy has a float64 cell).
        dtype = {"dtype": config["dtype"]} if "dtype" in config else {}
        cell = deserialize_layer(config.pop("cell"), cls.__name__, custom_objects, **dtype)
        return cls(cell, **config)


def _device_of(inputs):
    """A block placing new arrays where ``inputs`` are (nothing to do on the CPU)."""
    if backend.on_device(inputs.data):
        return backend.device(backend.device_of(inputs.data))
    return contextlib.nullcontext()


def _per_sample(keep, like):
    """A (batch,) bool array shaped to broadcast over ``like`` (batch, ...)."""
    return keep.reshape(keep.shape + (1,) * (like.ndim - 1))


def _reset_dropout_masks(cell):
    # The masks last one sequence: the next call draws new ones.
    for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
        if hasattr(cell, reset):
            getattr(cell, reset)()
