"""The ONNX forms of the sequence layers, and the masks that travel with them.

- ``Embedding``: Gather on the ids (an integer graph input); ``mask_zero`` starts the mask
  Not(Equal(ids, 0)). ``Masking``: the mask "any feature differs from mask_value".
- ``LSTM``, ``GRU``, ``SimpleRNN`` and ``RNN`` over their cells (and ``StackedRNNCells``):
  ONNX's LSTM, GRU and RNN operators, one per cell, with Keras's weights re-laid out. ONNX
  takes W (directions, G * units, input) and R (directions, G * units, units), its LSTM gates in
  the order i, o, f, c (Keras: i, f, c, o), its GRU gates z, r, h (as Keras), B = [Wb, Rb]
  (for a GRU with ``reset_after`` Rb is the recurrent bias; ``linear_before_reset`` is
  ``reset_after``). ``go_backwards`` is direction="reverse"; ``Bidirectional`` of two halves
  of one kind is one operator with direction="bidirectional".
- ``TimeDistributed`` folds time into the batch around the wrapped layer; ``RepeatVector`` is
  an Expand; ``MultiHeadAttention``, ``Attention`` and ``AdditiveAttention`` are MatMul,
  Softmax, Transpose and Reshape, their masks a Where before and after the softmax (the causal
  mask a constant, or a Trilu of the actual lengths when they are dynamic);
  ``GlobalAveragePooling1D`` with a mask is a weighted sum.

Masks. A mask is a bool (batch, time) graph value computed from the inputs, so any padded
batch exports. ONNX's recurrent operators read the first ``sequence_lens[b]`` steps of each
sequence; Keras skips masked steps anywhere (left padding, holes), keeping the states over
them. The export is exact for any mask: the kept steps of each sequence are first gathered to
the front, in order (the permutation made from the mask with CumSum and ScatterElements), the
operator runs with sequence_lens = the number kept, and each output step is gathered back to
its time position: a kept step gets its own output, a masked one the output of the latest
kept step (Keras carries it over; zeros before the first, and under
``zero_output_for_mask``, as Keras). ONNX's Y_h is the state after the last kept step, which
is Keras's last output.
"""

from __future__ import annotations

import numpy as np

from glassnet.nn import activations
from glassnet.nn import layers as L
from glassnet.nn.layers.recurrent import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells

_OPERATORS = {LSTMCell: ("LSTM", 4), GRUCell: ("GRU", 3), SimpleRNNCell: ("RNN", 1)}
_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "softsign": "Softsign",
                "softplus": "Softplus", "elu": "Elu"}
_LSTM_GATES = [0, 3, 1, 2]  # ONNX's i, o, f, c among Keras's i, f, c, o
_TEXT = (L.TextVectorization, L.StringLookup, L.IntegerLookup)


def convert(b, layer, xs, shapes, masks, kwargs, dispatch):
    """``(output, output mask or None)`` of a call of a sequence layer (or of a layer a mask
    changes), or None when ``layer`` is none of them; ``dispatch(b, layer, xs, shapes)``
    converts a wrapped plain layer."""
    if isinstance(layer, L.Embedding):
        return _embedding(b, layer, xs[0])
    if isinstance(layer, L.Masking):
        return _masking(b, layer, xs[0])
    if isinstance(layer, L.Bidirectional):
        return _bidirectional(b, layer, xs, masks[0])
    if isinstance(layer, L.RNN):
        return _recurrent(b, layer, xs, masks[0])
    if isinstance(layer, L.TimeDistributed):
        return _time_distributed(b, layer, xs[0], shapes[0], dispatch), masks[0]
    if isinstance(layer, L.RepeatVector):
        shape = b.const(np.array([1, layer.n, 1], np.int64), "repeats")
        return b.op("Expand", [_unsqueeze(b, xs[0], 1), shape]), None
    if isinstance(layer, L.MultiHeadAttention):
        return _multi_head_attention(b, layer, xs, shapes, masks, kwargs), masks[0]
    if isinstance(layer, L.Attention):  # AdditiveAttention too
        return _attention(b, layer, xs, shapes, masks, kwargs), masks[0]
    if isinstance(layer, L.GlobalAveragePooling1D) and masks[0] is not None:
        return _masked_average(b, layer, xs[0], masks[0]), None
    if isinstance(layer, _TEXT):
        raise NotImplementedError("string preprocessing has no ONNX form; export the model "
                                  "after it and run the layer on the text before the model")
    return None


