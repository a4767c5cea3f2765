"""``GRU``: a gated recurrent unit over a sequence (Keras's layer)."""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.nn import activations as activations_module
from glassnet.nn.layers.recurrent.cell_layer import CellLayer, fused_ops
from glassnet.nn.layers.recurrent.cells import GRUCell


class GRU(CellLayer):
    """Gated recurrent unit (Cho et al., 2014) over (batch, time, features).

    Each step is ``GRUCell``'s; with ``reset_after=True`` (the default, as Keras 3, cuDNN and
    PyTorch):

    .. math::
        z, r = \\sigma(x_t W_{z,r} + b_{z,r} + h_{t-1} U_{z,r} + b'_{z,r}), \\quad
        \\tilde h = \\tanh(x_t W_h + b_h + r \\odot (h_{t-1} U_h + b'_h)), \\quad
        h_t = z \\odot h_{t-1} + (1 - z) \\odot \\tilde h

    Weights ``kernel`` (features, 3 units), ``recurrent_kernel`` (units, 3 units), gates in
    the order z, r, h; ``bias`` (2, 3 units) (input and recurrent biases), or (3 units,)
    with ``reset_after=False``. With the default activations the whole sequence is one fused
    op.

    Args:
        units: size of the output and of the state.
        reset_after: apply the reset gate after the recurrent matrix product (default True).
        the rest: as ``LSTM`` (without ``unit_forget_bias``).

    >>> layer = GRU(4, return_state=True)
    >>> out, h = layer(np.ones((2, 5, 3), "float32"))
    >>> out.shape, layer.cell.bias.shape
    ((2, 4), (2, 12))
    """

    cell_class = GRUCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell_arguments = {k: v for k, v in locals().items() if k in GRUCell.ARGUMENTS}
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
        (h0,) = states
        sequence, h = fused_ops.gru(sequences, h0, cell.kernel, cell.recurrent_kernel,
                                    cell.bias, reset_after=cell.reset_after,
                                    **self._fused_inputs(sequences, states, mask, training))
        return self._last(sequence, h, mask), sequence, [h]
