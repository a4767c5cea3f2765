"""Elementwise math: exp, log, sqrt, abs, sin, cos, clip, maximum, minimum, where, cast;
sign and comparisons, which have no gradient."""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant, no_grad_tensor, operands
from glassnet.autograd.tensor import Function, Tensor


class Exp(Function):
    """y = e**x;  dx = gy * y."""

    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    """y = ln(x);  dx = gy / x."""

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, gy):
        return gy / self.x


class Sqrt(Function):
    """y = sqrt(x);  dx = gy / (2 * y)."""

    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


class Abs(Function):
    """y = |x|;  dx = gy * sign(x), taken as 0 at x = 0 (as PyTorch)."""

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, gy):
        return gy * np.sign(self.x)


class Sin(Function):
    """y = sin(x);  dx = gy * cos(x)."""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, gy):
        return gy * np.cos(self.x)


class Cos(Function):
    """y = cos(x);  dx = -gy * sin(x)."""

    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, gy):
        return -gy * np.sin(self.x)


class Clip(Function):
    """y = min(max(x, lo), hi);  dx = gy where lo <= x <= hi, else 0 (bounds inclusive)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        self.x = x
        return np.clip(x, self.lo, self.hi)

    def backward(self, gy):
        x, inside = self.x, True
        if self.lo is not None:
            inside = x >= self.lo
        if self.hi is not None:
            inside = inside & (x <= self.hi)
        return gy * inside


class Maximum(Function):
    """y = max(a, b) elementwise;  gy goes to the larger input, split in halves on ties."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, gy):
        return _split_by_winner(self, gy, self.a > self.b)


class Minimum(Function):
    """y = min(a, b) elementwise;  gy goes to the smaller input, split in halves on ties."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, gy):
        return _split_by_winner(self, gy, self.a < self.b)


def _split_by_winner(fn, gy, a_wins):
    # Ties are a kink with no derivative; PyTorch's choice, half to each, keeps the sum right.
    share_a = np.where(a_wins, 1.0, np.where(fn.a == fn.b, 0.5, 0.0)).astype(gy.dtype)
    need_a, need_b = fn.needs_input_grad
    return (
        unbroadcast(gy * share_a, fn.a.shape) if need_a else None,
        unbroadcast(gy * (1 - share_a), fn.b.shape) if need_b else None,
    )


class Where(Function):
    """y = a where cond else b;  da = gy where cond,  db = gy where not cond."""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return np.where(self.cond, a, b)

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        zero = np.zeros((), dtype=gy.dtype)
        return (
            unbroadcast(np.where(self.cond, gy, zero), self.a_shape) if need_a else None,
            unbroadcast(np.where(self.cond, zero, gy), self.b_shape) if need_b else None,
        )

    def input_error(self, inputs, err):
        shapes = " and ".join(str(s) for s in [self.cond.shape, *(t.shape for t in inputs)])
        return ValueError(f"where: condition, a and b cannot be broadcast together: {shapes}")


class Cast(Function):
    """y = x as another floating dtype;  dx = gy cast back."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)


def exp(x) -> Tensor:
    """e ** x."""
    return Exp()(constant(x))


def log(x) -> Tensor:
    """Natural logarithm."""
    return Log()(constant(x))


def sqrt(x) -> Tensor:
    """Square root."""
    return Sqrt()(constant(x))


def abs(x) -> Tensor:  # noqa: A001 - the op's name
    """|x|."""
    return Abs()(constant(x))


def sin(x) -> Tensor:
    return Sin()(constant(x))


def cos(x) -> Tensor:
    return Cos()(constant(x))


def clip(x, min=None, max=None) -> Tensor:  # noqa: A002 - NumPy's names
    """Limit x to [min, max]; either bound may be None.

    >>> import glassnet
    >>> glassnet.clip(glassnet.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0)
    tensor([0. , 0.5, 1. ])
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min must not exceed max. Received: min={min}, max={max}")
    return Clip(min, max)(constant(x))


def maximum(a, b) -> Tensor:
    """Elementwise larger of a and b, with broadcasting."""
    return Maximum()(*operands(a, b))


def minimum(a, b) -> Tensor:
    """Elementwise smaller of a and b, with broadcasting."""
    return Minimum()(*operands(a, b))


def where(cond, a=None, b=None):
    """a where ``cond`` is true, else b (all three broadcast together; a and b may be
    numbers). The gradient goes to whichever of a and b are tensors: da = gy where cond,
    db = gy where not cond (each summed back to its shape).

    With only ``cond``, the indices where it is true: ``nonzero(cond)``, a tuple of int64
    tensors, one per axis (as ``np.where``).

    >>> where([True, False], [1.0, 2.0], 0.0).tolist()
    [1.0, 0.0]
    >>> [t.tolist() for t in where([0, 3, 5])]
    [[1, 2]]
    """
    cond = backend.asarray(cond.data if isinstance(cond, Tensor) else cond)
    if a is None and b is None:
        if cond.ndim == 0:
            raise ValueError("where: with only a condition, it must have at least 1 "
                             "dimension; received a 0-d condition")
        return tuple(Tensor._from_op(i.astype(np.int64), None) for i in np.nonzero(cond))
    if a is None or b is None:
        raise ValueError("where: give both a and b, or neither (for the indices where cond "
                         f"is true); received {'b' if a is None else 'a'} alone")
    return Where(cond.astype(bool, copy=False))(*operands(a, b))


def cast(x, dtype) -> Tensor:
    """x converted to ``dtype``: differentiable between floating dtypes, a constant otherwise."""
    x = constant(x)
    try:
        dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
    except TypeError:
        raise TypeError(f"cast: `dtype` must be a dtype such as 'float32' or 'int64'. "
                        f"Received: dtype={dtype!r}") from None
    if dtype == x.data.dtype:
        return x
    if dtype.kind != "f" or x.data.dtype.kind != "f":
        return Tensor._from_op(x.data.astype(dtype), None)
    return Cast(dtype)(x)


def sign(x) -> Tensor:
    """-1, 0 or 1 by the sign of x; piecewise constant, so it carries no gradient."""
    return no_grad_tensor(np.sign(constant(x).data))


def _compare(ufunc, name, a, b):
    a, b = operands(a, b)
    try:
        return no_grad_tensor(ufunc(a.data, b.data))
    except ValueError:
        raise ValueError(f"{name}: cannot broadcast shapes {a.shape} and {b.shape}") from None


def equal(a, b) -> Tensor:
    """Elementwise a == b as a bool tensor (no gradient)."""
    return _compare(np.equal, "equal", a, b)


def not_equal(a, b) -> Tensor:
    return _compare(np.not_equal, "not_equal", a, b)


def less(a, b) -> Tensor:
    return _compare(np.less, "less", a, b)


def less_equal(a, b) -> Tensor:
    return _compare(np.less_equal, "less_equal", a, b)


def greater(a, b) -> Tensor:
    return _compare(np.greater, "greater", a, b)


def greater_equal(a, b) -> Tensor:
    return _compare(np.greater_equal, "greater_equal", a, b)