def passed_mask(b, layer, masks, shapes):
    """The mask of a plain layer's output, as its ``compute_mask``: merges combine their
    inputs' masks, the layers that support masking pass the first one on."""
    given = [m for m in masks if m is not None]
    if not given or not layer.supports_masking:
        return None
    if isinstance(layer, (L.Add, L.Subtract, L.Average)):
        if len(given) < len(masks):
            return None  # Keras 3: the OR of the masks when every input has one
        mask = given[0]
        for other in given[1:]:
            mask = b.op("Or", [mask, other])
        return mask
    if isinstance(layer, (L.Multiply, L.Maximum, L.Minimum)):
        raise NotImplementedError("masked values left out of a product, maximum or minimum")
    if isinstance(layer, L.Concatenate):
        if len(given) < len(masks):
            return None  # an input without a mask keeps every step
        if layer.axis % len(shapes[0]) != len(shapes[0]) - 1:  # along time they concatenate
            raise NotImplementedError(f"masks joined along axis {layer.axis}")
        mask = given[0]
        for other in given[1:]:
            mask = b.op("Or", [mask, other])
        return mask
    if type(layer)._overrides_compute_mask:
        raise NotImplementedError("its mask (compute_mask) has no ONNX form")
    return masks[0]


# -- small pieces ---------------------------------------------------------------------------

def _ints(b, values, base="ints"):
    return b.const(np.array(values, np.int64), base)


def _unsqueeze(b, x, axis):
    return b.op("Unsqueeze", [x, _ints(b, [axis], "axes")])


def _float(b, value):
    return b.const(np.array(value, np.float32))


def _cast(b, x, to):
    return b.op("Cast", [x], to=to)


def _dim(b, x, axis):
    """The size of axis ``axis`` of ``x`` at run time, as a 1-D int64 tensor."""
    return b.op("Slice", [b.op("Shape", [x]), _ints(b, [axis]), _ints(b, [axis + 1])])


def _reverse_time(b, x):
    big = np.iinfo(np.int64).max
    return b.op("Slice", [x, _ints(b, [-1]), _ints(b, [-big]), _ints(b, [1]), _ints(b, [-1])])


def _gather_time(b, x, index):
    """``x[b, index[b, t], ...]`` for a (batch, time) int64 index."""
    index = b.op("Expand", [_unsqueeze(b, index, 2), b.op("Shape", [x])])
    return b.op("GatherElements", [x, index], axis=1)


# -- Embedding and Masking ------------------------------------------------------------------

def _embedding(b, layer, x):
    ids = x if x in b.integers else _cast(b, x, b.types.INT64)
    dtype = b.integers.get(x, np.dtype(np.int64))
    out = b.op("Gather", [b.const(layer.embeddings.numpy(), "embeddings"), ids], axis=0)
    if not layer.mask_zero:
        return out, None
    return out, b.op("Not", [b.op("Equal", [ids, b.const(np.array(0, dtype), "pad_id")])])


def _masking(b, layer, x):
    differs = _cast(b, b.op("Not", [b.op("Equal", [x, _float(b, layer.mask_value)])]),
                    b.types.FLOAT)
    keep = b.reduce("ReduceMax", differs, [-1])  # (batch, time, 1): any feature differs
    mask = _cast(b, b.op("Squeeze", [keep, _ints(b, [-1], "axes")]), b.types.BOOL)
    return b.op("Mul", [x, keep]), mask


def _masked_average(b, layer, x, mask):
    """sum_t m_t x_t / max(sum_t m_t, 1), as Keras's masked mean."""
    if layer.data_format != "channels_last":
        raise NotImplementedError("channels_first global pooling with a mask")
    weights = _cast(b, mask, b.types.FLOAT)
    count = b.op("Max", [b.reduce("ReduceSum", weights, [1]), _float(b, 1.0)])
    weights = _unsqueeze(b, b.op("Div", [weights, count]), 2)
    return b.reduce("ReduceSum", b.op("Mul", [x, weights]), [1], int(layer.keepdims))


# -- recurrent layers -----------------------------------------------------------------------

