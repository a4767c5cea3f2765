"""Loss primitives: a per-sample loss, then a reduction over the batch.

A sample's loss is the mean over the last axis of the elementwise loss (Keras's convention;
for 1-D inputs every element is a sample), except for the cross-entropies, which sum over the
class axis. ``reduction`` is "mean" (default), "sum" or "none" (the per-sample losses).

The cross-entropies from logits are fused ops: their gradient with respect to the logits,
softmax(z) - y (or sigmoid(z) - y), is exact and cheaper than the chain through log and exp.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.ops.activation import stable_sigmoid
from glassnet.autograd.ops.elementwise import abs, clip, log, maximum
from glassnet.autograd.ops.reduction import mean, sum
from glassnet.autograd.tensor import Function, Tensor

REDUCTIONS = ("mean", "sum", "none")
EPSILON = 1e-7  # Keras's epsilon(): probabilities are clipped to [eps, 1 - eps] before log


def _beside(array, like):
    """``array`` (labels, an index made on the host) on the device of the array ``like``."""
    if backend.on_device(like) and not backend.on_device(array):
        return backend.to_device(array, backend.device_of(like))
    return array


def _check_reduction(reduction, op):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}. Received: {reduction!r}")


def _reduce(per_sample, reduction):
    if reduction == "mean":
        return backend.asarray(per_sample.sum() / per_sample.size)
    if reduction == "sum":
        return backend.asarray(per_sample.sum())
    return per_sample


def _per_sample_grad(gy, n_samples, reduction):
    """d(reduced loss) / d(per-sample loss): gy / N for the mean, gy otherwise."""
    return gy / n_samples if reduction == "mean" else gy


def _reduce_tensor(per_sample, reduction):
    if reduction == "mean":
        return mean(per_sample)
    if reduction == "sum":
        return sum(per_sample)
    return per_sample


def _sample_mean(elementwise):
    return mean(elementwise, axis=-1) if elementwise.ndim >= 2 else elementwise


def _same_shape(y_true, y_pred, op):
    y_pred = constant(y_pred)
    y_true = constant(y_true, like=y_pred)
    if y_true.shape != y_pred.shape:
        hint = ""
        if "categorical" in op and y_true.ndim == y_pred.ndim - 1:
            hint = (f". These look like integer class labels: use sparse_{op}, or one-hot "
                    f"encode them with to_categorical(y, {y_pred.shape[-1]})")
        raise ValueError(
            f"{op}: y_true and y_pred must have the same shape; received y_true of shape "
            f"{y_true.shape} and y_pred of shape {y_pred.shape}{hint}"
        )
    if y_pred.data.dtype.kind != "f":
        raise TypeError(f"{op}: y_pred must be floating; received dtype {y_pred.data.dtype}")
    if y_true.data.dtype != y_pred.data.dtype:
        y_true = Tensor._from_op(y_true.data.astype(y_pred.data.dtype), None)
    return y_true, y_pred


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(z) against target distributions y, fused.

    loss_i = -sum_c y_ic * log_softmax(z_i)_c = sum_c y_ic * lse(z_i) - sum_c y_ic z_ic.
    dz = g_i * (p_i * sum_c y_ic - y_i), which is (p - y) / N for one-hot rows and the mean;
    dy = -g_i * log_softmax(z_i).
    """

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, z, y):
        shifted = z - z.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        sum_e = e.sum(axis=-1, keepdims=True)
        self.log_p = shifted - np.log(sum_e)
        self.p = e / sum_e
        self.y = y
        return _reduce(-(y * self.log_p).sum(axis=-1), self.reduction)

    def backward(self, gy):
        need_z, need_y = self.needs_input_grad
        n = self.p.size // self.p.shape[-1]
        g = _per_sample_grad(gy, n, self.reduction)
        g = g[..., None] if self.reduction == "none" else g
        y = self.y
        return (
            g * (self.p * y.sum(axis=-1, keepdims=True) - y) if need_z else None,
            -g * self.log_p if need_y else None,
        )


class SparseSoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(z) against integer class labels, fused.

    loss_i = lse(z_i) - z_i[label_i];  dz = g_i * (p_i - onehot(label_i)).
    """

    def __init__(self, labels, reduction):
        self.labels, self.reduction = labels, reduction

    def forward(self, z):
        xp = backend.get_array_module(z)
        if xp is not np and not backend.on_device(self.labels):  # host labels, device logits
            self.labels = xp.asarray(self.labels)
        n_classes = z.shape[-1]
        # Position of each sample's true class in the flattened logits: one fancy index
        # instead of a one-hot matrix.
        self.picked = xp.arange(self.labels.size) * n_classes + self.labels.reshape(-1)
        shifted = z - z.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        sum_e = e.sum(axis=-1, keepdims=True)
        self.p = e / sum_e
        true_logit = shifted.reshape(-1)[self.picked].reshape(self.labels.shape)
        return _reduce(np.log(sum_e[..., 0]) - true_logit, self.reduction)

    def backward(self, gy):
        g = _per_sample_grad(gy, self.labels.size, self.reduction)
        dz = self.p.copy()
        dz.reshape(-1)[self.picked] -= 1
        dz *= g[..., None] if self.reduction == "none" else g
        return dz


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy of sigmoid(z) against targets y in [0, 1], fused.

    l = max(z, 0) - z * y + log1p(e**-|z|) (equal to -y log s - (1-y) log(1-s), s = sigmoid z,
    but with no overflow and no log of 0);  dz = g * (sigmoid(z) - y),  dy = -g * z.
    """

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, z, y):
        self.z, self.y = z, y
        elementwise = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        return _reduce_elementwise(elementwise, self.reduction)

    def backward(self, gy):
        need_z, need_y = self.needs_input_grad
        g = _elementwise_grad(gy, self.z.shape, self.reduction)
        return (
            g * (stable_sigmoid(self.z) - self.y) if need_z else None,
            -g * self.z if need_y else None,
        )


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets y in [0, 1].

    p is clipped to [eps, 1 - eps] (no log of 0), then l = -(y log p + (1 - y) log(1 - p));
    dp = g * (p - y) / (p * (1 - p)) inside the clip range and 0 outside (the clip's
    gradient);  dy = -g * log(p / (1 - p)).
    """

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, p, y):
        self.inside = (p >= EPSILON) & (p <= 1 - EPSILON)
        self.p = p = np.clip(p, EPSILON, 1 - EPSILON)
        self.y = y
        elementwise = -(y * np.log(p) + (1 - y) * np.log1p(-p))
        return _reduce_elementwise(elementwise, self.reduction)

    def backward(self, gy):
        need_p, need_y = self.needs_input_grad
        g = _elementwise_grad(gy, self.p.shape, self.reduction)
        p, y = self.p, self.y
        return (
            g * (p - y) / (p * (1 - p)) * self.inside if need_p else None,
            -g * (np.log(p) - np.log1p(-p)) if need_y else None,
        )


def _reduce_elementwise(elementwise, reduction):
    """Per-sample means over the last axis, reduced; the mean of equal-sized per-sample
    means is the mean of everything, taken in one pass."""
    if reduction == "mean":
        return backend.asarray(elementwise.sum() / elementwise.size)
    per_sample = elementwise.sum(axis=-1) / elementwise.shape[-1] if elementwise.ndim >= 2 \
        else elementwise
    return _reduce(per_sample, reduction)


def _elementwise_grad(gy, shape, reduction):
    """d(reduced loss) / d(elementwise loss) when samples average over the last axis."""
    per_sample = 1 if len(shape) < 2 else shape[-1]
    n_samples = int(np.prod(shape)) // per_sample
    g = _per_sample_grad(gy, n_samples, reduction) / per_sample
    return g[..., None] if reduction == "none" and len(shape) >= 2 else g


def mean_squared_error(y_true, y_pred, reduction="mean") -> Tensor:
    """mean((y_pred - y_true)**2) over the last axis, then reduced over samples."""
    _check_reduction(reduction, "mean_squared_error")
    y_true, y_pred = _same_shape(y_true, y_pred, "mean_squared_error")
    diff = y_pred - y_true
    return _reduce_tensor(_sample_mean(diff * diff), reduction)


def mean_absolute_error(y_true, y_pred, reduction="mean") -> Tensor:
    """mean(|y_pred - y_true|) over the last axis, then reduced over samples."""
    _check_reduction(reduction, "mean_absolute_error")
    y_true, y_pred = _same_shape(y_true, y_pred, "mean_absolute_error")
    return _reduce_tensor(_sample_mean(abs(y_pred - y_true)), reduction)


def binary_crossentropy(y_true, y_pred, from_logits=False, reduction="mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)), p = y_pred (or sigmoid(y_pred) when from_logits);
    soft targets in [0, 1] are allowed.

    >>> import glassnet
    >>> round(glassnet.binary_crossentropy([1.0], [0.0], from_logits=True).item(), 4)
    0.6931
    """
    _check_reduction(reduction, "binary_crossentropy")
    y_true, y_pred = _same_shape(y_true, y_pred, "binary_crossentropy")
    fn = BinaryCrossEntropyWithLogits if from_logits else BinaryCrossEntropy
    return fn(reduction)(y_pred, y_true)


