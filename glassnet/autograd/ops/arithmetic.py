"""Arithmetic with NumPy broadcasting: add, sub, mul, div, neg, pow, matmul, linear.

Each gradient is the partial derivative times the output gradient ``gy``; inputs that were
broadcast get it summed back to their shape by ``unbroadcast``.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.ops._operands import constant, operands
from glassnet.autograd.tensor import Function, Tensor
from glassnet.backend import kernel_for


class Add(Function):
    """y = a + b;  da = gy,  db = gy."""

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(gy, self.a_shape) if need_a else None,
            unbroadcast(gy, self.b_shape) if need_b else None,
        )


class Sub(Function):
    """y = a - b;  da = gy,  db = -gy."""

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(gy, self.a_shape) if need_a else None,
            unbroadcast(-gy, self.b_shape) if need_b else None,
        )


class Mul(Function):
    """y = a * b;  da = gy * b,  db = gy * a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(gy * self.b, self.a.shape) if need_a else None,
            unbroadcast(gy * self.a, self.b.shape) if need_b else None,
        )


class Div(Function):
    """y = a / b;  da = gy / b,  db = -gy * a / b**2."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        ga = gy / self.b
        return (
            unbroadcast(ga, self.a.shape) if need_a else None,
            unbroadcast(-ga * self.a / self.b, self.b.shape) if need_b else None,
        )


class Neg(Function):
    """y = -x;  dx = -gy."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """y = a ** b for two tensors;  da = gy * b * a**(b-1),  db = gy * y * log(a).

    As in PyTorch, da is 0 where b == 0 and db is 0 where a == 0 and b >= 0 (limits that the
    formulas would turn into 0 * inf); db is NaN for a < 0, where a**b has no real derivative.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(divide="ignore", invalid="ignore"):
            self.y = a**b
        return self.y

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        a, b = self.a, self.b
        ga = gb = None
        if need_a:
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = np.where(b == 0, 0, gy * b * a ** (b - 1)).astype(gy.dtype, copy=False)
            ga = unbroadcast(ga, a.shape)
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = np.where((a == 0) & (b >= 0), 0, gy * self.y * np.log(a))
            gb = unbroadcast(gb.astype(gy.dtype, copy=False), b.shape)
        return ga, gb


