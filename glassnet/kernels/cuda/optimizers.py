"""Optimizer updates as one fused elementwise kernel per parameter (CuPy ``ElementwiseKernel``).

The readable ``update_step`` is ~10 in-place NumPy calls; on a GPU each is a kernel launch
over the parameter. Here each update is one pass, with the same formulas (see ``Adam`` and
``SGD`` in ``glassnet.optim``; the state is kept in the same scale):

    Adam:  m = b1 m + g;  v = b2 v + g**2;  w -= alpha * m / (sqrt(v) + eps')
    SGD:   w -= lr g                     (no momentum)
           m = mu m - lr g;  w += m      (momentum)
           m = mu m - lr g;  w += mu m - lr g   (Nesterov)
"""

from __future__ import annotations

import functools
import math


@functools.cache
def _kernels():
    import cupy

    adam = cupy.ElementwiseKernel(
        "T g, T alpha, T eps, T b1, T b2", "T w, T m, T v",
        """
        m = b1 * m + g;
        v = b2 * v + g * g;
        w -= alpha * (m / (sqrt(v) + eps));
        """, "glassnet_adam_update")
    momentum = cupy.ElementwiseKernel(
        "T g, T lr, T mu, int32 nesterov", "T w, T m",
        """
        m = mu * m - lr * g;
        w += nesterov ? mu * m - lr * g : m;
        """, "glassnet_sgd_momentum_update")
    return adam, momentum


def _decay(optimizer, w, lr):
    if optimizer.weight_decay:
        w *= 1.0 - lr * optimizer.weight_decay


def fused_update(optimizer):
    """The fused ``update_variable`` of ``optimizer``, or None where there is none (the
    optimizer names its update in ``fused_kind()``: "adam", "sgd_momentum" or None)."""
    kind = optimizer.fused_kind()
    if kind == "adam":
        return functools.partial(_adam, optimizer)
    if kind == "sgd_momentum":
        return functools.partial(_momentum, optimizer)
    return None


def _adam(opt, g, w, slots, lr, t):
    adam, _ = _kernels()
    b1, b2 = opt.beta_1, opt.beta_2
    root = math.sqrt(1 - b2)
    alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * (1 - b1) / root
    _decay(opt, w, lr)
    dtype = w.dtype.type
    adam(g, dtype(alpha), dtype(opt.epsilon / root), dtype(b1), dtype(b2), w,
         slots["momentum"], slots["velocity"])


def _momentum(opt, g, w, slots, lr, t):
    _, momentum = _kernels()
    _decay(opt, w, lr)
    dtype = w.dtype.type
    momentum(g, dtype(lr), dtype(opt.momentum), int(bool(opt.nesterov)), w, slots["momentum"])
