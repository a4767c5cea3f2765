"""``LSTM``: a long short-term memory over a sequence (Keras's layer)."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.nn import activations as activations_module
from glassnet.nn.layers.recurrent.cell_layer import CellLayer, fused_ops
from glassnet.nn.layers.recurrent.cells import LSTMCell


class LSTM(CellLayer):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997) over (batch, time, features).

    Each step is ``LSTMCell``'s:

    .. math::
        i, f, o = \\sigma(z_i), \\sigma(z_f), \\sigma(z_o), \\quad
        c_t = f \\odot c_{t-1} + i \\odot \\tanh(z_c), \\quad h_t = o \\odot \\tanh(c_t)

    with :math:`z = x_t W + h_{t-1} U + b`. Weights ``kernel`` (features, 4 units),
    ``recurrent_kernel`` (units, 4 units), ``bias`` (4 units,), gates in the order i, f, c, o.
    With the default activations the whole sequence is one fused op.

    Args:
        units: size of the output and of the states h and c.
        activation, recurrent_activation: default tanh and sigmoid.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer: default True,
            glorot_uniform, orthogonal, zeros.
        unit_forget_bias: start the forget gate's bias at 1 (default True).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: accepted as None only.
        dropout, recurrent_dropout: fractions of the inputs and of the recurrent state dropped
            while training (one mask per sequence, as Keras).
        seed: seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll: as ``RNN``.
        use_cudnn: accepted for Keras compatibility ("auto", True, False).

    Call arguments: as ``RNN``; ``return_state`` gives ``[output, h, c]``.

    >>> layer = LSTM(4, return_sequences=True, return_state=True)
    >>> seq, h, c = layer(np.ones((2, 5, 3), "float32"))
    >>> seq.shape, h.shape, c.shape
    ((2, 5, 4), (2, 4), (2, 4))
    """

    cell_class = LSTMCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell_arguments = {k: v for k, v in locals().items() if k in LSTMCell.ARGUMENTS}
        super().__init__(cell_arguments, use_cudnn=use_cudnn,
                         activity_regularizer=activity_regularizer,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)


    def _fusable(self):
        return (fused_ops is not None and self.cell.activation is activations_module.tanh
                and self.cell.recurrent_activation is activations_module.sigmoid)

    def _run(self, sequences, states, mask, training):
        if not self._fusable():
            return super()._run(sequences, states, mask, training)
        cell = self.cell
        h0, c0 = states
        sequence, h, c = fused_ops.lstm(sequences, h0, c0, cell.kernel, cell.recurrent_kernel,
                                        cell.bias,
                                        **self._fused_inputs(sequences, states, mask, training))
        return self._last(sequence, h, mask), sequence, [h, c]