def _cells(layer):
    """The built-in cells a recurrent layer runs, bottom first."""
    if isinstance(layer, L.ConvLSTM2D):
        raise NotImplementedError("a convolutional recurrence (ONNX's recurrent operators are "
                                  "dense)")
    cell = layer.cell
    cells = cell.cells if isinstance(cell, StackedRNNCells) else [cell]
    for c in cells:
        if type(c) not in _OPERATORS:
            raise NotImplementedError(f"the cell {type(c).__name__} has no ONNX operator "
                                      f"(LSTMCell, GRUCell and SimpleRNNCell have)")
    return cells


def _check_recurrent(layer, xs):
    if layer.stateful:
        raise NotImplementedError("stateful: the carried states are not part of an ONNX "
                                  "graph; export a stateless copy with the same weights")
    if layer.return_state:
        raise NotImplementedError("return_state")
    if len(xs) > 1:
        raise NotImplementedError("initial_state")
    return _cells(layer)


def _activation_names(cell):
    """ONNX's names of the cell's activations, in its operator's order (f, g, h)."""
    if type(cell) is LSTMCell:
        fns = [cell.recurrent_activation, cell.activation, cell.activation]
    elif type(cell) is GRUCell:
        fns = [cell.recurrent_activation, cell.activation]
    else:
        fns = [cell.activation]
    names = []
    for fn in fns:
        name = activations.serialize(fn)
        if name not in _ACTIVATIONS:
            raise NotImplementedError(f"activation '{name}' in a recurrent operator")
        names.append(_ACTIVATIONS[name])
    return names


def _onnx_weights(cell):
    """W (G * u, input), R (G * u, u) and B (2 G * u,) of one cell in ONNX's layout."""
    units = cell.units
    kernel, recurrent = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    gates = _OPERATORS[type(cell)][1]
    zeros = np.zeros(gates * units, kernel.dtype)
    bias = cell.bias.numpy() if cell.bias is not None else None
    if type(cell) is GRUCell and cell.reset_after:
        input_bias, recurrent_bias = (bias[0], bias[1]) if bias is not None else (zeros, zeros)
    else:
        input_bias, recurrent_bias = (bias if bias is not None else zeros), zeros
    if type(cell) is LSTMCell:
        def reorder(a):
            return a.reshape(*a.shape[:-1], 4, units)[..., _LSTM_GATES, :].reshape(a.shape)
        kernel, recurrent, input_bias = reorder(kernel), reorder(recurrent), reorder(input_bias)
    return kernel.T, recurrent.T, np.concatenate([input_bias, recurrent_bias])


def _same_kind(a, b):
    return (type(a) is type(b) and a.units == b.units
            and _activation_names(a) == _activation_names(b)
            and getattr(a, "reset_after", None) == getattr(b, "reset_after", None))


def _operator(b, cells, reverses, x, lengths):
    """One ONNX recurrent operator over time-major ``x`` (time, batch, features), one cell
    per direction; per direction the time-major outputs (time, batch, units) and the final
    output (batch, units)."""
    cell = cells[0]
    op, _ = _OPERATORS[type(cell)]
    weights = [_onnx_weights(c) for c in cells]
    w, r, bias = (b.const(np.stack([wt[i] for wt in weights]), n)
                  for i, n in enumerate(("W", "R", "B")))
    direction = "bidirectional" if len(cells) == 2 else ("reverse" if reverses[0]
                                                         else "forward")
    attrs = {"linear_before_reset": int(cell.reset_after)} if op == "GRU" else {}
    y, y_h = b.op(op, [x, w, r, bias, lengths], outputs=2, hidden_size=cell.units,
                  direction=direction, activations=sum((_activation_names(c) for c in cells),
                                                       []), **attrs)
    index = [b.const(np.array(d, np.int64), "direction") for d in range(len(cells))]
    return [(b.op("Gather", [y, i], axis=1), b.op("Gather", [y_h, i], axis=0)) for i in index]


