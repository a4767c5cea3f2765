"""``keras.ops.numpy``'s elementwise functions: arithmetic, powers and logarithms,
trigonometry, rounding, comparisons, logical and bitwise ops, each a glassnet op under
Keras's name and argument names (``x1, x2``; ``x_min, x_max``).

>>> from glassnet.keras import ops
>>> ops.divide(3, 2).tolist(), ops.subtract([3.0], [1.0]).tolist()
(1.5, [2.0])
"""

from __future__ import annotations

from glassnet.autograd import ops as _ops
from glassnet.autograd.creation import zeros_like
from glassnet.keras.ops.core import convert_to_tensor, floating

_t = convert_to_tensor

__all__ = [
    "abs", "absolute", "add", "allclose", "angle", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctan2", "arctanh", "bitwise_and", "bitwise_invert", "bitwise_left_shift",
    "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "cbrt", "ceil",
    "clip", "conj", "conjugate", "copy", "cos", "cosh", "deg2rad", "divide", "divide_no_nan",
    "equal", "exp", "exp2", "expm1", "fabs", "floor", "floor_divide", "fmax", "fmin",
    "fmod", "gcd", "greater", "greater_equal", "heaviside", "hypot", "imag", "isclose",
    "isfinite", "isin", "isinf", "isnan", "isneginf", "isposinf", "isreal", "lcm", "ldexp",
    "left_shift", "less", "less_equal", "log", "log10", "log1p", "log2", "logaddexp",
    "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "maximum",
    "minimum", "mod", "multiply", "nan_to_num", "negative", "nextafter", "not_equal", "power",
    "rad2deg", "real", "reciprocal", "right_shift", "round", "sign", "signbit", "sin", "sinc",
    "sinh", "sqrt", "square", "subtract", "tan", "tanh", "true_divide", "trunc",
]


def _binary_operands(x1, x2):
    # Numbers stay numbers, so they take the dtype of the tensor they meet (x * 2 stays
    # float32); everything else becomes a tensor.
    def conv(v):
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else _t(v)

    return conv(x1), conv(x2)


# -- arithmetic -------------------------------------------------------------------------


def add(x1, x2):
    return _ops.add(*_binary_operands(x1, x2))


def subtract(x1, x2):
    return _ops.sub(*_binary_operands(x1, x2))


def multiply(x1, x2):
    return _ops.mul(*_binary_operands(x1, x2))


def divide(x1, x2):
    """x1 / x2, float32 for integer inputs (true division, as Keras)."""
    a, b = _binary_operands(x1, x2)
    if not isinstance(a, (int, float)) or isinstance(b, (int, float)):
        a = floating(a)
    else:
        b = floating(b)
    return _ops.div(a, b)


true_divide = divide


def divide_no_nan(x1, x2):
    return _ops.divide_no_nan(floating(x1), floating(x2))


def power(x1, x2):
    return _ops.pow(*_binary_operands(x1, x2))


def negative(x):
    return _ops.neg(_t(x))


def abs(x):  # noqa: A001 - Keras's name
    return _ops.abs(_t(x))


absolute = abs
fabs = abs


def sign(x):
    return _ops.sign(_t(x))


def maximum(x1, x2):
    return _ops.maximum(*_binary_operands(x1, x2))


def minimum(x1, x2):
    return _ops.minimum(*_binary_operands(x1, x2))


def fmax(x1, x2):
    return _ops.fmax(_t(x1), _t(x2))


def fmin(x1, x2):
    return _ops.fmin(_t(x1), _t(x2))


def clip(x, x_min, x_max):
    return _ops.clip(_t(x), x_min, x_max)


def mod(x1, x2):
    return _ops.mod(*_binary_operands(x1, x2))


def fmod(x1, x2):
    return _ops.fmod(*_binary_operands(x1, x2))


def floor_divide(x1, x2):
    return _ops.floor_divide(*_binary_operands(x1, x2))


def heaviside(x1, x2):
    return _ops.heaviside(_t(x1), _t(x2))


def ldexp(x1, x2):
    return _ops.ldexp(floating(x1), _t(x2))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return _ops.nan_to_num(_t(x), nan, posinf, neginf)


def gcd(x1, x2):
    return _ops.gcd(_t(x1), _t(x2))


def lcm(x1, x2):
    return _ops.lcm(_t(x1), _t(x2))


def nextafter(x1, x2):
    return _ops.nextafter(floating(x1), floating(x2))


# -- powers, exponentials and logarithms ------------------------------------------------


def sqrt(x):
    return _ops.sqrt(floating(x))


def square(x):
    return _ops.square(_t(x))


def cbrt(x):
    return _ops.cbrt(floating(x))


def reciprocal(x):
    return _ops.reciprocal(floating(x))


def exp(x):
    return _ops.exp(floating(x))


def exp2(x):
    return _ops.exp2(floating(x))


def expm1(x):
    return _ops.expm1(floating(x))


