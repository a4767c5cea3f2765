"""Magnitude masks in NumPy: which weights survive a pruning step.

To reach sparsity ``s`` on ``n`` weights, the ``k`` of largest magnitude are kept
(``round`` is NumPy's and TensorFlow's half-to-even):

    k = max(round(n * (1 - s)), 1)
    mask[i] = 1 if |w_i| is among the k largest else 0

Unlike tfmot, which keeps every weight tying with the k-th magnitude, ties are broken by
position (earlier weights first) so that exactly ``n - k`` weights are zeroed.

With ``block_size=(bh, bw)`` (2-D weights only) the magnitudes are first pooled over
``bh x bw`` blocks (mean or max; the last blocks may be partial, averaged over the weights
they hold, as TensorFlow's "SAME" pooling) and whole blocks are kept or dropped.

>>> import numpy as np
>>> magnitude_mask(np.array([0.3, -2.0, 0.1, 1.0], "float32"), 0.5)[0]
array([0., 1., 0., 1.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_pool", "kept_count", "magnitude_mask"]

POOLING_TYPES = ("AVG", "MAX")


def kept_count(size, sparsity):
    """How many of ``size`` weights a step to ``sparsity`` keeps (at least one)."""
    return max(int(np.round(np.float32(size) * np.float32(1.0 - sparsity))), 1)


def block_pool(magnitudes, block_size, pooling):
    """``magnitudes`` (2-D) pooled over non-overlapping blocks; partial edge blocks are
    pooled over what they hold."""
    bh, bw = block_size
    rows, cols = magnitudes.shape
    out_r, out_c = -(-rows // bh), -(-cols // bw)
    padded = np.zeros((out_r * bh, out_c * bw), magnitudes.dtype)
    padded[:rows, :cols] = magnitudes
    blocks = padded.reshape(out_r, bh, out_c, bw)
    if pooling == "MAX":  # magnitudes are >= 0, so zero padding never wins a max
        return blocks.max(axis=(1, 3))
    counts = np.zeros((out_r * bh, out_c * bw), np.float32)
    counts[:rows, :cols] = 1.0
    return blocks.sum(axis=(1, 3)) / counts.reshape(out_r, bh, out_c, bw).sum(axis=(1, 3))


def _top_k_mask(values, k):
    """A 0/1 float32 mask of ``values``' shape keeping the ``k`` largest (ties: first)."""
    flat = values.reshape(-1)
    # a stable sort of -|w| puts equal magnitudes in index order: the earlier one is kept
    order = np.argsort(-flat, kind="stable")
    mask = np.zeros(flat.size, np.float32)
    mask[order[:k]] = 1.0
    return mask.reshape(values.shape), float(flat[order[k - 1]])


def magnitude_mask(weights, sparsity, block_size=(1, 1), block_pooling_type="AVG"):
    """``(mask, threshold)``: the float32 0/1 mask zeroing the smallest-magnitude fraction
    ``sparsity`` of ``weights``, and the smallest magnitude kept.

    Args:
        weights: an array of any shape (2-D when ``block_size`` is not (1, 1)).
        sparsity: the fraction to zero, in [0, 1).
        block_size: (rows, columns) of the blocks pruned together.
        block_pooling_type: "AVG" or "MAX", how a block's magnitude is found.
    """
    weights = np.asarray(weights)
    if not 0.0 <= float(sparsity) < 1.0:
        raise ValueError(f"magnitude_mask: sparsity must be in range [0,1). Received: "
                         f"sparsity={sparsity}")
    magnitudes = np.abs(weights).astype(np.float32, copy=False)
    if tuple(block_size) == (1, 1):
        return _top_k_mask(magnitudes, kept_count(magnitudes.size, sparsity))
    squeezed = np.squeeze(magnitudes)
    if squeezed.ndim != 2:
        raise ValueError(f"Block Sparsity can only be used for layers which have "
                         f"2-dimensional weights. Received: weights of shape {weights.shape}, "
                         f"block_size={tuple(block_size)}")
    pooled = block_pool(squeezed, block_size, block_pooling_type)
    block_mask, threshold = _top_k_mask(pooled, kept_count(pooled.size, sparsity))
    bh, bw = block_size
    full = np.repeat(np.repeat(block_mask, bh, axis=0), bw, axis=1)
    mask = full[:squeezed.shape[0], :squeezed.shape[1]]
    return np.ascontiguousarray(mask.reshape(weights.shape)), threshold
