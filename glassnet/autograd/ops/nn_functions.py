"""Neural-network functions in the TensorFlow style (tf.nn): cross-entropies on logits,
moments, normalization, masks, gathers, norm clipping and segment sums.

Names and arguments are TensorFlow's (``labels``, ``logits``, ``axes``, ``batch_dims``).
The cross-entropies and segment sums are fused ops with their own backward; the rest are
compositions of ops whose gradients are already written, so they need none of their own.
Index arguments are checked up front, as TensorFlow does on CPU: an out-of-range index is a
ValueError, never a silent wrap-around or a raw NumPy IndexError.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.activation import stable_sigmoid
from glassnet.autograd.ops.elementwise import maximum, sqrt, where
from glassnet.autograd.ops.exponential import rsqrt
from glassnet.autograd.ops.indexing import getitem
from glassnet.autograd.ops.loss import SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy, _beside
from glassnet.autograd.ops.reduction import mean, sum, var
from glassnet.autograd.ops.shape import reshape, transpose
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "batch_normalization", "boolean_mask", "clip_by_global_norm", "clip_by_norm", "gather_nd",
    "l2_normalize", "moments", "segment_sum", "sequence_mask",
    "sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits", "unsorted_segment_sum",
]
# ``gather`` (tf.gather) is left out of __all__: the op library star-imports this module,
# and the name would hide its ``gather`` submodule; glassnet.tf imports it by name.


def _floating(x, op, name):
    x = constant(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be floating; received dtype {x.data.dtype}")
    return x


def _labels_like(labels, logits, op):
    """Dense labels as a tensor of the logits' shape and dtype (tf requires the same shape)."""
    labels = constant(labels, like=logits)
    if labels.shape != logits.shape:
        raise ValueError(f"{op}: labels and logits must have the same shape; received labels "
                         f"of shape {labels.shape} and logits of shape {logits.shape}")
    if labels.data.dtype != logits.data.dtype:
        labels = Tensor._from_op(labels.data.astype(logits.data.dtype), None)
    return labels


def _indices(indices, op, name="indices"):
    data = backend.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if data.size == 0 and data.dtype.kind == "f":
        data = data.astype(np.int64)  # [] holds no indices, not floats
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be integers; received dtype {data.dtype}")
    return data.astype(np.int64, copy=False)


def _check_range(index, size, op, what):
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index[(index < 0) | (index >= size)].reshape(-1)[0]
        raise ValueError(f"{op}: {what} must be in [0, {size}); received {bad}")


# -- cross-entropies on logits -----------------------------------------------------------


class SigmoidCrossEntropyWithLogits(Function):
    """Elementwise logistic loss of logits x against labels z in [0, 1].

    l = max(x, 0) - x * z + log1p(e**-|x|) (= -z log s - (1 - z) log(1 - s), s = sigmoid x,
    with no overflow and no log of 0);  dx = gy * (sigmoid(x) - z),  dz = -gy * x.
    """

    def forward(self, x, z):
        self.x, self.z = x, z
        return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))

    def backward(self, gy):
        need_x, need_z = self.needs_input_grad
        return (gy * (stable_sigmoid(self.x) - self.z) if need_x else None,
                -gy * self.x if need_z else None)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None) -> Tensor:
    """The logistic loss of each element, as ``tf.nn.sigmoid_cross_entropy_with_logits``.

    l = max(x, 0) - x * z + log(1 + e**-|x|), x = logits, z = labels (same shape);
    dl/dx = sigmoid(x) - z.

    >>> sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[0.0, 0.0]).tolist()
    [0.6931471824645996, 0.6931471824645996]
    """
    op = "sigmoid_cross_entropy_with_logits"
    if labels is None or logits is None:
        raise ValueError(f"{op}: both labels and logits must be given")
    logits = _floating(logits, op, "logits")
    return SigmoidCrossEntropyWithLogits()(logits, _labels_like(labels, logits, op))


