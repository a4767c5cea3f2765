"""How ``MultiHeadAttention`` lays its heads out for the batched products, and the products.

The projections give (B, *dims, N, H): a batch axis, the input's axes, N heads of size H.
Attention runs over the ``axes`` among ``dims`` (the last one for a sequence, all of them by
default); the other axes act as batch axes. The heads layout puts them first and flattens
the attended positions into one axis L:

    (B, *dims, N, H)  ->  (B, *other axes, N, L, H)

so scores are one batched ``q @ k^T`` of shape (B, *other axes, N, L_q, L_k). Keras returns
them as (B, *other axes, N, *query attended axes, *key attended axes); for a sequence both
layouts are (B, N, T, S).

>>> layout = HeadLayout(axes=(1,), rank=4, num_heads=2)
>>> layout.to_heads(np.zeros((3, 5, 2, 4))).shape
(3, 2, 5, 4)
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import ops
from glassnet.autograd.ops.attention import ScaledDotProductAttention
from glassnet.backend import kernel_for
from glassnet.nn.layers.attention import masks as masks_module


class HeadLayout:
    """The heads layout for projected tensors of ``rank`` (input rank + 1), attention over
    ``axes`` (positions 1 .. rank - 3)."""

    def __init__(self, axes, rank, num_heads):
        self.axes, self.rank, self.num_heads = tuple(axes), rank, num_heads
        self.others = [i for i in range(1, rank - 2) if i not in self.axes]
        self.permutation = [0, *self.others, rank - 2, *self.axes, rank - 1]
        self.sequence = rank == 4  # (B, T, N, H): a transpose is all it takes

    def to_heads(self, t):
        if self.sequence:
            return ops.transpose(t, (0, 2, 1, 3))
        t = ops.transpose(t, self.permutation)
        return ops.reshape(t, (*t.shape[:len(self.others) + 2], -1, t.shape[-1]))

    def from_heads(self, out, projected_shape):
        """(B, *other axes, N, L, Hv) back to (B, *dims, N, Hv)."""
        if self.sequence:
            return ops.transpose(out, (0, 2, 1, 3))
        attended = tuple(projected_shape[i] for i in self.axes)
        out = ops.reshape(out, (*out.shape[:len(self.others) + 2], *attended, out.shape[-1]))
        return ops.transpose(out, np.argsort(self.permutation).tolist())

    def keras_scores(self, scores, q_shape, k_shape):
        """Scores in Keras's layout, the attended positions unflattened."""
        if self.sequence:
            return scores
        return ops.reshape(scores, (*scores.shape[:scores.ndim - 2],
                                    *(q_shape[i] for i in self.axes),
                                    *(k_shape[i] for i in self.axes)))

    def mask(self, mask, q_shape, k_shape, where):
        """A bool mask in Keras's scores layout (broadcastable) in the heads layout, or a
        ValueError naming ``where`` if it does not fit the scores."""
        q_attn = tuple(q_shape[i] for i in self.axes)
        k_attn = tuple(k_shape[i] for i in self.axes)
        scores_shape = (q_shape[0], *(q_shape[i] for i in self.others), self.num_heads,
                        *q_attn, *k_attn)
        try:
            fits = np.broadcast_shapes(mask.shape, scores_shape) == scores_shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{where}: `attention_mask` of shape {tuple(mask.shape)} (with "
                             f"the padding and causal masks) does not broadcast to the "
                             f"attention scores' shape {scores_shape}")
        if len(self.axes) == 1:
            return mask
        lead = mask.shape[:mask.ndim - 2 * len(self.axes)]
        full = np.broadcast_to(mask, (*lead, *q_attn, *k_attn))
        return full.reshape(*lead, math.prod(q_attn), math.prod(k_attn))


def fused_attention(q, k, v, mask, scale, rate, rng):
    """dropout(softmax(scale * q @ k^T, masked)) @ v as the one fused op (forward and
    backward together); ``mask`` is a bool array (True = attend) or None; ``rng`` draws the
    dropout (the layer's seeded generator)."""
    additive = None
    if mask is not None:
        additive = np.where(mask, 0, -np.inf).astype(q.data.dtype)
    return kernel_for(ScaledDotProductAttention)(scale, additive, rate, rng)(q, k, v)


def attend(q, k, v, mask, scale, rate, rng):
    """The same as :func:`fused_attention` (the same dropout draws from the same ``rng``),
    composed of engine ops so that the scores (before dropout) come back as a tensor of the
    graph: (output, scores)."""
    scores = ops.matmul(q * scale, ops.swapaxes(k, -1, -2))
    weights = masks_module.masked_softmax(scores, mask)
    dropped = ops.dropout(weights, rate, training=True, generator=rng) if rate else weights
    return ops.matmul(dropped, v), weights