class _Compaction:
    """The kept steps of each sequence moved to its front, in order, and back (see the
    module's docstring)."""

    def __init__(self, b, x, mask):
        self.b, self.mask = b, mask
        kept = _cast(b, mask, b.types.INT64)
        self.kept, self.cumsum = kept, b.op("CumSum", [kept, _ints(b, 1, "axis")])
        self.count = b.reduce("ReduceSum", kept, [1])  # (batch, 1)
        zero, one = _ints(b, 0), _ints(b, 1)
        steps = b.op("Range", [zero, b.op("Squeeze", [_dim(b, mask, 1)]), one])  # (time,)
        # a kept step goes to (kept before it), a masked one after every kept step, in order
        target = b.op("Where", [mask, b.op("Sub", [self.cumsum, one]),
                                b.op("Add", [self.count, b.op("Sub", [steps, self.cumsum])])])
        steps = b.op("Expand", [steps, b.op("Shape", [mask])])
        source = b.op("ScatterElements", [steps, target, steps], axis=1)
        self.x = _gather_time(b, x, source)
        self.lengths = _cast(b, b.op("Squeeze", [self.count, _ints(b, [1], "axes")]),
                             b.types.INT32)

    def restore(self, y, backwards, zero_output):
        """The (batch, time, units) outputs in time order from the compacted ones."""
        b = self.b
        if backwards:  # the latest kept step in processing order is the next one in time
            index = b.op("Sub", [self.cumsum, self.kept])
            valid = b.op("Less", [index, self.count])
            index = b.op("Min", [index, b.op("Sub", [_dim(b, self.mask, 1), _ints(b, 1)])])
        else:
            index = b.op("Max", [b.op("Sub", [self.cumsum, _ints(b, 1)]), _ints(b, 0)])
            valid = b.op("Greater", [self.cumsum, _ints(b, 0)])
        keep = _unsqueeze(b, self.mask if zero_output else valid, 2)
        return b.op("Where", [keep, _gather_time(b, y, index), _float(b, 0.0)])


def _run(b, halves, x, mask):
    """Each recurrent layer of ``halves`` over ``x`` (batch, time, features): per layer its
    outputs in time order (batch, time, units) if it returns sequences, and its last output."""
    compaction = _Compaction(b, x, mask) if mask is not None else None
    xt = b.op("Transpose", [compaction.x if compaction else x], perm=[1, 0, 2])
    lengths = compaction.lengths if compaction else ""
    stacks = [_cells(layer) for layer in halves]
    if len(halves) == 2 and all(len(s) == 1 for s in stacks) and _same_kind(
            stacks[0][0], stacks[1][0]) and not halves[0].go_backwards \
            and halves[1].go_backwards:
        runs = _operator(b, [stacks[0][0], stacks[1][0]], [False, True], xt, lengths)
    else:
        runs = []
        for layer, cells in zip(halves, stacks):
            y = xt
            for cell in cells:  # a stack feeds each cell's outputs to the next
                ((y, last),) = _operator(b, [cell], [layer.go_backwards], y, lengths)
            runs.append((y, last))
    results = []
    for layer, (y, last) in zip(halves, runs):
        sequence = None
        if layer.return_sequences:
            sequence = b.op("Transpose", [y], perm=[1, 0, 2])
            if compaction is not None:
                sequence = compaction.restore(sequence, layer.go_backwards,
                                              layer.zero_output_for_mask)
        results.append((sequence, last))
    return results


def _recurrent(b, layer, xs, mask):
    _check_recurrent(layer, xs)
    ((sequence, last),) = _run(b, [layer], xs[0], mask)
    if not layer.return_sequences:
        return last, None
    # Keras returns a backward layer's outputs in processing order
    return (_reverse_time(b, sequence) if layer.go_backwards else sequence), mask


def _bidirectional(b, layer, xs, mask):
    forward, backward = layer.forward_layer, layer.backward_layer
    for half in (forward, backward):
        _check_recurrent(half, xs)
    if layer.merge_mode is None:
        raise NotImplementedError("merge_mode=None (two outputs)")
    (y, y_last), (y_rev, y_rev_last) = _run(b, [forward, backward], xs[0], mask)
    if layer.return_sequences:
        # each half in Keras's order; the backward half's is reversed back into time order
        if forward.go_backwards:
            y = _reverse_time(b, y)
        if not backward.go_backwards:
            y_rev = _reverse_time(b, y_rev)
    else:
        y, y_rev = y_last, y_rev_last
    mode = layer.merge_mode
    if mode == "concat":
        out = b.op("Concat", [y, y_rev], axis=-1)
    elif mode == "sum":
        out = b.op("Add", [y, y_rev])
    elif mode == "mul":
        out = b.op("Mul", [y, y_rev])
    else:  # ave
        out = b.op("Mul", [b.op("Add", [y, y_rev]), _float(b, 0.5)])
    return out, (mask if layer.return_sequences else None)


