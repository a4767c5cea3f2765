"""``StackedRNNCells``: several cells run as one, each step feeding the next cell."""

from __future__ import annotations

from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent._common import (
    call_cell,
    cell_output_size,
    check_cell,
    deserialize_layer,
    flat_sizes,
    serialize_layer,
    zero_states,
)


class StackedRNNCells(Layer):
    """A stack of cells behaving as one cell: at each timestep the first cell reads the
    input, each next cell reads the output of the one below, and the output is the last
    cell's.

    .. math:: y^{(1)}_t = \\mathrm{cell}_1(x_t),\\; y^{(k)}_t = \\mathrm{cell}_k(y^{(k-1)}_t)

    The states are one entry per cell (``state_size`` lists the cells' ``state_size``).
    ``RNN([cell1, cell2])`` makes one of these.

    Args:
        cells: a list of cells (each with ``call(inputs, states)`` and ``state_size``).

    >>> from glassnet.nn.layers.recurrent import LSTMCell, GRUCell
    >>> cells = StackedRNNCells([LSTMCell(4), GRUCell(3)])
    >>> cells.state_size, cells.output_size
    ([[4, 4], 3], 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells: `cells` must be a non-empty list of RNN cells. "
                             f"Received: cells={cells!r}")
        for cell in cells:
            check_cell(cell, "StackedRNNCells")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return cell_output_size(self.cells[-1])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
            shape = (shape[0], cell_output_size(cell))

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            make = getattr(cell, "get_initial_state", None)
            if make is not None:
                initial = make(batch_size=batch_size)
                states.append(list(initial) if isinstance(initial, (list, tuple))
                              else [initial])
            else:
                states.append([zero_states((batch_size, n), self.dtype)
                               for n in flat_sizes(cell.state_size)])
        return states

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states, strict=True):
            listed = isinstance(cell_states, (list, tuple))
            inputs, cell_new = call_cell(cell, inputs, list(cell_states) if listed
                                         else [cell_states], training)
            if not isinstance(cell_new, (list, tuple)):
                cell_new = [cell_new]
            new_states.append(list(cell_new) if listed or len(cell_new) > 1 else cell_new[0])
        return inputs, new_states

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_recurrent_dropout_mask"):
                cell.reset_recurrent_dropout_mask()

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        # The cells compute in the stack's dtype (a float64 copy has float64 cells).
        dtype = {"dtype": config["dtype"]} if "dtype" in config else {}
        cells = [deserialize_layer(c, "StackedRNNCells", custom_objects, **dtype)
                 for c in config.pop("cells")]
        return cls(cells, **config)