def softmax_cross_entropy_with_logits(labels, logits, axis=-1) -> Tensor:
    """-sum_c labels_c * log_softmax(logits)_c along ``axis``: one loss per row.

    Labels are distributions over the classes (one-hot or soft), of the logits' shape;
    d/dlogits = softmax(logits) * sum(labels) - labels,  d/dlabels = -log_softmax(logits).

    >>> softmax_cross_entropy_with_logits([[0.0, 1.0]], [[0.0, 0.0]]).tolist()
    [0.6931471824645996]
    """
    op = "softmax_cross_entropy_with_logits"
    logits = _floating(logits, op, "logits")
    labels = _labels_like(labels, logits, op)
    if logits.ndim == 0:
        raise ValueError(f"{op}: logits need a class axis; received a scalar")
    (axis,) = normalize_axis(axis, logits.ndim, op)
    if axis != logits.ndim - 1:  # the fused op works on the last axis
        perm = [a for a in range(logits.ndim) if a != axis] + [axis]
        logits, labels = transpose(logits, perm), transpose(labels, perm)
    return SoftmaxCrossEntropy("none")(logits, labels)


def sparse_softmax_cross_entropy_with_logits(labels, logits) -> Tensor:
    """logsumexp(logits) - logits[label] per row, with integer class labels.

    labels: shape logits.shape[:-1], values in [0, classes);  d/dlogits = softmax - onehot.

    >>> sparse_softmax_cross_entropy_with_logits([1], [[0.0, 0.0]]).tolist()
    [0.6931471824645996]
    """
    op = "sparse_softmax_cross_entropy_with_logits"
    logits = _floating(logits, op, "logits")
    if logits.ndim == 0:
        raise ValueError(f"{op}: logits need a class axis; received a scalar")
    labels = _indices(labels, op, "labels")
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"{op}: labels must have shape {logits.shape[:-1]} (the logits' shape "
                         f"without the class axis); received labels of shape {labels.shape} "
                         f"for logits of shape {logits.shape}")
    _check_range(labels, logits.shape[-1], op, "labels")
    return SparseSoftmaxCrossEntropy(labels, "none")(logits)


# -- statistics and normalization --------------------------------------------------------


def moments(x, axes, keepdims=False) -> tuple[Tensor, Tensor]:
    """(mean, variance) of ``x`` over ``axes`` (the population variance, divided by n).

    >>> m, v = moments([1.0, 2.0, 3.0, 4.0], axes=[0])
    >>> m.item(), v.item()
    (2.5, 1.25)
    """
    x = _floating(x, "moments", "x")
    axes = normalize_axis(axes, x.ndim, "moments")
    return mean(x, axes, keepdims), var(x, axes, keepdims)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon) -> Tensor:
    """scale * (x - mean) / sqrt(variance + variance_epsilon) + offset (offset and scale may be
    None), computed as x * inv + (offset - mean * inv), inv = scale * rsqrt(var + eps), as tf.
    """
    x = _floating(x, "batch_normalization", "x")
    inv = rsqrt(constant(variance, like=x) + variance_epsilon)
    if scale is not None:
        inv = inv * constant(scale, like=x)
    shift = -constant(mean, like=x) * inv
    if offset is not None:
        shift = shift + constant(offset, like=x)
    return x * inv + shift


def l2_normalize(x, axis=None, epsilon=1e-12) -> Tensor:
    """x / sqrt(max(sum(x**2, axis), epsilon)): unit L2 norm along ``axis`` (None: all);
    epsilon keeps an all-zero slice at zero instead of dividing by 0.

    >>> l2_normalize([3.0, 4.0]).numpy().astype(float).round(3).tolist()
    [0.6, 0.8]
    """
    x = _floating(x, "l2_normalize", "x")
    axes = normalize_axis(axis, x.ndim, "l2_normalize")
    return x * rsqrt(maximum(sum(x * x, axes, keepdims=True), epsilon))


# -- gathers and masks --------------------------------------------------------------------


def _batch_grids(batch_shape, ndim, xp=np):
    """One index array per batch axis, each broadcastable to ``ndim`` dimensions, made by
    the array module ``xp`` (that of the data they index)."""
    return tuple(xp.arange(n).reshape((-1,) + (1,) * (ndim - k - 1))
                 for k, n in enumerate(batch_shape))


