"""Trigonometric and hyperbolic functions: tan, asin, acos, atan, atan2, sinh, cosh, asinh,
acosh, atanh, hypot.

(sin and cos live in ``elementwise``.) Outside an op's domain the value is NaN or infinite,
as in NumPy and PyTorch; no exception is raised.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant, operands
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "cosh",
    "hypot",
    "sinh",
    "tan",
]


class Tan(Function):
    """y = tan(x);  dx = gy * (1 + y**2)."""

    def forward(self, x):
        self.y = np.tan(x)
        return self.y

    def backward(self, gy):
        return gy * (1 + self.y * self.y)


class Asin(Function):
    """y = arcsin(x);  dx = gy / sqrt(1 - x**2)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore"):
            return np.arcsin(x)

    def backward(self, gy):
        with np.errstate(invalid="ignore", divide="ignore"):
            return gy / np.sqrt(1 - self.x * self.x)


class Acos(Function):
    """y = arccos(x);  dx = -gy / sqrt(1 - x**2)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore"):
            return np.arccos(x)

    def backward(self, gy):
        with np.errstate(invalid="ignore", divide="ignore"):
            return -gy / np.sqrt(1 - self.x * self.x)


class Atan(Function):
    """y = arctan(x);  dx = gy / (1 + x**2)."""

    def forward(self, x):
        self.x = x
        return np.arctan(x)

    def backward(self, gy):
        return gy / (1 + self.x * self.x)


class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a);
    da = gy * b / (a**2 + b**2),  db = -gy * a / (a**2 + b**2)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.arctan2(a, b)

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        with np.errstate(invalid="ignore", divide="ignore"):
            g = gy / (self.a * self.a + self.b * self.b)
        return (
            unbroadcast(g * self.b, self.a.shape) if need_a else None,
            unbroadcast(-g * self.a, self.b.shape) if need_b else None,
        )


class Sinh(Function):
    """y = sinh(x);  dx = gy * cosh(x)."""

    def forward(self, x):
        self.x = x
        return np.sinh(x)

    def backward(self, gy):
        return gy * np.cosh(self.x)


class Cosh(Function):
    """y = cosh(x);  dx = gy * sinh(x)."""

    def forward(self, x):
        self.x = x
        return np.cosh(x)

    def backward(self, gy):
        return gy * np.sinh(self.x)


class Asinh(Function):
    """y = arcsinh(x);  dx = gy / sqrt(x**2 + 1)."""

    def forward(self, x):
        self.x = x
        return np.arcsinh(x)

    def backward(self, gy):
        return gy / np.sqrt(self.x * self.x + 1)


class Acosh(Function):
    """y = arccosh(x);  dx = gy / sqrt(x**2 - 1) (as PyTorch, also below 1 where y is NaN)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore"):
            return np.arccosh(x)

    def backward(self, gy):
        with np.errstate(invalid="ignore", divide="ignore"):
            return gy / np.sqrt(self.x * self.x - 1)


class Atanh(Function):
    """y = arctanh(x);  dx = gy / (1 - x**2)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.arctanh(x)

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return gy / (1 - self.x * self.x)


class Hypot(Function):
    """y = sqrt(a**2 + b**2);  da = gy * a / y,  db = gy * b / y."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = np.hypot(a, b)
        return self.y

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        with np.errstate(invalid="ignore", divide="ignore"):
            g = gy / self.y
        return (
            unbroadcast(g * self.a, self.a.shape) if need_a else None,
            unbroadcast(g * self.b, self.b.shape) if need_b else None,
        )


def tan(x) -> Tensor:
    """Tangent (x in radians)."""
    return Tan()(constant(x))


def asin(x) -> Tensor:
    """Inverse sine, in [-pi/2, pi/2]; NaN outside [-1, 1]."""
    return Asin()(constant(x))


def acos(x) -> Tensor:
    """Inverse cosine, in [0, pi]; NaN outside [-1, 1]."""
    return Acos()(constant(x))


def atan(x) -> Tensor:
    """Inverse tangent, in (-pi/2, pi/2)."""
    return Atan()(constant(x))


def atan2(y, x) -> Tensor:
    """The angle of the point (x, y) in (-pi, pi], with broadcasting (``torch.atan2(y, x)``).

    >>> import glassnet
    >>> from glassnet.autograd.ops.trigonometric import atan2
    >>> round(float(atan2(glassnet.tensor(1.0), glassnet.tensor(-1.0)).numpy()), 4)
    2.3562
    """
    return Atan2()(*operands(y, x))


def sinh(x) -> Tensor:
    """Hyperbolic sine."""
    return Sinh()(constant(x))


def cosh(x) -> Tensor:
    """Hyperbolic cosine."""
    return Cosh()(constant(x))


def asinh(x) -> Tensor:
    """Inverse hyperbolic sine."""
    return Asinh()(constant(x))


def acosh(x) -> Tensor:
    """Inverse hyperbolic cosine; NaN below 1."""
    return Acosh()(constant(x))


def atanh(x) -> Tensor:
    """Inverse hyperbolic tangent; +-inf at +-1, NaN outside [-1, 1]."""
    return Atanh()(constant(x))


def hypot(x, y) -> Tensor:
    """sqrt(x**2 + y**2) without overflow in the squares, with broadcasting."""
    return Hypot()(*operands(x, y))
