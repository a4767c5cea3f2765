"""``SimpleRNN``: a fully connected recurrent layer (Keras's layer)."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.nn import activations as activations_module
from glassnet.nn.layers.recurrent.cell_layer import CellLayer, fused_ops
from glassnet.nn.layers.recurrent.cells import SimpleRNNCell

# The activations the fused op implements, by the name it takes.
_FUSED_ACTIVATIONS = {id(activations_module.tanh): "tanh", id(activations_module.relu): "relu"}


class SimpleRNN(CellLayer):
    """A fully connected RNN over (batch, time, features): the output is fed back.

    .. math:: h_t = \\mathrm{activation}(x_t W + h_{t-1} U + b)

    Weights ``kernel`` (features, units), ``recurrent_kernel`` (units, units), ``bias``
    (units,). With tanh or relu the whole sequence is one fused op.

    Args:
        units: size of the output (and the state).
        activation: default tanh.
        the rest: as ``LSTM`` (without ``recurrent_activation`` and ``unit_forget_bias``).

    >>> layer = SimpleRNN(4, return_sequences=True)
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell_arguments = {k: v for k, v in locals().items() if k in SimpleRNNCell.ARGUMENTS}
        super().__init__(cell_arguments, activity_regularizer=activity_regularizer,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)


    def _fusable(self):
        return fused_ops is not None and id(self.cell.activation) in _FUSED_ACTIVATIONS

    def _run(self, sequences, states, mask, training):
        if not self._fusable():
            return super()._run(sequences, states, mask, training)
        cell = self.cell
        (h0,) = states
        sequence, h = fused_ops.simple_rnn(
            sequences, h0, cell.kernel, cell.recurrent_kernel, cell.bias,
            activation=_FUSED_ACTIVATIONS[id(cell.activation)],
            **self._fused_inputs(sequences, states, mask, training))
        return self._last(sequence, h, mask), sequence, [h]