def _check_batch_dims(batch_dims, params, indices, op):
    if isinstance(batch_dims, bool) or not isinstance(batch_dims, (int, np.integer)):
        raise TypeError(f"{op}: batch_dims must be an integer; received {batch_dims!r}")
    b = int(batch_dims) + (indices.ndim if batch_dims < 0 else 0)
    if not 0 <= b <= min(params.ndim, indices.ndim) or params.shape[:b] != indices.shape[:b]:
        raise ValueError(f"{op}: batch_dims={batch_dims} needs the first dimensions of params "
                         f"{params.shape} and indices {indices.shape} to match")
    return b


def gather(params, indices, axis=None, batch_dims=0) -> Tensor:
    """Slices of ``params`` along ``axis`` (None: batch_dims) at ``indices``, as ``tf.gather``.

    out[b..., i..., rest...] = params[b..., indices[b..., i...], rest...] for the first
    ``batch_dims`` axes b; the gradient adds gy back at the gathered positions.

    >>> gather([[1.0, 2.0], [3.0, 4.0]], [1, 1, 0]).tolist()
    [[3.0, 4.0], [3.0, 4.0], [1.0, 2.0]]
    """
    params, indices = constant(params), _indices(indices, "gather")
    b = _check_batch_dims(batch_dims, params, indices, "gather")
    (axis,) = normalize_axis(b if axis is None else axis, params.ndim, "gather")
    if axis < b:
        raise ValueError(f"gather: axis {axis} must not be one of the {b} batch dimensions")
    _check_range(indices, params.shape[axis], "gather", f"indices along axis {axis}")
    indices = _beside(indices, params.data)
    if b == 0:
        return getitem(params, (slice(None),) * axis + (indices,))
    inner = indices.ndim - b
    xp = backend.get_array_module(params.data)
    grids = tuple(g.reshape(g.shape + (1,) * inner)
                  for g in _batch_grids(params.shape[:b], b, xp))
    lead = axis - b
    if not lead:
        return getitem(params, grids + (indices,))
    # NumPy puts the indexed axes first when index arrays are split by slices; so gather
    # with ``axis`` moved next to the batch axes, then move the axes between them back
    perm = list(range(b)) + [axis] + [a for a in range(b, params.ndim) if a != axis]
    out = getitem(transpose(params, perm), grids + (indices,))
    order = (list(range(b)) + list(range(b + inner, b + inner + lead))
             + list(range(b, b + inner)) + list(range(b + inner + lead, out.ndim)))
    return transpose(out, order)


def gather_nd(params, indices, batch_dims=0) -> Tensor:
    """Slices of ``params`` at the index tuples in the last axis of ``indices``.

    out[b..., i...] = params[b..., *indices[b..., i..., :]]: the result has shape
    indices.shape[:-1] + params.shape[batch_dims + indices.shape[-1]:]; the gradient adds gy
    back at the gathered positions (repeated indices accumulate).

    >>> gather_nd([[1.0, 2.0], [3.0, 4.0]], [[0, 1], [1, 0]]).tolist()
    [2.0, 3.0]
    """
    op = "gather_nd"
    params, indices = constant(params), _indices(indices, op)
    if indices.ndim == 0:
        raise ValueError(f"{op}: indices need at least one dimension (the index tuples)")
    b = _check_batch_dims(batch_dims, params, indices[..., 0] if indices.ndim else indices, op)
    depth = indices.shape[-1]
    if depth > params.ndim - b:
        raise ValueError(f"{op}: index tuples of length {depth} are too long for params of "
                         f"shape {params.shape} with batch_dims={b}")
    for k in range(depth):
        _check_range(indices[..., k], params.shape[b + k], op, f"indices[..., {k}]")
    indices = _beside(indices, params.data)
    grids = _batch_grids(params.shape[:b], indices.ndim - 1, backend.get_array_module(params.data))
    return getitem(params, grids + tuple(indices[..., k] for k in range(depth)))