def _time_distributed(b, layer, x, shape, dispatch):
    """The wrapped layer on (batch * time, ...), unfolded to (batch, time, ...) by the
    run-time batch and time sizes."""
    step = (None, *shape[2:])
    out = () if None in step[1:] else tuple(layer.layer.compute_output_shape(step))[1:]
    if None in step[1:] or None in out:
        raise NotImplementedError("a wrapped layer with unknown step sizes")
    folded = b.op("Reshape", [x, _ints(b, [-1, *shape[2:]], "shape")])
    y = dispatch(b, layer.layer, [folded], [step])
    batch_time = b.op("Slice", [b.op("Shape", [x]), _ints(b, [0]), _ints(b, [2])])
    return b.op("Reshape", [y, b.op("Concat", [batch_time, _ints(b, list(out))], axis=0)])


# -- attention ------------------------------------------------------------------------------

def _causal(b, query, value, shapes):
    """(T, S) bool, True where key j <= query i: a constant for known lengths, else the lower
    triangle (Trilu) of ones of the actual lengths."""
    t, s = shapes[0][1], shapes[1][1]
    if t is not None and s is not None:
        return b.const(np.tri(t, s, dtype=bool), "causal")
    size = b.op("Concat", [_dim(b, query, 1), _dim(b, value, 1)], axis=0)
    ones = b.op("ConstantOfShape", [size],
                value=b.numpy_helper.from_array(np.ones(1, np.float32)))
    return _cast(b, b.op("Trilu", [ones], upper=0), b.types.BOOL)


def _and(b, masks):
    masks = [m for m in masks if m is not None]
    out = masks[0] if masks else None
    for m in masks[1:]:
        out = b.op("And", [out, m])
    return out


def _options(layer, kwargs):
    extra = sorted(k for k, v in kwargs.items() if k != "use_causal_mask" and v is not False)
    if extra:
        raise NotImplementedError(f"a call with {', '.join(extra)}")
    return bool(kwargs.get("use_causal_mask", False))


def _heads(b, dense, x, perm):
    """A projection (batch, L, features) -> heads, transposed by ``perm`` from
    (batch, L, heads, size)."""
    kernel = dense.kernel.numpy()
    y = b.op("MatMul", [x, b.const(kernel.reshape(kernel.shape[0], -1), "kernel")])
    if dense.bias is not None:
        y = b.op("Add", [y, b.const(dense.bias.numpy().reshape(-1), "bias")])
    y = b.op("Reshape", [y, _ints(b, [0, 0, *dense.output_dims], "shape")])
    name = activations.serialize(dense.activation)
    if name == "sigmoid":  # the gate's, the one activation a projection has
        y = b.op("Sigmoid", [y])
    elif name != "linear":
        raise NotImplementedError(f"a projection with activation '{name}'")
    return b.op("Transpose", [y], perm=perm) if perm else y


