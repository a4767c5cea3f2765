"""Reverse-mode automatic differentiation over NumPy arrays."""

from glassnet.autograd.creation import (
    arange,
    eye,
    full,
    linspace,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from glassnet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from glassnet.autograd.gradcheck import GradcheckError, gradcheck
from glassnet.autograd.ops import *  # noqa: F403 - the op library is this package's API
from glassnet.autograd.ops import __all__ as _ops_all
from glassnet.autograd.tensor import Function, Tensor

__all__ = [
    "Function", "GradcheckError", "Tensor", "arange", "enable_grad", "eye", "full",
    "gradcheck", "is_grad_enabled", "linspace", "no_grad", "ones", "ones_like", "rand",
    "randn", "tensor", "zeros", "zeros_like",
    *_ops_all,
]