def boolean_mask(tensor, mask, axis=None) -> Tensor:
    """The entries of ``tensor`` where the boolean ``mask`` is true.

    mask has shape tensor.shape[axis:axis + mask.ndim] (axis None: 0); those axes become one
    axis holding the selected entries in row-major order. The gradient of each selected
    entry is its gy; the others get 0.

    >>> boolean_mask([[1.0, 2.0], [3.0, 4.0]], [True, False]).tolist()
    [[1.0, 2.0]]
    """
    op = "boolean_mask"
    tensor = constant(tensor)
    mask = backend.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != bool:
        raise TypeError(f"{op}: mask must be boolean; received dtype {mask.dtype}")
    if mask.ndim == 0:
        raise ValueError(f"{op}: mask must have at least one dimension; received a scalar")
    axis = 0 if axis is None else normalize_axis(axis, tensor.ndim, op)[0]
    k = mask.ndim
    if tensor.shape[axis:axis + k] != mask.shape:
        raise ValueError(f"{op}: mask of shape {mask.shape} does not match dimensions "
                         f"{axis}..{axis + k - 1} of tensor of shape {tensor.shape}")
    merged = reshape(tensor, tensor.shape[:axis] + (-1,) + tensor.shape[axis + k:])
    return getitem(merged, (slice(None),) * axis + (_beside(mask.reshape(-1), tensor.data),))


