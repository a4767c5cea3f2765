"""Keras's extra activations and normalizations: hard_tanh, hard_shrink, soft_shrink,
tanh_shrink, squareplus, sparse_plus, sparse_sigmoid, threshold, sparsemax,
layer_normalization, rms_normalization, normalize, psnr; and the encodings and framings
Keras's nn/math/image modules offer: multi_hot, in_top_k, segment_reduce (max/min),
extract_sequences, depth_to_space, space_to_depth, rgb_to_grayscale.

>>> import glassnet
>>> glassnet.hard_tanh(glassnet.tensor([-3.0, 0.5, 2.0])).tolist()
[-1.0, 0.5, 1.0]
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.activation import tanh
from glassnet.autograd.ops.arithmetic import add, div, mul, sub
from glassnet.autograd.ops.elementwise import abs, clip, maximum, sqrt, where
from glassnet.autograd.ops.exponential import log10, rsqrt, square
from glassnet.autograd.ops.reduction import mean, sum
from glassnet.autograd.ops.shape import reshape, transpose
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "depth_to_space", "extract_sequences", "hard_shrink", "hard_tanh", "in_top_k",
    "layer_normalization", "multi_hot", "normalize", "psnr", "rgb_to_grayscale",
    "rms_normalization", "segment_reduce", "soft_shrink", "space_to_depth", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
]

EPSILON = 1e-7  # Keras's backend.epsilon(), its default for the normalizations below


def _float_tensor(x, op):
    x = constant(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating tensor. Received: dtype {x.dtype}")
    return x


def hard_tanh(x) -> Tensor:
    """clip(x, -1, 1);  dx = gy inside (-1, 1), else 0."""
    return clip(_float_tensor(x, "hard_tanh"), -1.0, 1.0)


def hard_shrink(x, threshold=0.5) -> Tensor:
    """x where |x| > threshold, else 0;  dx = gy where kept."""
    x = _float_tensor(x, "hard_shrink")
    return where(np.abs(x.data) > threshold, x, 0.0)


def soft_shrink(x, threshold=0.5) -> Tensor:
    """x - threshold above it, x + threshold below -threshold, else 0;  dx = gy outside."""
    x = _float_tensor(x, "soft_shrink")
    shrunk = sub(x, mul(np.sign(x.data).astype(x.dtype), threshold))
    return where(np.abs(x.data) > threshold, shrunk, 0.0)


def tanh_shrink(x) -> Tensor:
    """x - tanh(x);  dx = gy * tanh(x)**2."""
    x = _float_tensor(x, "tanh_shrink")
    return sub(x, tanh(x))


def squareplus(x, b=4) -> Tensor:
    """(x + sqrt(x**2 + b)) / 2, a smooth ReLU;  dx = gy * (1 + x / sqrt(x**2 + b)) / 2."""
    if b < 0:
        raise ValueError(f"squareplus: expected b >= 0. Received: b={b}")
    x = _float_tensor(x, "squareplus")
    return mul(add(x, sqrt(add(square(x), float(b)))), 0.5)


def sparse_plus(x) -> Tensor:
    """0 for x <= -1, (x + 1)**2 / 4 for |x| < 1, x for x >= 1 (continuous, C1)."""
    x = _float_tensor(x, "sparse_plus")
    middle = mul(square(add(x, 1.0)), 0.25)
    return where(x.data >= 1, x, where(x.data <= -1, 0.0, middle))


def sparse_sigmoid(x) -> Tensor:
    """clip((x + 1) / 2, 0, 1);  dx = gy / 2 for |x| < 1, else 0."""
    return clip(mul(add(_float_tensor(x, "sparse_sigmoid"), 1.0), 0.5), 0.0, 1.0)


def threshold(x, threshold, default_value) -> Tensor:
    """x where x > threshold, else ``default_value``;  dx = gy where kept."""
    x = _float_tensor(x, "threshold")
    return where(x.data > threshold, x, float(default_value))


class Sparsemax(Function):
    """y = max(x - tau, 0), tau such that y sums to 1 along ``axis`` (Martins & Astudillo,
    2016): with z sorted descending, k = max{j : 1 + j z_j > sum_{i<=j} z_i},
    tau = (sum_{i<=k} z_i - 1) / k.
    dx = s * (gy - sum(gy * s) / sum(s)), s = [y > 0] (the support).
    """

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        z = np.moveaxis(x, self.axis, -1)
        zs = -np.sort(-z, axis=-1)
        j = backend.get_array_module(x).arange(1, z.shape[-1] + 1, dtype=x.dtype)
        cums = np.cumsum(zs, axis=-1)
        k = np.sum(1 + j * zs > cums, axis=-1, keepdims=True)
        tau = (np.take_along_axis(cums, k - 1, axis=-1) - 1) / k.astype(x.dtype)
        y = np.maximum(z - tau, 0)
        self.support = np.moveaxis(y > 0, -1, self.axis)
        return np.moveaxis(y, -1, self.axis)

    def backward(self, gy):
        s = self.support.astype(gy.dtype)
        v = np.sum(gy * s, axis=self.axis, keepdims=True) / np.sum(s, self.axis, keepdims=True)
        return s * (gy - v)


def sparsemax(x, axis=-1) -> Tensor:
    """The Euclidean projection of x onto the probability simplex along ``axis``: like softmax,
    but with exact zeros.

    >>> sparsemax([[0.0, 2.0]]).tolist()
    [[0.0, 1.0]]
    """
    x = _float_tensor(x, "sparsemax")
    (axis,) = normalize_axis(axis, x.ndim, "sparsemax")
    return Sparsemax(axis)(x)


def _along(v, x, axes, op):
    """A scale/offset of the normalized axes' shape, laid out to broadcast against x."""
    if v is None:
        return None
    v = constant(v, like=x)
    if v.ndim == x.ndim:
        return v
    shape = [1] * x.ndim
    for a in axes:
        shape[a] = x.shape[a]
    if v.size != int(np.prod([x.shape[a] for a in axes])):
        raise ValueError(f"{op}: the scale/offset of shape {v.shape} does not match the "
                         f"normalized axes {axes} of an input of shape {x.shape}")
    return reshape(v, tuple(shape))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None) -> Tensor:
    """(x - mean) / sqrt(var + epsilon) * gamma + beta over ``axis`` (Keras's default
    epsilon 1e-7)."""
    x = _float_tensor(x, "layer_normalization")
    axes = normalize_axis(axis, x.ndim, "layer_normalization")
    eps = EPSILON if epsilon is None else float(epsilon)
    centered = sub(x, mean(x, axes, keepdims=True))
    out = mul(centered, rsqrt(add(mean(square(centered), axes, keepdims=True), eps)))
    gamma, beta = _along(gamma, x, axes, "layer_normalization"), _along(
        beta, x, axes, "layer_normalization")
    out = out if gamma is None else mul(out, gamma)
    return out if beta is None else add(out, beta)


