"""Integrated gradients (Sundararajan et al., 2017): the gradient averaged along the straight
path from a baseline to the input, times the distance travelled.

.. math::
    \\text{IG}_i(x) = (x_i - b_i) \\int_0^1
        \\frac{\\partial f_c\\bigl(b + \\alpha (x - b)\\bigr)}{\\partial x_i}\\, d\\alpha
    \\approx (x_i - b_i) \\sum_k w_k\\, \\partial_i f_c\\bigl(b + \\alpha_k (x - b)\\bigr)

By the fundamental theorem of calculus the attributions sum to ``f_c(x) - f_c(b)``
(completeness); the convergence delta measures how far the quadrature is from that.
"""

from __future__ import annotations

import numpy as np

from glassnet.explain import _core

METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right",
           "riemann_middle")


def quadrature(method, n_steps):
    """Points ``alpha`` in [0, 1] and weights ``w`` (summing to 1) of the path integral."""
    if method == "gausslegendre":
        # exact for polynomials of degree 2 n_steps - 1, so it converges fastest on smooth nets
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        return (nodes + 1) / 2, weights / 2
    if method == "riemann_trapezoid":
        if n_steps < 2:
            raise ValueError("IntegratedGradients: method='riemann_trapezoid' needs n_steps >= 2; "
                             f"received n_steps={n_steps}")
        weights = np.full(n_steps, 1.0 / (n_steps - 1))
        weights[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, n_steps), weights
    offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}.get(method)
    if offset is None:
        raise ValueError(f"IntegratedGradients: `method` must be one of {', '.join(METHODS)}; "
                         f"received method={method!r}")
    return (np.arange(n_steps) + offset) / n_steps, np.full(n_steps, 1.0 / n_steps)


class IntegratedGradients:
    """Integrated gradients, as Captum's ``IntegratedGradients``.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.explain import IntegratedGradients
    >>> f = lambda t: (t * t).sum(axis=1)           # f(x) = x1^2 + x2^2
    >>> attr, delta = IntegratedGradients(f).attribute(
    ...     np.array([[1.0, 2.0]]), return_convergence_delta=True)
    >>> np.round(attr, 6).tolist(), bool(abs(delta[0]) < 1e-5)
    ([[1.0, 4.0]], True)
    """

    def __init__(self, model):
        self.forward = _core.Forward(model, "IntegratedGradients")

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps=50, method="gausslegendre", internal_batch_size=None,
                  return_convergence_delta=False):
        """Attributions shaped like ``inputs`` (and, if asked, the delta per sample).

        Args:
            inputs: array (n, *features), or a tuple of them (attributions are then a tuple).
            baselines: None (zeros), a number, or an array shaped like ``inputs`` or one sample
                (for a tuple of inputs, a tuple of those).
            target: as in ``Saliency.attribute``.
            additional_forward_args: further positional arguments of the model.
            n_steps: number of points on the path.
            method: ``"gausslegendre"`` or one of the ``"riemann_*"`` rules.
            internal_batch_size: at most this many path points go through the model at once
                (at least one full step of ``n`` samples); None sends all ``n_steps * n``.
            return_convergence_delta: also return
                ``sum(attributions) - (f(inputs) - f(baselines))``, shape (n,).
        """
        owner = "IntegratedGradients"
        x, packing = _core.pack_inputs(inputs, owner)
        self.forward.packing = packing
        b = _core.as_baselines(_core.pack_values(baselines, packing, len(x), owner, "baselines"),
                               x, owner)
        n_steps = _core.positive_int(n_steps, "n_steps", owner)
        internal_batch_size = _core.positive_int(internal_batch_size, "internal_batch_size",
                                                 owner, allow_none=True)
        alphas, weights = quadrature(method, n_steps)
        target = _core.check_target(target, x.shape[0], owner)
        alphas = alphas.astype(x.dtype).reshape((-1,) + (1,) * x.ndim)
        avg = np.zeros(x.shape, dtype=np.float64)
        for rows, _, g in _core.gradient_chunks(
                self.forward, n_steps, x.shape[0], lambda rows: b + alphas[rows] * (x - b),
                target, additional_forward_args, internal_batch_size):
            avg += np.tensordot(weights[rows], g, axes=1)
        attr = ((x - b) * avg).astype(x.dtype)
        if not return_convergence_delta:
            return _core.unpack(attr, packing)
        ends = _core.scores(self.forward, np.stack([x, b]), target, additional_forward_args,
                            internal_batch_size, as_tensor=True)
        return _core.unpack(attr, packing), convergence_delta(attr, ends[0], ends[1])


def convergence_delta(attr, f_inputs, f_baselines):
    """``sum(attr) - (f(x) - f(b))`` per sample: how far attributions are from completeness."""
    total = attr.reshape(attr.shape[0], -1).sum(axis=1, dtype=np.float64)
    return total - (f_inputs - f_baselines)