class PowScalar(Function):
    """y = x ** p for a number p;  dx = gy * p * x**(p-1)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            return x**self.p

    def backward(self, gy):
        p = self.p
        if p == 0:
            return np.zeros_like(gy)
        if p == 2:
            return gy * 2 * self.x
        with np.errstate(divide="ignore", invalid="ignore"):
            return gy * p * self.x ** (p - 1)


class ScalarPow(Function):
    """y = c ** x for a number c;  dx = gy * y * log(c).

    For c == 0, as in PyTorch, dx is 0 where x >= 0 (y is constant there; the formula would
    give 0 * -inf) and -inf where x < 0; for c < 0 log(c) is NaN, as a**b has no real
    derivative in b there.
    """

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            self.y = self.c**x
        return self.y

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore"):
            # log(c) as a NumPy scalar of gy's dtype (a scalar meets arrays on any device)
            gx = gy * self.y * np.log(gy.dtype.type(self.c))
        if self.c == 0:
            gx = np.where(self.x >= 0, gy.dtype.type(0), gx)
        return gx


class MatMul(Function):
    """y = a @ b (2-D, batched with broadcast batch axes, or 1-D vectors as in NumPy).

    For 2-D operands:  da = gy @ b.T,  db = a.T @ gy. Batched and 1-D operands reduce to that
    by inserting the vector axes NumPy inserts and summing over broadcast batch axes.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("0-d operand")
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        need_a, need_b = self.needs_input_grad
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:
            return (gy @ b.T if need_a else None, a.T @ gy if need_b else None)
        if a.ndim == 1 and b.ndim == 1:
            return (gy * b if need_a else None, gy * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        gy2 = gy[..., None, :] if a.ndim == 1 else gy
        gy2 = gy2[..., None] if b.ndim == 1 else gy2
        ga = gb = None
        if need_a:
            ga = unbroadcast(gy2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ gy2, b2.shape).reshape(b.shape)
        return ga, gb

    def input_error(self, inputs, err):
        return ValueError(matmul_mismatch("matmul", inputs[0].shape, inputs[1].shape))


def matmul_mismatch(op, sa, sb):
    """The message for operands ``a @ b`` whose shapes do not fit, in PyTorch's words for 2-D."""
    if len(sa) == 0 or len(sb) == 0:
        return f"{op}: both arguments need at least one dimension; received shapes {sa} and {sb}"
    if len(sa) == 2 and len(sb) == 2:
        return (
            f"{op}: mat1 and mat2 shapes cannot be multiplied "
            f"({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})"
        )
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        return (
            f"{op}: shapes {sa} and {sb} cannot be multiplied: the last dimension of the "
            f"first ({sa[-1]}) must equal the {'only' if len(sb) == 1 else 'second-to-last'} "
            f"dimension of the second ({inner_b})"
        )
    return (
        f"{op}: shapes {sa} and {sb} cannot be multiplied: batch dimensions {sa[:-2]} and "
        f"{sb[:-2]} cannot be broadcast together"
    )


class Linear(Function):
    """y = x @ w + b, fused: one graph node for a dense layer.

    x: (..., in), w: (in, out), b: (out,).  dx = gy @ w.T,  dw = x.T @ gy,  db = sum of gy
    over every axis but the last (leading axes of x are flattened into one batch axis).
    ``glassnet.kernels.linear`` runs the same op faster during ``fit``.
    """

    def forward(self, x, w, b):
        if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[0]:
            raise ValueError("shape mismatch")
        self.x, self.w = x, w
        return x @ w + b

    def backward(self, gy):
        need_x, need_w, need_b = self.needs_input_grad
        x, w = self.x, self.w
        gy2 = gy.reshape(-1, gy.shape[-1])
        gx = gy @ w.T if need_x else None
        gw = x.reshape(-1, x.shape[-1]).T @ gy2 if need_w else None
        return gx, gw, gy2.sum(axis=0) if need_b else None

    def input_error(self, inputs, err):
        x, w, b = (t.shape for t in inputs)
        if len(w) == 2 and len(x) >= 1 and x[-1] == w[0]:
            return ValueError(f"linear: bias of shape {b} does not fit an output of {w[1]} units")
        return ValueError(matmul_mismatch("linear", x, w))


def add(a, b) -> Tensor:
    """Elementwise a + b with broadcasting."""
    return Add()(*operands(a, b))


def sub(a, b) -> Tensor:
    """Elementwise a - b with broadcasting."""
    return Sub()(*operands(a, b))


def mul(a, b) -> Tensor:
    """Elementwise a * b with broadcasting."""
    return Mul()(*operands(a, b))


def div(a, b) -> Tensor:
    """Elementwise a / b with broadcasting."""
    return Div()(*operands(a, b))


def neg(x) -> Tensor:
    """-x."""
    return Neg()(constant(x))


def _is_number(v):
    return isinstance(v, (int, float, np.number)) and not isinstance(v, bool)


def pow(a, b) -> Tensor:  # noqa: A001 - the op's name
    """a ** b: a tensor to a number, a number to a tensor, or elementwise between tensors.

    >>> import glassnet
    >>> x = glassnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x ** 2).sum().backward(); x.grad.tolist()
    [2.0, 4.0, 6.0]
    """
    if _is_number(b) and isinstance(a, Tensor):
        return PowScalar(b.item() if isinstance(b, np.generic) else b)(a)
    if _is_number(a) and isinstance(b, Tensor):
        return ScalarPow(a.item() if isinstance(a, np.generic) else a)(b)
    return Pow()(*operands(a, b))


def matmul(a, b) -> Tensor:
    """Matrix product a @ b with NumPy's rules (2-D, batched, 1-D vectors).

    >>> import glassnet
    >>> glassnet.ones(2, 3) @ glassnet.ones(3, 4)
    tensor([[3., 3., 3., 3.],
            [3., 3., 3., 3.]])
    """
    return MatMul()(*operands(a, b))


def linear(x, w, b=None) -> Tensor:
    """x @ w + b as one fused op (the dense layer); without b, plain matmul."""
    if b is None:
        return matmul(x, w)
    x, w = operands(x, w)
    return kernel_for(Linear)()(x, w, constant(b, like=w))