def rms_normalization(x, scale=None, axis=-1, epsilon=None) -> Tensor:
    """x / sqrt(mean(x**2) + epsilon) * scale over ``axis`` (default epsilon 1e-7)."""
    x = _float_tensor(x, "rms_normalization")
    axes = normalize_axis(axis, x.ndim, "rms_normalization")
    eps = EPSILON if epsilon is None else float(epsilon)
    out = mul(x, rsqrt(add(mean(square(x), axes, keepdims=True), eps)))
    scale = _along(scale, x, axes, "rms_normalization")
    return out if scale is None else mul(out, scale)


def normalize(x, axis=-1, order=2, epsilon=None) -> Tensor:
    """x / max(||x||_order, epsilon) along ``axis`` (Keras's ops.normalize)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an integer >= 1. Received: order={order!r}")
    x = _float_tensor(x, "normalize")
    axes = normalize_axis(axis, x.ndim, "normalize")
    eps = EPSILON if epsilon is None else float(epsilon)
    if order == 2:  # x / sqrt(max(sum x^2, eps^2)): finite gradient at an all-zero slice
        return mul(x, rsqrt(maximum(sum(square(x), axes, keepdims=True), eps * eps)))
    norm = sum(abs(x) ** order, axes, keepdims=True) ** (1.0 / order)
    return div(x, maximum(norm, eps))


def psnr(x1, x2, max_val) -> Tensor:
    """20 log10(max_val) - 10 log10(mean((x1 - x2)**2)), over all elements."""
    x1, x2 = _float_tensor(x1, "psnr"), _float_tensor(x2, "psnr")
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: x1 and x2 must have the same shape. Received: {x1.shape} and "
                         f"{x2.shape}")
    peak = 20 * np.log10(backend.asarray(max_val, dtype=x1.dtype))
    return sub(peak, mul(log10(mean(square(sub(x1, x2)))), 10.0))


def multi_hot(indices, num_classes, axis=-1, dtype=None) -> Tensor:
    """1 at every class named in a sample's indices: (n,) -> (num_classes,) for one sample,
    (batch, n) -> (batch, num_classes); ``axis`` places the class axis."""
    idx = constant(indices).data
    if idx.dtype.kind not in "iu":
        raise TypeError(f"multi_hot: indices must be integers. Received: dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"multi_hot: indices must lie in [0, {num_classes}). Received "
                         f"values from {idx.min()} to {idx.max()}")
    hot = (idx[..., None] == backend.get_array_module(idx).arange(num_classes)).any(axis=-2)
    hot = np.moveaxis(hot, -1, axis) if axis != -1 else hot
    return Tensor(hot.astype(np.float32 if dtype is None else dtype))


def in_top_k(targets, predictions, k) -> Tensor:
    """True where predictions[i, targets[i]] is among the ``k`` largest of predictions[i]
    (fewer than k entries strictly larger)."""
    t, p = constant(targets).data, constant(predictions).data
    if p.ndim != 2 or t.shape != p.shape[:1]:
        raise ValueError(f"in_top_k: expected predictions (batch, classes) and targets "
                         f"(batch,). Received: shapes {p.shape} and {t.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"in_top_k: targets must be integer class indices. Received dtype "
                        f"{t.dtype}")
    if t.size and (t.min() < 0 or t.max() >= p.shape[1]):
        raise ValueError(f"in_top_k: targets must be in [0, {p.shape[1]}) for predictions of "
                         f"shape {p.shape}. Received values from {t.min()} to {t.max()}")
    if backend.on_device(p) and not backend.on_device(t):  # the targets go beside p
        t = backend.to_device(t, backend.device_of(p))
    score = np.take_along_axis(p, t[:, None].astype(np.intp), axis=1)
    # as TensorFlow: a non-finite prediction of the target is never in the top k
    return Tensor(((p > score).sum(axis=1) < k) & np.isfinite(score[:, 0]))


class SegmentReduce(Function):
    """y[s] = max (or min) of the rows of x with segment id s; empty segments give -inf (or
    +inf) as Keras;  dx = gy[id] at the rows equal to their segment's result, shared equally
    among ties."""

    def __init__(self, ids, num_segments, kind):
        self.ids, self.n, self.kind = ids, num_segments, kind

    def forward(self, x):
        ufunc, fill = (np.maximum, -np.inf) if self.kind == "max" else (np.minimum, np.inf)
        xp = backend.get_array_module(x)
        y = xp.full((self.n, *x.shape[1:]), fill, dtype=x.dtype)
        ufunc.at(y, self.ids, x)
        self.winner = x == y[self.ids]
        self.ties = xp.zeros(y.shape, dtype=x.dtype)
        np.add.at(self.ties, self.ids, self.winner.astype(x.dtype))
        return y

    def backward(self, gy):
        share = gy / np.where(self.ties == 0, 1, self.ties)
        return np.where(self.winner, share[self.ids], 0).astype(gy.dtype)


def segment_reduce(data, segment_ids, num_segments, kind="max") -> Tensor:
    """Max or min of the rows of ``data`` by ``segment_ids`` (one id per row, in
    [0, num_segments))."""
    data, ids = _float_tensor(data, "segment_reduce"), constant(segment_ids).data
    if kind not in ("max", "min"):
        raise ValueError(f"segment_reduce: kind must be 'max' or 'min'. Received: {kind!r}")
    if ids.ndim != 1 or ids.shape[0] != data.shape[0] or ids.dtype.kind not in "iu":
        raise ValueError(f"segment_reduce: segment_ids must be integers, one per row of data "
                         f"of shape {data.shape}. Received: shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= num_segments):
        raise ValueError(f"segment_reduce: segment ids must lie in [0, {num_segments})")
    if backend.on_device(data.data):  # the ids index GPU arrays: they go beside them
        ids = backend.to_device(ids, backend.device_of(data.data))
    return SegmentReduce(ids.astype(np.intp), int(num_segments), kind)(data)


def extract_sequences(x, sequence_length, sequence_stride) -> Tensor:
    """Frames along the last axis: (..., T) -> (..., F, sequence_length), frame f starting
    at f * sequence_stride; F = 1 + (T - sequence_length) // sequence_stride."""
    x = constant(x)
    n = x.shape[-1] if x.ndim else 0
    if sequence_length < 1 or sequence_stride < 1 or sequence_length > n:
        raise ValueError(f"extract_sequences: need 1 <= sequence_length <= {n} and "
                         f"sequence_stride >= 1. Received: sequence_length={sequence_length}, "
                         f"sequence_stride={sequence_stride}")
    frames = 1 + (n - sequence_length) // sequence_stride
    xp = backend.get_array_module(x.data)
    index = xp.arange(frames)[:, None] * sequence_stride + xp.arange(sequence_length)
    return x[..., index]


