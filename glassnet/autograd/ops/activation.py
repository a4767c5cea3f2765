"""Activation functions, each beside its derivative.

step, sigmoid, tanh, relu, leaky_relu, elu, selu, gelu (exact and tanh approximation),
softplus, silu/swish, softmax, log_softmax. Formulas that can overflow are written in the form
that cannot (noted on each).
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np

from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.tensor import Function, Tensor


def stable_sigmoid(x):
    """1 / (1 + e**-x) without overflow: e**-|x| is in (0, 1], and for x < 0 the equal form
    e**x / (1 + e**x) keeps tiny results exact instead of 1 - (almost 1)."""
    e = np.exp(-np.abs(x))
    s = 1 / (1 + e)
    return np.where(x >= 0, s, e * s)


def erf(x):
    """The error function, by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under
    float32's resolution near 1); NumPy has no erf and the core depends on NumPy alone."""
    t = 1 / (1 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                       + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1 - poly * np.exp(-x * x))


class Sigmoid(Function):
    """y = 1 / (1 + e**-x);  dx = gy * y * (1 - y)."""

    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


class Tanh(Function):
    """y = tanh(x);  dx = gy * (1 - y**2)."""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


class _ReluGradientRule(threading.local):
    """The rule ReLU's backward follows, per thread (a server explains on several)."""

    name = "standard"


_relu_rule = _ReluGradientRule()
RELU_GRADIENT_RULES = ("standard", "guided", "deconvolution")


@contextlib.contextmanager
def relu_gradient_rule(name):
    """Within the block, ReLUs created by a forward pass pass gradients back by ``name``:

    - ``"standard"``: the derivative, dx = gy * (x > 0);
    - ``"guided"``: guided backpropagation (Springenberg et al., 2015), dx = max(gy, 0) * (x > 0);
    - ``"deconvolution"``: Zeiler & Fergus's deconvnet, dx = max(gy, 0), the forward mask
      ignored.

    The last two are not gradients of anything; attribution methods use them
    (``glassnet.explain.GuidedBackprop``). The rule is taken when the forward pass runs, so
    the backward may run later or elsewhere. Convolutions with a fused ReLU split it off.

    >>> import numpy as np, glassnet
    >>> x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    >>> with relu_gradient_rule("guided"):
    ...     (relu(x) * glassnet.tensor([3.0, -1.0])).sum().backward()
    >>> x.grad.tolist()
    [3.0, 0.0]
    """
    if name not in RELU_GRADIENT_RULES:
        raise ValueError(f"relu_gradient_rule: expected one of {RELU_GRADIENT_RULES}; "
                         f"received {name!r}")
    previous, _relu_rule.name = _relu_rule.name, name
    try:
        yield
    finally:
        _relu_rule.name = previous


def relu_rule_in_effect():
    """The name of the ReLU gradient rule of this thread (``"standard"`` outside a block)."""
    return _relu_rule.name