def categorical_crossentropy(y_true, y_pred, from_logits=False, reduction="mean") -> Tensor:
    """-sum(y * log p) over the class (last) axis; y holds one distribution per sample.

    From probabilities (Keras's behaviour): p is rescaled to sum to 1 and clipped to
    [eps, 1 - eps]. From logits: the fused softmax cross-entropy op.
    """
    _check_reduction(reduction, "categorical_crossentropy")
    y_true, y_pred = _same_shape(y_true, y_pred, "categorical_crossentropy")
    if y_pred.ndim == 0:
        raise ValueError("categorical_crossentropy: y_pred needs a class axis; received a scalar")
    if from_logits:
        return SoftmaxCrossEntropy(reduction)(y_pred, y_true)
    p = clip(y_pred / sum(y_pred, axis=-1, keepdims=True), EPSILON, 1 - EPSILON)
    return _reduce_tensor(-sum(y_true * log(p), axis=-1), reduction)


softmax_cross_entropy = categorical_crossentropy


def _check_labels(labels, y_pred, op):
    labels = backend.asarray(labels.data if isinstance(labels, Tensor) else labels)
    expected = y_pred.shape[:-1]
    if labels.shape == expected + (1,):
        labels = labels[..., 0]
    if labels.shape != expected:
        raise ValueError(
            f"{op}: expected integer labels of shape {expected} for y_pred of shape "
            f"{y_pred.shape}; received labels of shape {labels.shape}"
            + (". These look like one-hot labels: use categorical_crossentropy, or pass "
               "labels.argmax(-1)" if labels.shape == y_pred.shape else "")
        )
    if labels.dtype.kind == "f":
        if not np.array_equal(labels, np.round(labels)):
            raise ValueError(f"{op}: labels must be whole numbers (class indices)")
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integers; received dtype {labels.dtype}")
    labels = labels.astype(np.int64, copy=False)
    n_classes = y_pred.shape[-1]
    # On a GPU the range check is skipped: reading min and max would wait for the step. A
    # label out of range there gives a wrong loss, not an error (the CPU run says which).
    if labels.size and not backend.on_device(labels) and (labels.min() < 0
                                                            or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise ValueError(
            f"{op}: labels must be in [0, {n_classes}) for y_pred with {n_classes} classes; "
            f"received label {bad}"
        )
    return labels


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, reduction="mean"):
    """-log p[label] per sample, with integer class labels (not one-hot).

    >>> import glassnet
    >>> z = glassnet.zeros(2, 4)
    >>> round(glassnet.sparse_categorical_crossentropy([0, 3], z, from_logits=True).item(), 4)
    1.3863
    """
    op = "sparse_categorical_crossentropy"
    _check_reduction(reduction, op)
    y_pred = constant(y_pred)
    if y_pred.ndim == 0:
        raise ValueError(f"{op}: y_pred needs a class axis; received a scalar")
    labels = _check_labels(y_true, y_pred, op)
    if from_logits:
        return SparseSoftmaxCrossEntropy(labels, reduction)(y_pred)
    labels = _beside(labels, y_pred.data)
    grid = backend.get_array_module(labels).indices(labels.shape)
    picked = y_pred[tuple(grid) + (labels,)]
    return _reduce_tensor(-log(clip(picked, EPSILON, 1 - EPSILON)), reduction)


def hinge(y_true, y_pred, reduction="mean") -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; labels in {-1, 1}, and 0/1
    labels are mapped to -1/1 first (as Keras)."""
    _check_reduction(reduction, "hinge")
    y_true, y_pred = _same_shape(y_true, y_pred, "hinge")
    t = y_true.data
    if ((t == 0) | (t == 1)).all():  # (not np.isin: CuPy's takes no tuple)
        y_true = Tensor._from_op(2 * t - 1, None)
    return _reduce_tensor(_sample_mean(maximum(1 - y_true * y_pred, 0.0)), reduction)
