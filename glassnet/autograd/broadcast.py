"""Broadcasting, undone in one place.

When an op broadcasts an input of shape ``s`` up to the output shape, each input element feeds
several output elements, so by the chain rule its gradient is the *sum* of theirs:
``unbroadcast`` sums the output gradient over the broadcast axes back down to ``s``.
"""

from __future__ import annotations


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (the inverse of NumPy broadcasting ``shape`` up to it).

    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 3)), (3,)).tolist()
    [4.0, 4.0, 4.0]
    >>> unbroadcast(np.ones((4, 3)), (4, 1)).tolist()
    [[3.0], [3.0], [3.0], [3.0]]
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    # Axes that broadcasting added in front, then axes where the input had size 1.
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def broadcast_mismatch(shapes):
    """Describe why ``shapes`` cannot broadcast, or return None when they can."""
    ndim = max(len(s) for s in shapes)
    for axis in range(-1, -ndim - 1, -1):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            return f"sizes {' vs '.join(str(s[axis]) for s in shapes if len(s) >= -axis)} " \
                f"at dimension {axis} (sizes must match or one must be 1)"
    return None
