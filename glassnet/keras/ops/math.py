"""``keras.ops.math``: special functions, segment reductions, top-k, and framing, as glassnet
ops under Keras's names. (Keras's FFT functions need complex tensors, which glassnet lacks.)

>>> from glassnet.keras import ops
>>> values, indices = ops.top_k([1.0, 3.0, 2.0], k=2)
>>> values.tolist(), indices.tolist()
([3.0, 2.0], [1, 2])
"""

from __future__ import annotations

from glassnet.autograd import ops as _ops
from glassnet.keras.ops.core import convert_to_tensor, floating

_t = convert_to_tensor

__all__ = [
    "erf", "erfc", "erfinv", "extract_sequences", "in_top_k", "logdet", "logsumexp", "rsqrt",
    "segment_max", "segment_min", "segment_sum", "top_k",
]


def erf(x):
    return _ops.erf(floating(x))


def erfc(x):
    return _ops.erfc(floating(x))


def erfinv(x):
    return _ops.erfinv(floating(x))


def rsqrt(x):
    return _ops.rsqrt(floating(x))


def logsumexp(x, axis=None, keepdims=False):
    return _ops.logsumexp(floating(x), axis, keepdims)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """(values, indices) of the ``k`` largest entries along the last axis."""
    return _ops.top_k(_t(x), k, axis=-1, largest=True, sorted=sorted)


def in_top_k(targets, predictions, k):
    """True where ``targets[i]`` is among the ``k`` largest of ``predictions[i]``."""
    return _ops.in_top_k(_t(targets), _t(predictions), k)


def _segments(data, segment_ids, num_segments, op):
    ids = _t(segment_ids)
    if num_segments is None:
        num_segments = int(ids.numpy().max()) + 1 if ids.size else 0
    return _t(data), ids, int(num_segments)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sum of the rows of ``data`` sharing a segment id (``sorted`` is only a hint)."""
    data, ids, n = _segments(data, segment_ids, num_segments, "segment_sum")
    return _ops.unsorted_segment_sum(data, ids, n)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    data, ids, n = _segments(data, segment_ids, num_segments, "segment_max")
    return _ops.segment_reduce(data, ids, n, "max")


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    data, ids, n = _segments(data, segment_ids, num_segments, "segment_min")
    return _ops.segment_reduce(data, ids, n, "min")


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` every ``sequence_stride`` along the last axis:
    (..., T) -> (..., num_frames, sequence_length)."""
    return _ops.extract_sequences(_t(x), sequence_length, sequence_stride)


def logdet(x):
    """log(det(x)) of (batches of) positive-definite matrices."""
    sign, logabsdet = _ops.slogdet(floating(x))
    return _ops.where(sign.numpy() > 0, logabsdet, float("nan"))