def log(x):
    return _ops.log(floating(x))


def log2(x):
    return _ops.log2(floating(x))


def log10(x):
    return _ops.log10(floating(x))


def log1p(x):
    return _ops.log1p(floating(x))


def logaddexp(x1, x2):
    return _ops.logaddexp(floating(x1), floating(x2))


def logaddexp2(x1, x2):
    return _ops.logaddexp2(floating(x1), floating(x2))


# -- trigonometric and hyperbolic ---------------------------------------------------------


def sin(x):
    return _ops.sin(floating(x))


def cos(x):
    return _ops.cos(floating(x))


def tan(x):
    return _ops.tan(floating(x))


def arcsin(x):
    return _ops.asin(floating(x))


def arccos(x):
    return _ops.acos(floating(x))


def arctan(x):
    return _ops.atan(floating(x))


def arctan2(x1, x2):
    return _ops.atan2(floating(x1), floating(x2))


def sinh(x):
    return _ops.sinh(floating(x))


def cosh(x):
    return _ops.cosh(floating(x))


def tanh(x):
    return _ops.tanh(floating(x))


def arcsinh(x):
    return _ops.asinh(floating(x))


def arccosh(x):
    return _ops.acosh(floating(x))


def arctanh(x):
    return _ops.atanh(floating(x))


def hypot(x1, x2):
    return _ops.hypot(floating(x1), floating(x2))


def sinc(x):
    return _ops.sinc(floating(x))


def deg2rad(x):
    return _ops.deg2rad(floating(x))


def rad2deg(x):
    return _ops.rad2deg(floating(x))


# -- rounding -----------------------------------------------------------------------------


def floor(x):
    return _ops.floor(_t(x))


def ceil(x):
    return _ops.ceil(_t(x))


def trunc(x):
    return _ops.trunc(_t(x))


def round(x, decimals=0):  # noqa: A001 - Keras's name
    return _ops.round(_t(x), decimals)


# -- comparisons and tests -----------------------------------------------------------------


def equal(x1, x2):
    return _ops.equal(*_binary_operands(x1, x2))


def not_equal(x1, x2):
    return _ops.not_equal(*_binary_operands(x1, x2))


def less(x1, x2):
    return _ops.less(*_binary_operands(x1, x2))


def less_equal(x1, x2):
    return _ops.less_equal(*_binary_operands(x1, x2))


def greater(x1, x2):
    return _ops.greater(*_binary_operands(x1, x2))


def greater_equal(x1, x2):
    return _ops.greater_equal(*_binary_operands(x1, x2))


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _ops.isclose(_t(x1), _t(x2), rtol, atol, equal_nan)


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _ops.all(_ops.isclose(_t(x1), _t(x2), rtol, atol, equal_nan))


def isfinite(x):
    return _ops.isfinite(_t(x))


def isinf(x):
    return _ops.isinf(_t(x))


def isnan(x):
    return _ops.isnan(_t(x))


def isneginf(x):
    return _ops.isneginf(_t(x))


def isposinf(x):
    return _ops.isposinf(_t(x))


def signbit(x):
    return _ops.signbit(_t(x))


def isin(x1, x2, assume_unique=False, invert=False):
    return _ops.isin(_t(x1), _t(x2), invert=invert)


# -- logical and bitwise ------------------------------------------------------------------


def logical_and(x1, x2):
    return _ops.logical_and(_t(x1), _t(x2))


def logical_or(x1, x2):
    return _ops.logical_or(_t(x1), _t(x2))


def logical_xor(x1, x2):
    return _ops.logical_xor(_t(x1), _t(x2))


def logical_not(x):
    return _ops.logical_not(_t(x))


def bitwise_and(x, y):
    return _ops.bitwise_and(_t(x), _t(y))


def bitwise_or(x, y):
    return _ops.bitwise_or(_t(x), _t(y))


def bitwise_xor(x, y):
    return _ops.bitwise_xor(_t(x), _t(y))


def bitwise_not(x):
    return _ops.bitwise_not(_t(x))


bitwise_invert = bitwise_not


def left_shift(x, y):
    return _ops.left_shift(_t(x), _t(y))


def right_shift(x, y):
    return _ops.right_shift(_t(x), _t(y))


bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


# -- real-valued tensors (glassnet has no complex dtype) --------------------------------


def real(x):
    """The real part: ``x`` itself (glassnet tensors are real)."""
    return _t(x)


def imag(x):
    """The imaginary part: zeros (glassnet tensors are real)."""
    return zeros_like(_t(x))


def conj(x):
    """The complex conjugate: ``x`` itself (glassnet tensors are real)."""
    return _t(x)


conjugate = conj


def isreal(x):
    return _ops.isreal(_t(x))


def angle(x):
    return _ops.angle(floating(x))


def copy(x):
    """A copy of ``x`` (differentiable: the gradient passes through)."""
    return _ops.copy(_t(x))