def depth_to_space(x, block_size) -> Tensor:
    """(N, H, W, C * b * b) -> (N, H * b, W * b, C): channel block (i, j) goes to pixel
    offset (i, j) (TensorFlow's DCR order)."""
    x, b = constant(x), int(block_size)
    n, h, w, c = x.shape
    if b < 1 or c % (b * b):
        raise ValueError(f"depth_to_space: channels {c} must be divisible by block_size**2 "
                         f"= {b * b}")
    y = transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h * b, w * b, c // (b * b)))


def space_to_depth(x, block_size) -> Tensor:
    """(N, H * b, W * b, C) -> (N, H, W, C * b * b), the inverse of depth_to_space."""
    x, b = constant(x), int(block_size)
    n, h, w, c = x.shape
    if b < 1 or h % b or w % b:
        raise ValueError(f"space_to_depth: height {h} and width {w} must be divisible by "
                         f"block_size={b}")
    y = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h // b, w // b, b * b * c))


_LUMA = np.array([0.2989, 0.5870, 0.1140])  # ITU-R BT.601 weights, as TF and Keras


def rgb_to_grayscale(images, axis=-1) -> Tensor:
    """The luma of RGB images: sum of channels weighted (0.2989, 0.5870, 0.1140), keeping a
    channel axis of size 1."""
    x = _float_tensor(images, "rgb_to_grayscale")
    (axis,) = normalize_axis(axis, x.ndim, "rgb_to_grayscale")
    if x.shape[axis] != 3:
        raise ValueError(f"rgb_to_grayscale: expected 3 channels on axis {axis}. Received: "
                         f"images of shape {x.shape}")
    shape = [1] * x.ndim
    shape[axis] = 3
    return sum(mul(x, _LUMA.astype(x.dtype).reshape(shape)), axis, keepdims=True)
