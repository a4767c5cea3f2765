"""The recurrent cells: one timestep of a simple RNN, an LSTM and a GRU, in Keras's layouts.

Each cell maps the input at one step and the previous states to the output and the new
states. ``RNN(cell)`` (and ``SimpleRNN``, ``LSTM``, ``GRU``) runs a cell over a sequence; a
cell is also usable alone: ``h, [h, c] = LSTMCell(4)(x_t, [h, c])``.

Keras's weight layouts, gates side by side along the last axis:

- SimpleRNN: kernel (features, units), recurrent_kernel (units, units), bias (units,);
- LSTM: kernel (features, 4 units) with gates i, f, c, o; recurrent_kernel (units, 4 units);
  bias (4 units,);
- GRU: kernel (features, 3 units) with gates z, r, h; recurrent_kernel (units, 3 units);
  bias (2, 3 units) with ``reset_after`` (input bias, recurrent bias), else (3 units,).
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import ops
from glassnet.nn import initializers as initializers_module
from glassnet.nn.layers.recurrent.cell_base import RecurrentCell

_COMMON = ("use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer")
_PENALTIES = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
              "kernel_constraint", "recurrent_constraint", "bias_constraint")


class _GatedCell(RecurrentCell):
    """The weights of a cell with ``gates`` gates: kernel, recurrent_kernel, bias."""

    gates = 1

    def build(self, input_shape):
        features = input_shape[-1]
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (features, width), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                    self.bias_regularizer) if self.use_bias else None

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer


class SimpleRNNCell(_GatedCell):
    """One step of a fully connected RNN: the output is the new state.

    .. math:: h_t = \\mathrm{activation}(x_t W + h_{t-1} U + b)

    Args:
        units: size of the output (and the state).
        activation: default tanh.
        use_bias: add ``b``.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            glorot_uniform, orthogonal, zeros.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: accepted as None only.
        dropout, recurrent_dropout: fractions of the input and of the state dropped (one
            mask per sequence) while training.
        seed: seed of the dropout masks.

    >>> cell = SimpleRNNCell(3)
    >>> out, [h] = cell(np.ones((2, 4), "float32"), [np.zeros((2, 3), "float32")])
    >>> out.shape, cell.state_size
    ((2, 3), 3)
    """

    ARGUMENTS = ("units", "activation", *_COMMON, *_PENALTIES, "dropout", "recurrent_dropout",
                 "seed")

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        arguments = {k: v for k, v in locals().items() if k in SimpleRNNCell.ARGUMENTS}
        super().__init__(arguments, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def call(self, inputs, states, training=False):
        single = not isinstance(states, (list, tuple))
        (h,) = self._states(states)
        x, h_in = self._dropped(inputs, h, training)
        out = self.activation(ops.linear(x, self.kernel, self.bias)
                              + ops.matmul(h_in, self.recurrent_kernel))
        return out, (out if single else [out])


class LSTMCell(_GatedCell):
    """One step of a long short-term memory (Hochreiter and Schmidhuber, 1997).

    .. math::
        z &= x_t W + h_{t-1} U + b \\quad\\text{split into } z_i, z_f, z_c, z_o \\\\
        i, f, o &= \\sigma_r(z_i), \\sigma_r(z_f), \\sigma_r(z_o) \\\\
        c_t &= f \\odot c_{t-1} + i \\odot \\mathrm{activation}(z_c) \\\\
        h_t &= o \\odot \\mathrm{activation}(c_t)

    with :math:`\\sigma_r` the recurrent activation. States ``[h, c]``; the output is ``h``.

    Args:
        units: size of the output and of each state.
        activation, recurrent_activation: default tanh and sigmoid.
        unit_forget_bias: start the forget gate's bias at 1 (and the rest from
            ``bias_initializer``), as Jozefowicz et al. recommend.
        the rest: as ``SimpleRNNCell``.

    >>> cell = LSTMCell(3)
    >>> zeros = np.zeros((2, 3), "float32")
    >>> h, [h, c] = cell(np.ones((2, 4), "float32"), [zeros, zeros])
    >>> h.shape, cell.state_size, cell.bias.numpy()[3:6].tolist()
    ((2, 3), [3, 3], [1.0, 1.0, 1.0])
    """

    ARGUMENTS = ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
                 *_COMMON[1:], *_PENALTIES, "dropout", "recurrent_dropout", "seed")
    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        arguments = {k: v for k, v in locals().items() if k in LSTMCell.ARGUMENTS}
        super().__init__(arguments, **kwargs)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer
        ones = initializers_module.get("ones")

        def forget_bias_one(shape, dtype=None):
            return np.concatenate([init((units,), dtype=dtype), ones((units,), dtype=dtype),
                                   init((2 * units,), dtype=dtype)])

        return forget_bias_one

    def call(self, inputs, states, training=False):
        h, c = self._states(states)
        x, h_in = self._dropped(inputs, h, training)
        z = ops.linear(x, self.kernel, self.bias) + ops.matmul(h_in, self.recurrent_kernel)
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * g
        h = o * self.activation(c)
        return h, [h, c]


class GRUCell(_GatedCell):
    """One step of a gated recurrent unit (Cho et al., 2014), Keras's conventions.

    With ``reset_after=True`` (the default; cuDNN's and PyTorch's form) the reset gate
    multiplies the recurrent term after the matrix product, and input and recurrent terms
    have separate biases:

    .. math::
        z &= \\sigma_r(x_t W_z + b_z + h_{t-1} U_z + b'_z) \\\\
        r &= \\sigma_r(x_t W_r + b_r + h_{t-1} U_r + b'_r) \\\\
        \\tilde h &= \\mathrm{activation}(x_t W_h + b_h + r \\odot (h_{t-1} U_h + b'_h)) \\\\
        h_t &= z \\odot h_{t-1} + (1 - z) \\odot \\tilde h

    With ``reset_after=False`` (the original form) :math:`\\tilde h =
    \\mathrm{activation}(x_t W_h + b_h + (r \\odot h_{t-1}) U_h)` and one bias.

    Args:
        units, activation, recurrent_activation: as ``LSTMCell``.
        reset_after: where the reset gate applies (above).
        the rest: as ``SimpleRNNCell``.

    >>> cell = GRUCell(3)
    >>> h, [h] = cell(np.ones((2, 4), "float32"), [np.zeros((2, 3), "float32")])
    >>> h.shape, cell.bias.shape
    ((2, 3), (2, 9))
    """

    ARGUMENTS = ("units", "activation", "recurrent_activation", *_COMMON, *_PENALTIES,
                 "dropout", "recurrent_dropout", "reset_after", "seed")
    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        arguments = {k: v for k, v in locals().items() if k in GRUCell.ARGUMENTS}
        super().__init__(arguments, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        single = not isinstance(states, (list, tuple))
        (h,) = self._states(states)
        x, h_in = self._dropped(inputs, h, training)
        u, kernel_r = self.units, self.recurrent_kernel
        input_bias = recurrent_bias = None
        if self.bias is not None:
            input_bias, recurrent_bias = (self.bias[0], self.bias[1]) if self.reset_after \
                else (self.bias, None)
        mx = ops.linear(x, self.kernel, input_bias)
        if self.reset_after:
            mh = ops.linear(h_in, kernel_r, recurrent_bias)
        else:
            mh = ops.matmul(h_in, kernel_r[:, :2 * u])
        z = self.recurrent_activation(mx[:, :u] + mh[:, :u])
        r = self.recurrent_activation(mx[:, u:2 * u] + mh[:, u:2 * u])
        if self.reset_after:
            recurrent_h = r * mh[:, 2 * u:]
        else:
            recurrent_h = ops.matmul(r * h_in, kernel_r[:, 2 * u:])
        candidate = self.activation(mx[:, 2 * u:] + recurrent_h)
        h = z * h + (1 - z) * candidate
        return h, (h if single else [h])
