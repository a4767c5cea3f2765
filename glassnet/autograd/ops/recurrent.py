"""``lstm``, ``gru`` and ``simple_rnn``: an LSTM, a GRU and a simple RNN over a whole
sequence, each one op with backpropagation through time written by hand.

The formulas, forward and backward, are in the ``Function`` classes :class:`LSTM`,
:class:`GRU` and :class:`SimpleRNN` of ``glassnet.autograd.ops.recurrent_functions``; they are
importable from here too, as the keys of the kernels table (``glassnet.kernels.recurrent``
holds the faster ones that replace them). The wrappers here check the arguments (Keras's
batch-major layouts: ``x`` (batch, time, features), states (batch, units), ``kernel``
(features, G * units), ``recurrent_kernel`` (units, G * units)), give them one float dtype,
run the op and take its packed result apart into the sequence and the final states.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops.recurrent_functions import GRU, LSTM, RecurrentOutput, SimpleRNN
from glassnet.autograd.tensor import Tensor

__all__ = ["gru", "lstm", "simple_rnn"]


def _float_tensors(op, named):
    """The named arguments as tensors of one float dtype: that of the first tensor that
    requires grad (else of the first float tensor, else floatx); the others are cast to it,
    but a tensor that requires grad must already have it."""
    given = {k: v for k, v in named.items() if v is not None}
    tensors = [t for t in given.values() if isinstance(t, Tensor)]
    lead = next((t for t in tensors if t.requires_grad),
                next((t for t in tensors if t.data.dtype.kind == "f"), None))
    dtype = lead.data.dtype if lead is not None else np.dtype(backend.floatx())
    out = {}
    for name, value in given.items():
        data = value.data if isinstance(value, Tensor) else backend.asarray(value)
        if data.dtype.kind not in "fiub":
            raise TypeError(f"{op}: {name} must be a floating-point tensor; received dtype "
                            f"{data.dtype}")
        if data.dtype == dtype and isinstance(value, Tensor):
            out[name] = value
        elif isinstance(value, Tensor) and value.requires_grad:
            raise TypeError(f"{op}: all inputs must have one floating dtype; received "
                            f"{name} of dtype {data.dtype} with others of {dtype}")
        else:
            out[name] = Tensor._from_op(data.astype(dtype), None)
    return out, dtype


def _check_shape(op, name, t, expected):
    if tuple(t.shape) != tuple(expected):
        shown = tuple("?" if e is None else e for e in expected)
        raise ValueError(f"{op}: expected {name} of shape {shown}; received shape "
                         f"{tuple(t.shape)}")


def _constant_array(op, name, value, shape, dtype, like):
    """A mask argument as an array of ``shape`` (bool when dtype is bool) on the device of
    the array ``like``, or None."""
    if value is None:
        return None
    data = backend.asarray(value.data if isinstance(value, Tensor) else value)
    if backend.on_device(like) and not backend.on_device(data):
        data = backend.to_device(data, backend.device_of(like))
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must be a bool or numeric array; received dtype "
                        f"{data.dtype}")
    if data.shape != tuple(shape):
        raise ValueError(f"{op}: expected {name} of shape {tuple(shape)}; received shape "
                         f"{data.shape}")
    return data.astype(dtype, copy=False) if dtype is not bool else data != 0


def _run(op_class, op, gates, named, bias_shape, mask, reverse, dropout_masks, **options):
    """Check the arguments, run the op (its fast kernel inside a training/inference block)
    and take the results apart: [sequence, final state, ...]."""
    tensors, dtype = _float_tensors(op, named)
    x = tensors["x"]
    if x.ndim != 3:
        raise ValueError(f"{op}: expected x of shape (batch, time, features); received "
                         f"shape {tuple(x.shape)}")
    batch, time, features = x.shape
    rk = tensors["recurrent_kernel"]
    if rk.ndim != 2 or rk.shape[1] != gates * rk.shape[0]:
        raise ValueError(f"{op}: expected recurrent_kernel of shape (units, {gates} * units); "
                         f"received shape {tuple(rk.shape)}")
    units = rk.shape[0]
    _check_shape(op, "kernel", tensors["kernel"], (features, gates * units))
    # zero states and masks go where the op runs: beside any input on a GPU
    like = next((t.data for t in tensors.values() if backend.on_device(t.data)), x.data)
    states = [k for k in ("h0", "c0") if k in named]
    for k in states:
        if k not in tensors:
            zeros = backend.get_array_module(like).zeros((batch, units), dtype)
            tensors[k] = Tensor._from_op(zeros, None)
        _check_shape(op, k, tensors[k], (batch, units))
    if "bias" in tensors:
        _check_shape(op, "bias", tensors["bias"], bias_shape(units))
    if not isinstance(reverse, (bool, np.bool_)):
        raise TypeError(f"{op}: reverse must be True or False; received {reverse!r}")
    input_mask, recurrent_mask = dropout_masks
    function = backend.kernel_for(op_class)(
        mask=_constant_array(op, "mask", mask, (batch, time), bool, like),
        reverse=bool(reverse),
        input_dropout_mask=_constant_array(op, "input_dropout_mask", input_mask,
                                           (batch, features), dtype, like),
        recurrent_dropout_mask=_constant_array(op, "recurrent_dropout_mask", recurrent_mask,
                                               (batch, units), dtype, like), **options)
    inputs = [tensors[k] for k in ("x", *states, "kernel", "recurrent_kernel", "bias")
              if k in tensors]
    packed = function(*inputs)
    n = batch * time * units
    results = [RecurrentOutput(0, (batch, time, units))(packed)]
    for k in range(len(states)):
        results.append(RecurrentOutput(n + k * batch * units, (batch, units))(packed))
    return tuple(results)


def lstm(x, h0, c0, kernel, recurrent_kernel, bias=None, mask=None, reverse=False,
         input_dropout_mask=None, recurrent_dropout_mask=None):
    """An LSTM over a whole sequence (Keras's ``LSTM`` with tanh and sigmoid); see
    :class:`LSTM` for the formulas.

    Args:
        x: (batch, time, features).  h0, c0: (batch, units) initial states (None: zeros).
        kernel: (features, 4 * units), recurrent_kernel: (units, 4 * units), bias:
            (4 * units,) or None; gate blocks i, f, c, o.
        mask: (batch, time) bool or None: False steps carry the states over and repeat the
            previous output (0 before the first kept step), as Keras.
        reverse: run from the last step to the first; the outputs come in that order.
        input_dropout_mask: (batch, features), multiplied into x at every step;
            recurrent_dropout_mask: (batch, units), into h before the recurrent product.
    Returns:
        (sequence (batch, time, units), h (batch, units), c (batch, units)).

    >>> import numpy as np
    >>> x = np.ones((2, 5, 3), np.float32)
    >>> k, rk = np.full((3, 16), 0.1, np.float32), np.zeros((4, 16), np.float32)
    >>> seq, h, c = lstm(x, None, None, k, rk)
    >>> seq.shape, h.shape
    ((2, 5, 4), (2, 4))
    """
    return _run(LSTM, "lstm", 4, dict(x=x, h0=h0, c0=c0, kernel=kernel,
                                      recurrent_kernel=recurrent_kernel, bias=bias),
                lambda u: (4 * u,), mask, reverse,
                (input_dropout_mask, recurrent_dropout_mask))


def gru(x, h0, kernel, recurrent_kernel, bias=None, mask=None, reverse=False,
        reset_after=True, input_dropout_mask=None, recurrent_dropout_mask=None):
    """A GRU over a whole sequence (Keras's ``GRU`` with tanh and sigmoid); see :class:`GRU`.

    Args as :func:`lstm` (gate blocks z, r, h; no c0), and ``reset_after``: True (Keras's
    default) applies the reset gate after the recurrent product and takes a bias of shape
    (2, 3 * units): row 0 the input bias, row 1 the recurrent bias; False, before it, with a
    bias of shape (3 * units,).
    Returns:
        (sequence (batch, time, units), h (batch, units)).

    >>> import numpy as np
    >>> x = np.ones((2, 5, 3), np.float32)
    >>> k, rk = np.full((3, 12), 0.1, np.float32), np.zeros((4, 12), np.float32)
    >>> seq, h = gru(x, None, k, rk, np.zeros((2, 12), np.float32))
    >>> h.shape
    (2, 4)
    """
    if not isinstance(reset_after, (bool, np.bool_)):
        raise TypeError(f"gru: reset_after must be True or False; received {reset_after!r}")
    return _run(GRU, "gru", 3, dict(x=x, h0=h0, kernel=kernel,
                                    recurrent_kernel=recurrent_kernel, bias=bias),
                lambda u: (2, 3 * u) if reset_after else (3 * u,), mask, reverse,
                (input_dropout_mask, recurrent_dropout_mask), reset_after=bool(reset_after))


def simple_rnn(x, h0, kernel, recurrent_kernel, bias=None, activation="tanh", mask=None,
               reverse=False, input_dropout_mask=None, recurrent_dropout_mask=None):
    """A simple RNN over a whole sequence (Keras's ``SimpleRNN``); see :class:`SimpleRNN`.

    Args as :func:`gru` (one gate block: kernel (features, units)), and ``activation``:
    "tanh" (Keras's default) or "relu".
    Returns:
        (sequence (batch, time, units), h (batch, units)).

    >>> import numpy as np
    >>> seq, h = simple_rnn(np.ones((2, 5, 3)), None, np.ones((3, 4)), np.eye(4) * 0.5)
    >>> seq.shape
    (2, 5, 4)
    """
    if activation not in ("tanh", "relu"):
        raise ValueError(f"simple_rnn: activation must be 'tanh' or 'relu' (other "
                         f"activations run as a cell loop); received {activation!r}")
    return _run(SimpleRNN, "simple_rnn", 1, dict(x=x, h0=h0, kernel=kernel,
                                                 recurrent_kernel=recurrent_kernel,
                                                 bias=bias),
                lambda u: (u,), mask, reverse, (input_dropout_mask, recurrent_dropout_mask),
                activation=activation)
