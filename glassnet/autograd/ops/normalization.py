"""Standardization over axes: the shared core of batch and layer normalization."""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.tensor import Function


class Standardize(Function):
    """y = (x - mean) / sqrt(var + eps), mean and (biased) var taken over ``axes``.

    With xhat = y and s = 1 / sqrt(var + eps), the gradient through both statistics is
    dx = s * (gy - mean(gy) - xhat * mean(gy * xhat)), the means over ``axes``: one fused
    node instead of the six a composed version would record.
    """

    def __init__(self, axes, eps):
        self.axes, self.eps = axes, eps

    def forward(self, x):
        self.mean = x.mean(axis=self.axes, keepdims=True)
        centered = x - self.mean
        self.var = np.square(centered).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(self.var + self.eps)
        self.y = centered * self.inv_std
        return self.y

    def backward(self, gy):
        axes, y = self.axes, self.y
        return self.inv_std * (gy - gy.mean(axis=axes, keepdims=True)
                               - y * (gy * y).mean(axis=axes, keepdims=True))


def standardize(x, axis=-1, epsilon=1e-3, return_stats=False):
    """(x - mean) / sqrt(var + epsilon) over ``axis`` (int or tuple).

    With ``return_stats=True`` also returns the batch mean and variance (arrays, keepdims),
    which batch normalization folds into its moving averages.

    >>> import glassnet
    >>> y = standardize(glassnet.tensor([[1.0, 3.0]]), axis=-1, epsilon=0.0)
    >>> y.tolist()
    [[-1.0, 1.0]]
    """
    x = constant(x)
    fn = Standardize(normalize_axis(axis, x.ndim, "standardize"), epsilon)
    y = fn(x)
    return (y, fn.mean, fn.var) if return_stats else y