def _multi_head_attention(b, layer, xs, shapes, masks, kwargs):
    causal = _options(layer, kwargs)
    if layer._input_rank != 3:
        raise NotImplementedError("inputs of rank > 3 (attention_axes)")
    if layer._sliding_window is not None:
        raise NotImplementedError("sliding_window")
    query, value, key = xs[:3]
    q = _heads(b, layer.query_dense, query, [0, 2, 1, 3])  # (B, N, T, H)
    k = _heads(b, layer.key_dense, key, [0, 2, 3, 1])  # (B, N, H, S)
    v = _heads(b, layer.value_dense, value, [0, 2, 1, 3])  # (B, N, S, Hv)
    if layer._kv_heads and layer._kv_heads != layer.num_heads:  # GroupQueryAttention
        k = _repeat_heads(b, k, layer, [0, layer.num_heads, layer.key_dim, -1])
        v = _repeat_heads(b, v, layer, [0, layer.num_heads, -1, layer.value_dim])
    scores = b.op("MatMul", [b.op("Mul", [q, _float(b, layer._scale)]), k])  # (B, N, T, S)
    parts = [None if masks[0] is None else _unsqueeze(b, _unsqueeze(b, masks[0], 1), 3),
             None if masks[1] is None else _unsqueeze(b, _unsqueeze(b, masks[1], 1), 2),
             None if masks[2] is None or key == value
             else _unsqueeze(b, _unsqueeze(b, masks[2], 1), 2),
             _causal(b, query, value, shapes) if causal else None]
    if len(xs) > 3:  # attention_mask (B, T, S): True = may attend
        given = _cast(b, xs[3], b.types.BOOL)
        parts.append(_unsqueeze(b, given, 1) if len(shapes[3]) == 3 else given)
    mask = _and(b, parts)
    if mask is None:
        weights = b.op("Softmax", [scores], axis=-1)
    else:  # a query with no key left gets weights 0, as Keras's masked softmax
        weights = b.op("Softmax", [b.op("Where", [mask, scores, _float(b, -1e9)])], axis=-1)
        weights = b.op("Where", [mask, weights, _float(b, 0.0)])
    out = b.op("Transpose", [b.op("MatMul", [weights, v])], perm=[0, 2, 1, 3])  # (B,T,N,Hv)
    if layer._use_gate:
        out = b.op("Mul", [out, _heads(b, layer._gate_dense, query, None)])
    dense = layer.output_dense
    kernel = dense.kernel.numpy()
    out = b.op("Reshape", [out, _ints(b, [0, 0, -1], "shape")])
    out = b.op("MatMul", [out, b.const(kernel.reshape(-1, int(np.prod(dense.output_dims))),
                                       "kernel")])
    if dense.bias is not None:
        out = b.op("Add", [out, b.const(dense.bias.numpy().reshape(-1), "bias")])
    if len(dense.output_dims) > 1:
        out = b.op("Reshape", [out, _ints(b, [0, 0, *dense.output_dims], "shape")])
    return out


def _repeat_heads(b, x, layer, shape):
    """(B, G, ., .) -> (B, N, ., .), each key/value head repeated for its group of query
    heads (0, 0, 1, 1, ...): Unsqueeze, Expand along the new axis, Reshape."""
    groups = layer.num_heads // layer._kv_heads
    x = b.op("Expand", [_unsqueeze(b, x, 2), _ints(b, [1, 1, groups, 1, 1], "repeats")])
    return b.op("Reshape", [x, _ints(b, shape, "shape")])


def _attention(b, layer, xs, shapes, masks, kwargs):
    """Luong's (dot or concat scores) and Bahdanau's attention, with Keras's masking:
    scores - 1e9 at masked values (and later steps, causal), zeros at masked queries."""
    causal = _options(layer, kwargs)
    query, value = xs[0], xs[1]
    key = xs[2] if len(xs) > 2 else value
    if isinstance(layer, L.AdditiveAttention) or layer.score_mode == "concat":
        pairs = b.op("Add", [_unsqueeze(b, query, 2), _unsqueeze(b, key, 1)])  # (B, Tq, Tv, d)
        if isinstance(layer, L.AdditiveAttention):
            pairs = b.op("Tanh", [pairs])
            if layer.scale is not None:
                pairs = b.op("Mul", [pairs, b.const(layer.scale.numpy(), "scale")])
        else:
            if layer.scale is not None:
                pairs = b.op("Mul", [pairs, b.const(layer.scale.numpy(), "scale")])
            pairs = b.op("Mul", [b.op("Tanh", [pairs]),
                                 b.const(layer.concat_score_weight.numpy(), "weight")])
        scores = b.reduce("ReduceSum", pairs, [-1], 0)
    else:
        scores = b.op("MatMul", [query, b.op("Transpose", [key], perm=[0, 2, 1])])
        if layer.scale is not None:
            scores = b.op("Mul", [scores, b.const(layer.scale.numpy(), "scale")])
    mask = _and(b, [None if masks[1] is None else _unsqueeze(b, masks[1], 1),
                    _causal(b, query, value, shapes) if causal else None])
    if mask is not None:
        scores = b.op("Where", [mask, scores, b.op("Sub", [scores, _float(b, 1e9)])])
    out = b.op("MatMul", [b.op("Softmax", [scores], axis=-1), value])
    if masks[0] is not None:
        out = b.op("Where", [_unsqueeze(b, masks[0], 2), out, _float(b, 0.0)])
    return out
