"""``gradcheck``: compare an op's analytic gradients with central differences, as torch does.

For a function f of inputs x_1..x_n (tensors) and outputs y_1..y_m, the analytic Jacobian
row of output element y_j is the vector-Jacobian product with the unit vector e_j (one
``engine.gradients`` call per output element); the numerical Jacobian column of input element
x_k is

    dy/dx_k ~= (f(x + eps e_k) - f(x - eps e_k)) / (2 eps)

and the two must agree elementwise: |analytic - numerical| <= atol + rtol * |numerical|.
Checking the whole Jacobian (not one random projection) is the honest check: a backward that
is wrong only for some output elements is still caught. ``fast_mode=True`` checks one random
projection v^T J instead, for functions whose outputs are too big for the full Jacobian.
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet import backend
from glassnet.autograd import engine
from glassnet.autograd.grad_mode import enable_grad, no_grad
from glassnet.autograd.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when an analytic gradient disagrees with central differences."""


def _prepare(inputs):
    """Copies of the inputs as tensors; the indices of those to differentiate."""
    items = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    if not items:
        raise ValueError("gradcheck: `inputs` is empty; expected a tensor or a tuple of them")
    copies, wanted = [], []
    for i, item in enumerate(items):
        if isinstance(item, Tensor):
            data, differentiate = item.data, item.requires_grad
        elif isinstance(item, np.ndarray) or backend.on_device(item):
            data, differentiate = item, item.dtype.kind == "f"
        else:  # a Python number, axis, flag...: passed through as it is
            copies.append(item)
            continue
        # Our own copies: perturbing them leaves the caller's arrays untouched.
        t = Tensor(data.copy() if backend.on_device(data) else np.array(data, copy=True),
                   dtype=data.dtype)
        if differentiate:
            if t.data.dtype != np.float64:
                warnings.warn(
                    f"gradcheck: input {i} requires gradient and is not float64 (it is "
                    f"{t.data.dtype}); central differences in low precision are unreliable. "
                    f"Pass float64 inputs.", UserWarning, stacklevel=3)
            t.requires_grad = True
            wanted.append(i)
        copies.append(t)
    if not wanted:
        raise ValueError("gradcheck: none of the inputs requires a gradient; pass float "
                         "arrays or tensors created with requires_grad=True")
    return copies, wanted


def _outputs(func, args):
    out = func(*args)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for j, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: output {j} of `func` must be a Tensor; received "
                            f"{type(o).__name__}")
        if o.data.dtype.kind != "f":
            raise TypeError(f"gradcheck: output {j} of `func` must be floating; received "
                            f"dtype {o.data.dtype}")
    return outs


def _analytic(outs, sources, seeds_per_output):
    """rows[j][i]: d<seed, out_j>/d(source_i) for each seed of out_j, stacked (s, size_i)."""
    rows = []
    for out, seeds in zip(outs, seeds_per_output):
        per_input = [np.zeros((len(seeds), s.data.size)) for s in sources]
        for r, seed in enumerate(seeds):
            if backend.on_device(out.data):  # the seed goes beside a GPU output
                seed = backend.to_device(seed, backend.device_of(out.data))
            grads = engine.gradients([out], [seed.reshape(out.shape)], sources)
            for i, g in enumerate(grads):
                if g is not None:  # the Jacobians are compared on the host
                    per_input[i][r] = np.asarray(backend.to_host(g), np.float64).reshape(-1)
        rows.append(per_input)
    return rows


def _numerical(func, args, wanted, n_outs, project, eps):
    """cols[j][i]: central-difference derivative of project(out_j) per element of input i."""
    cols = [[None] * len(wanted) for _ in range(n_outs)]
    with no_grad():
        for w, i in enumerate(wanted):
            flat = args[i].data.reshape(-1)
            for j in range(n_outs):
                cols[j][w] = []
            for k in range(flat.size):  # one pair of forward passes per input element
                orig = flat[k]
                flat[k] = orig + eps
                plus = [project(j, o.data) for j, o in enumerate(_outputs(func, args))]
                flat[k] = orig - eps
                minus = [project(j, o.data) for j, o in enumerate(_outputs(func, args))]
                flat[k] = orig
                for j in range(n_outs):
                    cols[j][w].append((plus[j] - minus[j]) / (2 * eps))
    return [[np.array(c, dtype=np.float64).reshape(len(c), -1).T for c in per_out]
            for per_out in cols]


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              fast_mode=False, seed=0) -> bool:
    """Check ``func``'s analytic gradients against central differences.

    .. math::  |J_{analytic} - J_{numerical}| \\le atol + rtol \\cdot |J_{numerical}|

    Args:
        func: a callable of the inputs returning a Tensor or a tuple of Tensors.
        inputs: a Tensor, a NumPy array, or a tuple of them (other values are passed through).
            Float arrays and tensors with ``requires_grad=True`` are differentiated; use
            float64 (float32 inputs warn, as in torch).
        eps: the finite-difference step. atol, rtol: the tolerances.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).
        fast_mode: compare one random projection v^T J instead of the full Jacobian.
        seed: seeds the random projection of ``fast_mode``.

    Returns:
        True when every gradient agrees.

    >>> import numpy as np, glassnet
    >>> gradcheck(glassnet.tanh, np.linspace(-1, 1, 5))
    True
    """
    if not callable(func):
        raise TypeError(f"gradcheck: `func` must be callable; received {type(func).__name__}")
    for name, value, positive in (("eps", eps, True), ("atol", atol, False),
                                  ("rtol", rtol, False)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                or (positive and value == 0):
            kind = "positive" if positive else "non-negative"
            raise ValueError(f"gradcheck: `{name}` must be a {kind} number; "
                             f"received {name}={value!r}")
    args, wanted = _prepare(inputs)
    sources = [args[i] for i in wanted]
    with enable_grad():
        outs = _outputs(func, args)
    if fast_mode:
        rng = np.random.default_rng(seed)
        vs = [rng.standard_normal(o.data.size) for o in outs]
        analytic = _analytic(outs, sources, [[v.astype(o.data.dtype)] for v, o in zip(vs, outs)])
        numerical = _numerical(func, args, wanted, len(outs),
                               lambda j, y: np.array([vs[j] @ backend.to_host(y).reshape(-1)]),
                               eps)
    else:
        analytic = _analytic(outs, sources, [np.eye(o.data.size, dtype=o.data.dtype)
                                             for o in outs])
        numerical = _numerical(func, args, wanted, len(outs),
                               lambda j, y: np.asarray(backend.to_host(y),
                                                       dtype=np.float64).reshape(-1), eps)
    for j in range(len(outs)):
        for w, i in enumerate(wanted):
            a, n = analytic[j][w], numerical[j][w]
            bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
            if not bad.any():
                continue
            if not raise_exception:
                return False
            r, k = np.unravel_index(np.argmax(np.where(bad, np.abs(a - n), -1)), a.shape)
            where = "along a random projection" if fast_mode else f"output element {r}"
            raise GradcheckError(
                f"gradcheck: Jacobian mismatch for output {j} with respect to input {i}: "
                f"{int(bad.sum())} of {a.size} entries differ; the largest at {where}, input "
                f"element {k}: analytic {a[r, k]:.6g}, numerical {n[r, k]:.6g} (difference "
                f"{abs(a[r, k] - n[r, k]):.3g} > atol {atol} + rtol {rtol} * |numerical|)."
                f"\nnumerical:\n{n}\nanalytic:\n{a}")
    return True