def sequence_mask(lengths, maxlen=None, dtype=bool) -> Tensor:
    """mask[..., j] = j < lengths[...]: the first ``lengths`` positions of each row are true.

    The result has shape lengths.shape + (maxlen,) (maxlen None: max(lengths)); no gradient.

    >>> sequence_mask([1, 3], 4).numpy().astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    lengths = _indices(lengths, "sequence_mask", "lengths")
    if maxlen is None:
        maxlen = int(lengths.max()) if lengths.size else 0
    maxlen = int(_indices(maxlen, "sequence_mask", "maxlen"))
    if maxlen < 0:
        raise ValueError(f"sequence_mask: maxlen must be non-negative; received {maxlen}")
    mask = backend.get_array_module(lengths).arange(maxlen) < lengths[..., None]
    return Tensor._from_op(mask.astype(np.dtype(dtype), copy=False), None)


# -- norm clipping -------------------------------------------------------------------------


def _safe_norm(sum_sq):
    """sqrt(sum_sq), with a gradient of 0 (not infinite) where sum_sq is 0."""
    positive = sum_sq.data > 0
    return where(positive, sqrt(where(positive, sum_sq, 1.0)), 0.0)


def clip_by_norm(t, clip_norm, axes=None) -> Tensor:
    """t * clip_norm / max(||t||, clip_norm): rescaled so its L2 norm over ``axes`` (None:
    all) is at most ``clip_norm``; unchanged when it already is.

    >>> clip_by_norm([3.0, 4.0], 1.0).numpy().astype(float).round(3).tolist()
    [0.6, 0.8]
    """
    t = _floating(t, "clip_by_norm", "t")
    axes = normalize_axis(axes, t.ndim, "clip_by_norm")
    norm = _safe_norm(sum(t * t, axes, keepdims=True))
    return t * clip_norm / maximum(norm, clip_norm)


def clip_by_global_norm(t_list, clip_norm, use_norm=None) -> tuple[list, Tensor]:
    """(t_list scaled by clip_norm / max(global_norm, clip_norm), global_norm), with
    global_norm = sqrt(sum over the list of sum(t**2)) (or ``use_norm``). None entries stay
    None; a non-finite global norm makes every entry NaN, as tf.

    >>> clipped, norm = clip_by_global_norm([[3.0], [4.0]], 1.0)
    >>> norm.item(), clipped[1].tolist()
    (5.0, [0.800000011920929])
    """
    if isinstance(t_list, (Tensor, np.ndarray)) or not isinstance(t_list, (list, tuple)):
        raise TypeError(f"clip_by_global_norm: t_list must be a list or tuple of tensors; "
                        f"received {type(t_list).__name__}")
    tensors = [None if t is None else _floating(t, "clip_by_global_norm", "t_list entry")
               for t in t_list]
    present = [t for t in tensors if t is not None]
    if use_norm is None:
        if not present:
            raise ValueError("clip_by_global_norm: t_list holds no tensors")
        total = sum(present[0] * present[0])
        for t in present[1:]:
            total = total + sum(t * t)
        use_norm = sqrt(total)
    use_norm = constant(use_norm)
    scale = clip_norm / maximum(use_norm, clip_norm)
    scale = where(np.isfinite(use_norm.data), scale, np.nan)  # as tf: no norm, no clipping
    return [None if t is None else t * scale for t in tensors], use_norm


# -- segment sums ---------------------------------------------------------------------------


class UnsortedSegmentSum(Function):
    """out[k] = sum of data[i] over the i with ids[i] == k (ids of negative value dropped);
    d data[i] = gy[ids[i]] (0 for dropped rows).

    ``ids`` index the leading ``ids.ndim`` axes of data; those are flattened to one axis of
    rows, summed into ``num_segments`` rows by one ``np.add.at``.
    """

    def __init__(self, ids, num_segments):
        self.ids, self.num_segments = ids.reshape(-1), num_segments
        self.keep = self.ids >= 0
        self.id_shape = ids.shape

    def forward(self, data):
        xp = backend.get_array_module(data)
        if xp is not np and not backend.on_device(self.ids):  # host ids indexing device rows
            self.ids, self.keep = xp.asarray(self.ids), xp.asarray(self.keep)
        rest = data.shape[len(self.id_shape):]
        rows = data.reshape((-1,) + rest)
        out = xp.zeros((self.num_segments,) + rest, dtype=data.dtype)
        np.add.at(out, self.ids[self.keep], rows[self.keep])
        return out

    def backward(self, gy):
        g = backend.get_array_module(gy).zeros((self.ids.size,) + gy.shape[1:], dtype=gy.dtype)
        g[self.keep] = gy[self.ids[self.keep]]
        return g.reshape(self.id_shape + gy.shape[1:])


def _segment_ids(data, segment_ids, op):
    ids = _indices(segment_ids, op, "segment_ids")
    if data.shape[:ids.ndim] != ids.shape:
        raise ValueError(f"{op}: segment_ids of shape {ids.shape} must match the first "
                         f"dimensions of data of shape {data.shape}")
    return ids


def unsorted_segment_sum(data, segment_ids, num_segments) -> Tensor:
    """out[k] = sum of data[i] over the i with segment_ids[i] == k, k < num_segments; rows
    with a negative id are dropped (as tf). The ids need not be sorted.

    >>> unsorted_segment_sum([1.0, 2.0, 3.0], [1, 0, 1], 3).tolist()
    [2.0, 4.0, 0.0]
    """
    op = "unsorted_segment_sum"
    data = constant(data)
    ids = _segment_ids(data, segment_ids, op)
    num_segments = int(_indices(num_segments, op, "num_segments"))
    if num_segments < 0:
        raise ValueError(f"{op}: num_segments must be non-negative; received {num_segments}")
    if ids.size and ids.max() >= num_segments:
        raise ValueError(f"{op}: segment_ids must be < num_segments={num_segments}; "
                         f"received {ids.max()}")
    return UnsortedSegmentSum(ids, num_segments)(data)


def segment_sum(data, segment_ids) -> Tensor:
    """out[k] = sum of data[i] over the i with segment_ids[i] == k, for sorted non-negative
    ids; there are max(segment_ids) + 1 segments (empty ones are 0).

    >>> segment_sum([1.0, 2.0, 3.0], [0, 0, 2]).tolist()
    [3.0, 0.0, 3.0]
    """
    op = "segment_sum"
    data = constant(data)
    ids = _segment_ids(data, segment_ids, op)
    flat = ids.reshape(-1)
    if flat.size and (flat.min() < 0 or (np.diff(flat) < 0).any()):
        raise ValueError(f"{op}: segment_ids must be sorted and non-negative; received "
                         f"{flat.tolist() if flat.size <= 10 else flat}")
    return UnsortedSegmentSum(ids, int(flat.max()) + 1 if flat.size else 0)(data)
