"""More activation functions, each beside its derivative.

Piecewise-linear: relu6, hard_sigmoid, hard_swish (hard_silu). Smooth: celu, mish, softsign,
log_sigmoid, softplus with PyTorch's ``beta`` and ``threshold``; gated: glu.

Every formula is written in a form that cannot overflow (noted on each). Where an op has a kink
the derivative there is PyTorch's choice, stated on the class.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.activation import stable_sigmoid
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "celu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "log_sigmoid",
    "mish",
    "relu6",
    "softsign",
]


def _stable_softplus(x):
    """log(1 + e**x) as max(x, 0) + log1p(e**-|x|): e**-|x| is in (0, 1], so nothing overflows."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class ReLU6(Function):
    """y = min(max(x, 0), 6);  dx = gy where 0 < x < 6, else 0.

    Kinks: at x = 0 and at x = 6 the gradient is 0 (PyTorch's ``relu6``, a hardtanh, passes
    the gradient only strictly inside the interval).
    """

    def forward(self, x):
        self.inside = (x > 0) & (x < 6)
        return np.clip(x, 0, 6).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.inside


class HardSigmoid(Function):
    """y = relu6(x + 3) / 6 (Keras 3 and ``torch.nn.functional.hardsigmoid``);
    dx = gy / 6 where -3 < x < 3, else 0.

    Kinks: at x = -3 and x = 3 the gradient is 0 (PyTorch's choice).
    """

    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        return (np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.inside / 6


class HardSwish(Function):
    """y = x * hard_sigmoid(x) = x * relu6(x + 3) / 6;
    dx = 0 for x <= -3, gy * (x / 3 + 1/2) for -3 < x < 3, gy for x >= 3.

    Kinks: at x = -3 the gradient is 0, at x = 3 it is gy (PyTorch's ``hardswish``; it is the
    product rule with hard_sigmoid's zero derivative at its kinks).
    """

    def forward(self, x):
        self.x = x
        return x * (np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.x
        slope = np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1))
        return gy * slope.astype(gy.dtype, copy=False)


class CELU(Function):
    """y = max(0, x) + min(0, alpha * (e**(x / alpha) - 1));
    dx = gy if x > 0 else gy * e**(x / alpha).

    Continuously differentiable for every alpha (both sides have slope 1 at 0), so no kink.
    The exponent is clamped, min(x, 0) / alpha, so nothing overflows; ``expm1`` keeps the value
    exact near 0, and the slope is e**(x / alpha) itself, not y / alpha + 1 (which rounds to 0
    once y is -alpha in float32).
    """

    def __init__(self, alpha):
        if alpha == 0:
            raise ValueError("celu: alpha must not be 0")
        self.alpha = alpha

    def forward(self, x):
        self.positive = x > 0
        u = (np.minimum(x, 0) / self.alpha).astype(x.dtype, copy=False)
        self.e = np.exp(u)
        return np.where(self.positive, x, (np.expm1(u) * self.alpha).astype(x.dtype, copy=False))

    def backward(self, gy):
        slope = np.where(self.positive, 1, self.e)
        return gy * slope.astype(gy.dtype, copy=False)


class Mish(Function):
    """y = x * tanh(softplus(x));  dx = gy * (t + x * (1 - t**2) * sigmoid(x)), t = tanh(sp(x)).

    softplus is computed stably (see ``_stable_softplus``) and tanh saturates without overflow.
    """

    def forward(self, x):
        self.x = x
        self.t = np.tanh(_stable_softplus(x))
        return x * self.t

    def backward(self, gy):
        t = self.t
        return gy * (t + self.x * (1 - t * t) * stable_sigmoid(self.x))


class Softsign(Function):
    """y = x / (1 + |x|);  dx = gy / (1 + |x|)**2. Smooth (the |x| kink cancels)."""

    def forward(self, x):
        self.d = 1 + np.abs(x)
        return x / self.d

    def backward(self, gy):
        return gy / (self.d * self.d)


class LogSigmoid(Function):
    """y = log(sigmoid(x)) = -softplus(-x), computed as min(x, 0) - log1p(e**-|x|) (no
    overflow, and exact for large negative x);  dx = gy * sigmoid(-x)."""

    def forward(self, x):
        self.x = x
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def backward(self, gy):
        return gy * stable_sigmoid(-self.x)


class GLU(Function):
    """Gated linear unit: a, b = the two halves of x along ``axis``; y = a * sigmoid(b);
    da = gy * sigmoid(b), db = gy * a * s * (1 - s) with s = sigmoid(b)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        n = x.shape[self.axis]
        if n % 2:
            raise ValueError(f"glu: axis {self.axis} has odd size {n}; it must split in halves")
        self.a, b = np.split(x, 2, axis=self.axis)
        self.s = stable_sigmoid(b)
        return self.a * self.s

    def backward(self, gy):
        s = self.s
        ga = gy * s
        gb = gy * self.a * s * (1 - s)
        return np.concatenate([ga, gb], axis=self.axis)


def relu6(x) -> Tensor:
    """min(max(x, 0), 6); gradient 0 at both kinks (x = 0 and x = 6), as PyTorch."""
    return ReLU6()(constant(x))


def hard_sigmoid(x) -> Tensor:
    """relu6(x + 3) / 6, a piecewise-linear sigmoid (Keras 3's definition, = torch's
    ``hardsigmoid``); gradient 0 at x = -3 and x = 3."""
    return HardSigmoid()(constant(x))


def hard_swish(x) -> Tensor:
    """x * hard_sigmoid(x) (``hard_silu`` in Keras, ``hardswish`` in PyTorch)."""
    return HardSwish()(constant(x))


hard_silu = hard_swish


def celu(x, alpha=1.0) -> Tensor:
    """max(0, x) + min(0, alpha * (e**(x / alpha) - 1)), continuously differentiable ELU."""
    return CELU(alpha)(constant(x))


def mish(x) -> Tensor:
    """x * tanh(softplus(x)), stable for inputs of any magnitude."""
    return Mish()(constant(x))


def softsign(x) -> Tensor:
    """x / (1 + |x|)."""
    return Softsign()(constant(x))


def log_sigmoid(x) -> Tensor:
    """log(sigmoid(x)), stable for inputs of any magnitude."""
    return LogSigmoid()(constant(x))


def glu(x, axis=-1) -> Tensor:
    """a * sigmoid(b), where a and b are the first and second halves of x along ``axis``."""
    x = constant(x)
    if x.ndim == 0:
        raise ValueError("glu: a 0-d tensor has no axis to split in halves")
    (axis,) = normalize_axis(axis, x.ndim, "glu")
    return GLU(axis)(x)
