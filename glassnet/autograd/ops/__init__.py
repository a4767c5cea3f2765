"""The op library: one ``Function`` per op, grouped by kind, with a lowercase wrapper each."""

import sys as _sys

from glassnet.autograd.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    relu_gradient_rule,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    step,
    swish,
    tanh,
)
from glassnet.autograd.ops.arithmetic import add, div, linear, matmul, mul, neg, pow, sub
from glassnet.autograd.ops.attention import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.convolution import conv2d, conv2d_transpose
from glassnet.autograd.ops.convolution3d import conv3d, conv3d_transpose
from glassnet.autograd.ops.decompositions import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.device import to_device
from glassnet.autograd.ops.dropout import dropout
from glassnet.autograd.ops.elementwise import (
    abs,
    cast,
    clip,
    cos,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    maximum,
    minimum,
    not_equal,
    sign,
    sin,
    sqrt,
    where,
)
from glassnet.autograd.ops.exponential import (
    copysign,
    erf,
    erfinv,
    expm1,
    lerp,
    log1p,
    log2,
    log10,
    logaddexp,
    reciprocal,
    rsqrt,
    square,
)
from glassnet.autograd.ops.gather import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.image import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.indexing import getitem
from glassnet.autograd.ops.layout import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.linalg import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.logical import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    isfinite,
    isinf,
    isnan,
    left_shift,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    right_shift,
)
from glassnet.autograd.ops.loss import (
    binary_crossentropy,
    categorical_crossentropy,
    hinge,
    mean_absolute_error,
    mean_squared_error,
    softmax_cross_entropy,
    sparse_categorical_crossentropy,
)
from glassnet.autograd.ops.matrix_functions import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.more_activations import (
    celu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    log_sigmoid,
    mish,
    relu6,
    softsign,
)
from glassnet.autograd.ops.nn_functions import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.normalization import standardize
from glassnet.autograd.ops.numpy_extras import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.pooling import avg_pool2d, max_pool2d
from glassnet.autograd.ops.pooling3d import avg_pool3d, max_pool3d
from glassnet.autograd.ops.recurrent import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.reduction import (
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from glassnet.autograd.ops.rounding import ceil, floor, floor_divide, fmod, mod, round, trunc
from glassnet.autograd.ops.scans import cummax, cummin, cumprod, cumsum, logcumsumexp
from glassnet.autograd.ops.shape import (
    broadcast_to,
    concat,
    concatenate,
    expand,
    expand_dims,
    flatten,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from glassnet.autograd.ops.sorting import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.special import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.statistics import *  # noqa: F403 - named by the module's __all__
from glassnet.autograd.ops.trigonometric import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    hypot,
    sinh,
    tan,
)

__all__ = [
    "abs", "add", "argmax", "argmin", "avg_pool2d", "conv2d", "conv2d_transpose", "max_pool2d",
    "avg_pool3d", "conv3d", "conv3d_transpose", "max_pool3d",
    "binary_crossentropy", "broadcast_to", "cast",
    "categorical_crossentropy", "clip", "concat", "concatenate", "cos", "div", "dropout", "elu",
    "equal", "exp", "expand", "expand_dims", "flatten", "gelu", "getitem", "greater",
    "greater_equal", "hinge", "leaky_relu", "less", "less_equal", "linear", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "mean_absolute_error",
    "mean_squared_error", "min", "minimum", "mul", "neg", "not_equal", "pad", "permute", "pow",
    "relu", "relu_gradient_rule", "reshape", "selu", "sigmoid", "sign", "silu", "sin", "softmax",
    "softmax_cross_entropy", "softplus", "sparse_categorical_crossentropy", "split", "sqrt",
    "squeeze", "stack", "standardize", "std", "step", "sub", "sum", "swish", "tanh",
    "to_device", "transpose", "unsqueeze", "var", "where",
    # trigonometric and hyperbolic
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cosh", "hypot", "sinh", "tan",
    # exponential, logarithmic and related
    "copysign", "erf", "erfinv", "expm1", "lerp", "log1p", "log2", "log10", "logaddexp",
    "reciprocal", "rsqrt", "square",
    # rounding and remainders
    "ceil", "floor", "floor_divide", "fmod", "mod", "round", "trunc",
    # logical and bitwise (no gradients)
    "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "isfinite", "isinf", "isnan",
    "left_shift", "logical_and", "logical_not", "logical_or", "logical_xor", "right_shift",
    # more activations
    "celu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "log_sigmoid", "mish", "relu6",
    "softsign",
    # scans
    "cummax", "cummin", "cumprod", "cumsum", "logcumsumexp",
]

# The modules below list their names in their own __all__ (looked up in sys.modules: a
# function may share its module's name, as gather does).
_LISTED = ("statistics", "sorting", "layout", "gather", "linalg", "matrix_functions",
           "decompositions", "attention", "image", "nn_functions", "numpy_extras",
           "special", "recurrent")
for _module in _LISTED:
    __all__ += _sys.modules[f"{__name__}.{_module}"].__all__