class ReLU(Function):
    """y = max(x, 0);  dx = gy where x > 0, else 0.

    At x = 0 there is no derivative; we take 0 (as PyTorch and TensorFlow), so a unit that
    sits exactly at 0 receives no update. Under ``relu_gradient_rule`` the backward is
    guided backpropagation's or the deconvnet's instead.
    """

    def forward(self, x):
        self.rule = _relu_rule.name
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, gy):
        if self.rule == "deconvolution":
            return np.maximum(gy, 0)
        if self.rule == "guided":
            gy = np.maximum(gy, 0)
        return gy * (self.y > 0)


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x;  dx = gy if x > 0 else slope * gy (slope at 0)."""

    def __init__(self, negative_slope):
        self.slope = negative_slope

    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, x * self.slope)

    def backward(self, gy):
        return np.where(self.positive, gy, gy * self.slope)


class ELU(Function):
    """y = scale * (x if x > 0 else alpha * (e**x - 1));  dx = gy * scale if x > 0 else
    gy * (y + scale * alpha). SELU is ELU with fixed alpha and scale.

    ``expm1`` keeps e**x - 1 exact for small |x|; the exponent is clamped at 0 because the
    branch for x > 0 is discarded anyway and e**x would overflow there.
    """

    def __init__(self, alpha, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, x):
        self.positive = x > 0
        neg = np.expm1(np.minimum(x, 0)) * (self.alpha * self.scale)
        self.y = np.where(self.positive, x * self.scale, neg)
        return self.y

    def backward(self, gy):
        slope = np.where(self.positive, self.scale, self.y + self.alpha * self.scale)
        return gy * slope


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


class GELU(Function):
    """y = x * Phi(x) with Phi the standard normal CDF;  dx = gy * (Phi(x) + x * phi(x)).

    Exact: Phi(x) = (1 + erf(x / sqrt 2)) / 2. With ``approximate=True`` (tanh form):
    y = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x**3),
    dx = gy * (1/2 * (1 + tanh u) + x/2 * (1 - tanh(u)**2) * sqrt(2/pi) * (1 + 3*0.044715 x**2)).
    """

    SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
    INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        self.x = x
        if self.approximate:
            self.t = np.tanh(self.SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        return x * self.cdf

    def backward(self, gy):
        x = self.x
        if self.approximate:
            t = self.t
            du = self.SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = np.exp(-0.5 * x * x) * self.INV_SQRT_2PI
        return gy * (self.cdf + x * pdf)


class Softplus(Function):
    """y = log(1 + e**(beta x)) / beta, and y = x where beta * x > threshold (PyTorch's
    ``softplus``);  dx = gy * sigmoid(beta x), and gy where beta * x > threshold.

    The log is computed as max(z, 0) + log1p(e**-|z|), z = beta x (no overflow). With
    ``threshold=None`` there is no linear region: Keras's plain softplus when beta = 1.
    """

    def __init__(self, beta, threshold):
        if beta == 0:
            raise ValueError("softplus: beta must not be 0")
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        z = x * self.beta
        self.z = z
        y = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / self.beta
        y = y.astype(x.dtype, copy=False)
        if self.threshold is None:
            self.linear = None
            return y
        self.linear = z > self.threshold
        return np.where(self.linear, x, y)

    def backward(self, gy):
        slope = stable_sigmoid(self.z)
        if self.linear is not None:
            slope = np.where(self.linear, 1, slope)
        return gy * slope.astype(gy.dtype, copy=False)


class SiLU(Function):
    """y = x * sigmoid(x) (swish);  dx = gy * s * (1 + x * (1 - s)), s = sigmoid(x)."""

    def forward(self, x):
        self.x = x
        self.s = stable_sigmoid(x)
        return x * self.s

    def backward(self, gy):
        s = self.s
        return gy * s * (1 + self.x * (1 - s))


class Softmax(Function):
    """y_i = e**(x_i - m) / sum_j e**(x_j - m) along ``axis``, with m = max(x) so no exp
    overflows (the shift cancels);  dx = y * (gy - sum(gy * y))."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        self.y = e
        return e

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y = x - m - log(sum(e**(x - m))) along ``axis`` (m = max(x), stable);
    dx = gy - softmax(x) * sum(gy)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, gy):
        return gy - np.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def step(x) -> Tensor:
    """Heaviside step: 1 where x > 0, else 0 (0 at x = 0, matching relu's derivative).

    Its derivative is 0 almost everywhere, so it carries no gradient; it is the perceptron's
    activation, not one to train with backpropagation.
    """
    x = constant(x)
    dtype = x.data.dtype if x.data.dtype.kind == "f" else np.float32
    return Tensor._from_op((x.data > 0).astype(dtype), None)


def sigmoid(x) -> Tensor:
    """Logistic sigmoid 1 / (1 + e**-x).

    >>> import glassnet
    >>> glassnet.sigmoid(glassnet.tensor([0.0])).tolist()
    [0.5]
    """
    return Sigmoid()(constant(x))


def tanh(x) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh()(constant(x))


def relu(x) -> Tensor:
    """max(x, 0); gradient 0 at x = 0."""
    return ReLU()(constant(x))


def leaky_relu(x, negative_slope=0.2) -> Tensor:
    """x for x > 0, else negative_slope * x (Keras's default slope 0.2)."""
    return LeakyReLU(negative_slope)(constant(x))


def elu(x, alpha=1.0) -> Tensor:
    """x for x > 0, else alpha * (e**x - 1)."""
    return ELU(alpha)(constant(x))


def selu(x) -> Tensor:
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return ELU(SELU_ALPHA, SELU_SCALE)(constant(x))


def gelu(x, approximate=False) -> Tensor:
    """x * Phi(x); ``approximate=True`` uses the tanh approximation."""
    return GELU(bool(approximate))(constant(x))


def softplus(x, beta=1.0, threshold=None) -> Tensor:
    """log(1 + e**(beta x)) / beta, linear (y = x) where beta * x > ``threshold``.

    ``softplus(x, beta, threshold=20)`` is ``torch.nn.functional.softplus`` (whose default
    threshold is 20); the default ``threshold=None`` never switches to linear, so
    ``softplus(x)`` is Keras's plain softplus.
    """
    return Softplus(beta, threshold)(constant(x))


def silu(x) -> Tensor:
    """x * sigmoid(x), also called swish."""
    return SiLU()(constant(x))


swish = silu


def softmax(x, axis=-1) -> Tensor:
    """e**x normalised to sum to 1 along ``axis``; stable for inputs of any magnitude."""
    x = constant(x)
    axes = normalize_axis(axis, x.ndim, "softmax")
    # a 0-d tensor is one element along a single implicit axis: reducing over () does that
    return Softmax(axes[0] if len(axes) == 1 else axes)(x)


def log_softmax(x, axis=-1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed without forming softmax (stable)."""
    x = constant(x)
    axes = normalize_axis(axis, x.ndim, "log_softmax")
    # a 0-d tensor is one element along a single implicit axis: reducing over () does that
    return LogSoftmax(axes[0] if len(axes) == 1 else axes)(x)
