"""Scaled dot-product attention, one fused op (PyTorch's semantics and layout).

Forward, with s the scale (default 1/sqrt(E)) and M the mask (0 or -inf where a bool mask is
False, the values of a float mask, -inf above the diagonal when causal)::

    S = s * Q @ K^T + M          (..., L, S)
    P = softmax(S) along the last axis
    D = P * keep / (1 - p)       keep ~ Bernoulli(1 - p), only while training with p > 0
    O = D @ V                    (..., L, Ev)

Backward (gO the upstream gradient)::

    dV = D^T @ gO
    dD = gO @ V^T,   dP = dD * keep / (1 - p)
    dS = P * (dP - sum(dP * P, -1))      (the softmax backward, fused)
    dQ = s * dS @ K,   dK = s * dS^T @ Q,   dM = dS (a float mask may carry a gradient)

The two products are batched ``np.matmul`` calls (one BLAS GEMM per batch element); batch axes
broadcast as in ``matmul`` and are summed back in backward.

A row whose every key is masked out (all -inf) gets attention weights 0, so its output and
gradients are 0: PyTorch (2.5 and later) does the same instead of the NaN that 0/0 gives.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["scaled_dot_product_attention"]


def _safe_softmax(scores):
    """softmax along the last axis, stable (shifted by the row maximum), with rows that are
    all -inf giving 0 instead of 0/0."""
    m = scores.max(axis=-1, keepdims=True)
    m[np.isneginf(m)] = 0  # exp(-inf - 0) = 0 for every entry of such a row
    # In place: ``scores`` is a temporary of the op, so no second (..., L, S) array is made.
    e = np.exp(np.subtract(scores, m, out=scores), out=scores)
    total = e.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    e /= total
    return e


class ScaledDotProductAttention(Function):
    """O = dropout(softmax(scale * Q @ K^T + M)) @ V, forward and backward fused (see the
    module docstring for both formulas).

    Inputs: query, key, value, and the float mask when there is one (so it gets a gradient).
    ``additive`` is a constant added to the scores (a bool or causal mask turned into 0 / -inf)
    or None; ``rng`` and ``rate`` are the dropout's generator and probability (rate 0: none).
    """

    def __init__(self, scale, additive=None, rate=0.0, rng=None):
        self.scale, self.additive, self.rate, self.rng = scale, additive, rate, rng

    def forward(self, q, k, v, mask=None):
        dtype = q.dtype
        # the scale goes on q (L x E numbers), not on the scores (L x S)
        scores = np.matmul(q * dtype.type(self.scale), np.swapaxes(k, -1, -2))
        if mask is not None:
            scores = scores + mask  # not in place: the mask may broadcast the batch axes
        if self.additive is not None:
            if np.broadcast_shapes(scores.shape, self.additive.shape) == scores.shape:
                scores += self.additive  # ``scores`` is the op's own array
            else:  # the mask adds batch axes
                scores = scores + self.additive
        self.p = _safe_softmax(scores).astype(dtype, copy=False)
        self.d = self.p
        self.keep = None
        if self.rate > 0:
            keep = backend.random_uniform(self.rng, self.p.shape, np.float32, like=q) >= self.rate
            kept_scale = 1.0 / (1.0 - self.rate) if self.rate < 1 else 0.0
            self.keep = keep * dtype.type(kept_scale)
            self.d = self.p * self.keep
        self.q, self.k, self.v = q, k, v
        self.mask_shape = None if mask is None else mask.shape
        return np.matmul(self.d, v)

    def backward(self, go):
        q, k, v, p, d = self.q, self.k, self.v, self.p, self.d
        need = self.needs_input_grad
        grads = [None] * len(need)
        if need[2]:
            grads[2] = unbroadcast(np.matmul(np.swapaxes(d, -1, -2), go), v.shape)
        if not any(need[:2]) and not (len(need) > 3 and need[3]):
            return tuple(grads)
        ds = np.matmul(go, np.swapaxes(v, -1, -2))  # dP, turned into dS in place
        if self.keep is not None:
            ds *= self.keep
        ds -= np.einsum("...ij,...ij->...i", ds, p)[..., None]  # row sums of dP * P, no temporary
        ds *= p
        scale = q.dtype.type(self.scale)
        if need[0]:
            grads[0] = unbroadcast(np.matmul(ds, k * scale), q.shape)
        if need[1]:
            grads[1] = unbroadcast(np.matmul(np.swapaxes(ds, -1, -2), q * scale), k.shape)
        if len(need) > 3 and need[3]:
            grads[3] = unbroadcast(ds, self.mask_shape)
        return tuple(grads)


def _check_operands(q, k, v):
    name = "scaled_dot_product_attention"
    for arg, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2:
            raise ValueError(f"{name}: {arg} must have at least 2 dimensions (..., length, "
                             f"features); received shape {t.shape}")
        if t.data.dtype.kind != "f":
            raise TypeError(f"{name}: {arg} must be a floating-point tensor; received dtype "
                            f"{t.data.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{name}: query and key must have the same last dimension E; "
                         f"received query shape {q.shape} and key shape {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{name}: key and value must have the same source length S "
                         f"(dimension -2); received key shape {k.shape} and value shape "
                         f"{v.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: the batch dimensions of query {q.shape}, key {k.shape} and "
                         f"value {v.shape} do not broadcast") from None
    return (*batch, q.shape[-2], k.shape[-2])


def _same_dtype(*tensors):
    """The tensors in one float dtype: that of the first one that requires grad (else the
    first float one); constants are cast to it, tensors that require grad must have it."""
    kinds = [t for t in tensors if t.data.dtype.kind == "f"]
    lead = next((t for t in tensors if t.requires_grad), kinds[0] if kinds else tensors[0])
    dtype = lead.data.dtype if lead.data.dtype.kind == "f" else np.dtype(np.float32)
    out = []
    for t in tensors:
        if t.data.dtype != dtype:
            if t.requires_grad:
                raise TypeError("scaled_dot_product_attention: query, key and value must "
                                "have one dtype; received " +
                                ", ".join(str(u.data.dtype) for u in tensors))
            t = Tensor._from_op(t.data.astype(dtype), None)
        out.append(t)
    return out


def _check_mask(mask, scores_shape, dtype):
    """The mask as a tensor: bool (True = attend) or float (added to the scores)."""
    name = "scaled_dot_product_attention"
    kind = mask.data.dtype.kind
    if kind not in "bf":
        raise TypeError(f"{name}: attn_mask must be bool (True = attend) or floating-point "
                        f"(added to the scores); received dtype {mask.data.dtype}")
    try:
        fits = np.broadcast_shapes(mask.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: attn_mask of shape {mask.shape} does not broadcast to the "
                         f"attention scores' shape (..., L, S) = {tuple(scores_shape)}")
    if kind == "f" and mask.data.dtype != dtype and not mask.requires_grad:
        mask = Tensor._from_op(mask.data.astype(dtype), None)  # a float64 list meets float32
    return mask


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, training=True) -> Tensor:
    """softmax(scale * query @ key^T + mask) @ value, as
    ``torch.nn.functional.scaled_dot_product_attention``.

    Args:
        query: (..., L, E).  key: (..., S, E).  value: (..., S, Ev). Batch axes broadcast.
        attn_mask: bool (True = take part in attention) or float (added to the scores),
            broadcastable to (..., L, S); a float mask that requires grad gets a gradient.
        dropout_p: probability of zeroing an attention weight (the rest scaled by
            1 / (1 - dropout_p)), applied only when ``training``; drawn from the generator
            seeded by ``glassnet.seed`` (one uniform draw per weight, kept where >= dropout_p).
        training: False turns dropout off (the layers pass their ``training`` flag here).
        is_causal: attend only to keys j <= i (the lower triangle of an (L, S) matrix aligned
            at the top left, as PyTorch); cannot be combined with ``attn_mask``.
        scale: the factor on the scores; default 1 / sqrt(E).
    Returns:
        (..., L, Ev). Rows with every key masked give 0 (as PyTorch), not NaN.

    >>> import glassnet
    >>> q = glassnet.ones(2, 4, 8); kv = glassnet.ones(2, 6, 8)
    >>> glassnet.scaled_dot_product_attention(q, kv, kv, is_causal=True).shape
    (2, 4, 8)
    """
    name = "scaled_dot_product_attention"
    q, k, v = _same_dtype(constant(query), constant(key), constant(value))
    scores_shape = _check_operands(q, k, v)
    dtype = q.data.dtype
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    elif isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}: scale must be a number or None; received {scale!r}")
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, (int, float)) \
            or not 0 <= dropout_p <= 1:
        raise ValueError(f"{name}: expected 0 <= dropout_p <= 1. Received: "
                         f"dropout_p={dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{name}: pass either attn_mask or is_causal=True, not both "
                         f"(as PyTorch)")
    additive, inputs = None, [q, k, v]
    if is_causal:
        length, source = scores_shape[-2:]
        lower = np.tril(backend.get_array_module(q.data).ones((length, source), dtype=bool))
        additive = np.where(lower, 0, -np.inf).astype(dtype)
    elif attn_mask is not None:
        mask = _check_mask(constant(attn_mask), scores_shape, dtype)
        if mask.data.dtype == bool:
            attend = mask.data
            if backend.on_device(q.data) and not backend.on_device(attend):
                attend = backend.to_device(attend, backend.device_of(q.data))  # beside q
            additive = np.where(attend, 0, -np.inf).astype(dtype)
        else:
            inputs.append(mask)
    rate = float(dropout_p) if training else 0.0
    op = backend.kernel_for(ScaledDotProductAttention)
    return op(float(scale), additive, rate, backend.generator())(*inputs)
