"""The op library: one ``Function`` per op, grouped by kind, with a lowercase wrapper each."""

from glassnet.autograd.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
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
from glassnet.autograd.ops.convolution import conv2d, conv2d_transpose
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
from glassnet.autograd.ops.indexing import getitem
from glassnet.autograd.ops.loss import (
    binary_crossentropy,
    categorical_crossentropy,
    hinge,
    mean_absolute_error,
    mean_squared_error,
    softmax_cross_entropy,
    sparse_categorical_crossentropy,
)
from glassnet.autograd.ops.normalization import standardize
from glassnet.autograd.ops.pooling import avg_pool2d, max_pool2d
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

__all__ = [
    "abs", "add", "argmax", "argmin", "avg_pool2d", "conv2d", "conv2d_transpose", "max_pool2d",
    "binary_crossentropy", "broadcast_to", "cast",
    "categorical_crossentropy", "clip", "concat", "concatenate", "cos", "div", "dropout", "elu",
    "equal", "exp", "expand", "expand_dims", "flatten", "gelu", "getitem", "greater",
    "greater_equal", "hinge", "leaky_relu", "less", "less_equal", "linear", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "mean_absolute_error",
    "mean_squared_error", "min", "minimum", "mul", "neg", "not_equal", "pad", "permute", "pow",
    "relu", "reshape", "selu", "sigmoid", "sign", "silu", "sin", "softmax",
    "softmax_cross_entropy", "softplus", "sparse_categorical_crossentropy", "split", "sqrt",
    "squeeze", "stack", "standardize", "std", "step", "sub", "sum", "swish", "tanh",
    "transpose", "unsqueeze", "var", "where",
]
