"""Test helpers: one way to check an op, used by every op test.

``check_op`` runs the same expression in glassnet and in PyTorch on the same random inputs and
compares the forward value and every input's gradient (float32), then checks glassnet's
gradients against central finite differences in float64.
"""

from __future__ import annotations

import numpy as np
import torch

import glassnet as gn

torch.set_num_threads(1)


def random_inputs(shapes, low=-2.0, high=2.0, kinks=(), seed=0):
    """float64 arrays drawn uniformly from [low, high], nudged at least 0.01 away from each
    point in ``kinks`` (where the op has no derivative and finite differences would lie)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        x = rng.uniform(low, high, size=shape)
        for k in kinks:
            near = np.abs(x - k) < 0.01
            x[near] = k + np.where(x[near] >= k, 0.01, -0.01)
        arrays.append(x)
    return arrays


def _run_glassnet(fn, arrays, dtype, upstream):
    ts = [gn.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = fn(*ts)
    assert out.dtype == dtype, f"forward gave {out.dtype} for {dtype} inputs"
    out.backward(upstream.astype(dtype))
    for t in ts:
        assert t.grad is not None, "an input got no gradient"
        assert t.grad.dtype == dtype, f"gradient dtype {t.grad.dtype} for {dtype} input"
        assert t.grad.shape == t.shape
    return out.numpy(), [t.grad for t in ts]


def _run_torch(torch_fn, arrays, upstream):
    ts = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in arrays]
    out = torch_fn(*ts)
    out.backward(torch.tensor(upstream, dtype=torch.float32))
    return out.detach().numpy(), [
        t.grad.numpy() if t.grad is not None else np.zeros(t.shape, np.float32) for t in ts
    ]


def numerical_grads(fn, arrays, upstream, eps=1e-6):
    """Central differences of sum(fn(*arrays) * upstream) with respect to every input."""
    arrays = [a.astype(np.float64).copy() for a in arrays]

    def f():
        with gn.no_grad():
            out = fn(*[gn.tensor(a, dtype=np.float64) for a in arrays])
        return float((out.numpy() * upstream).sum())

    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = f()
            flat[i] = orig - eps
            minus = f()
            flat[i] = orig
            gflat[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def check_op(fn, torch_fn, shapes, *, low=-2.0, high=2.0, kinks=(), seed=0,
             rtol=1e-5, atol=1e-5, fd_rtol=1e-5, fd_atol=1e-6, arrays=None):
    """Compare ``fn`` (glassnet) with ``torch_fn`` (PyTorch) on random inputs of ``shapes``.

    Checks, in float32, the forward value and the gradient of every input under a random
    upstream gradient; then, in float64, glassnet's gradients against finite differences.
    ``torch_fn=None`` skips the PyTorch comparison (for ops PyTorch lacks: pass a reference
    written with torch primitives instead where possible).
    """
    if arrays is None:
        arrays = random_inputs(shapes, low, high, kinks, seed)
    rng = np.random.default_rng(seed + 1)
    with gn.no_grad():
        out_shape = fn(*[gn.tensor(a) for a in arrays]).shape
    upstream = rng.standard_normal(out_shape)

    value, grads = _run_glassnet(fn, arrays, np.float32, upstream)
    if torch_fn is not None:
        ref_value, ref_grads = _run_torch(torch_fn, arrays, upstream)
        assert value.shape == ref_value.shape, f"shape {value.shape} vs torch {ref_value.shape}"
        np.testing.assert_allclose(value, ref_value, rtol=rtol, atol=atol, err_msg="forward")
        for i, (g, ref) in enumerate(zip(grads, ref_grads)):
            np.testing.assert_allclose(g, ref, rtol=rtol, atol=atol, err_msg=f"grad of input {i}")

    _, analytic = _run_glassnet(fn, arrays, np.float64, upstream)
    numeric = numerical_grads(fn, arrays, upstream)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a, n, rtol=fd_rtol, atol=fd_atol,
                                   err_msg=f"finite differences, input {i}")
