"""GradientShap (Lundberg & Lee, 2017; Captum): expected gradients over random baselines.

.. math::
    \\phi_i(x) = \\mathbb{E}_{b \\sim B,\\ \\alpha \\sim U(0,1),\\ \\epsilon \\sim
        \\mathcal{N}(0,\\sigma^2)}\\Bigl[(\\tilde x_i - b_i)\\,
        \\partial_i f_c\\bigl(b + \\alpha(\\tilde x - b)\\bigr)\\Bigr],
        \\qquad \\tilde x = x + \\epsilon

which approximates SHAP values; with a single baseline it is a stochastic integrated gradients.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.explain import _core
from glassnet.explain.integrated_gradients import convergence_delta


class GradientShap:
    """GradientShap, as Captum's ``GradientShap``.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.explain import GradientShap
    >>> f = lambda t: (t * gn.tensor([[2.0, -1.0]])).sum(axis=1)
    >>> GradientShap(f).attribute(np.array([[1.0, 1.0]]), baselines=np.zeros((3, 2)),
    ...                           seed=0).tolist()
    [[2.0, -1.0]]
    """

    def __init__(self, model):
        self.forward = _core.Forward(model, "GradientShap")

    def attribute(self, inputs, baselines, n_samples=5, stdevs=0.0, target=None,
                  additional_forward_args=None, internal_batch_size=None, seed=None,
                  return_convergence_delta=False):
        """Attributions shaped like ``inputs``.

        Args:
            inputs: array (n, *features), or a tuple of them.
            baselines: the baseline distribution, an array (m, *features) of reference
                samples (or one sample shaped like ``inputs[0]``); for a tuple of inputs, a
                tuple of such arrays with the same m.
            n_samples: random (baseline, alpha, noise) draws per input sample.
            stdevs: standard deviation of the Gaussian noise added to the inputs.
            target: as in ``Saliency.attribute``.
            internal_batch_size: at most this many points through the model at once.
            seed: int or ``numpy.random.Generator``.
            return_convergence_delta: also return, for each of the ``n_samples * n`` draws,
                ``sum(attr) - (f(x~) - f(b))`` (draw-major).
        """
        owner = "GradientShap"
        x, packing = _core.pack_inputs(inputs, owner)
        self.forward.packing = packing
        n, feat = x.shape[0], x.shape[1:]
        if packing is not None and isinstance(baselines, tuple):
            baselines = _pack_distributions(baselines, packing, owner)
        if isinstance(baselines, (int, float)) or baselines is None:
            raise TypeError(f"{owner}: `baselines` must be an array of reference samples "
                            f"(m, *{feat}); received {baselines!r}")
        dist = np.asarray(baselines, dtype=x.dtype)
        if dist.shape == feat:
            dist = dist[None]
        if dist.shape[1:] != feat or dist.shape[0] == 0:
            raise ValueError(f"{owner}: `baselines` must have shape (m, *{feat}); "
                             f"received shape {dist.shape}")
        n_samples = _core.positive_int(n_samples, "n_samples", owner)
        ibs = _core.positive_int(internal_batch_size, "internal_batch_size", owner,
                                 allow_none=True)
        if not isinstance(stdevs, numbers.Real) or stdevs < 0:
            raise ValueError(f"{owner}: `stdevs` must be a non-negative number; "
                             f"received stdevs={stdevs!r}")
        rng = _core.as_generator(seed, owner)
        target = _core.check_target(target, n, owner)
        # the small draws up front; the noise (as large as the chunk) chunk by chunk, from one
        # stream, so that internal batching does not change the result
        pick = rng.integers(0, dist.shape[0], size=(n_samples, n))
        alpha = rng.uniform(0.0, 1.0, size=(n_samples, n) + (1,) * len(feat)).astype(x.dtype)
        chunk = {}

        def points(rows):
            noise = rng.normal(0.0, stdevs, size=(rows.stop - rows.start, *x.shape))
            chunk["noisy"] = x[None] + noise.astype(x.dtype)
            chunk["b"] = dist[pick[rows]]
            return chunk["b"] + alpha[rows] * (chunk["noisy"] - chunk["b"])

        total = np.zeros(x.shape, dtype=np.float64)
        deltas = []
        for _rows, _, g in _core.gradient_chunks(self.forward, n_samples, n, points, target,
                                                 additional_forward_args, ibs):
            draws = (chunk["noisy"] - chunk["b"]) * g
            total += draws.sum(axis=0, dtype=np.float64)
            if return_convergence_delta:
                ends = _core.scores(self.forward, np.concatenate([chunk["noisy"], chunk["b"]]),
                                    target, additional_forward_args, ibs, as_tensor=True)
                reps = len(draws)
                deltas.append(convergence_delta(draws.reshape((reps * n, *feat)),
                                                ends[:reps].reshape(-1), ends[reps:].reshape(-1)))
        attr = _core.unpack((total / n_samples).astype(x.dtype), packing)
        return (attr, np.concatenate(deltas)) if return_convergence_delta else attr


def _pack_distributions(baselines, packing, owner):
    """One baseline distribution per input, (m, *input_shape) each, packed side by side."""
    dists = [np.asarray(b) for b in baselines]
    if len(dists) != len(packing.shapes) or len({len(d) for d in dists}) != 1 or any(
            d.shape[1:] != shape for d, shape in zip(dists, packing.shapes)):
        raise ValueError(f"{owner}: `baselines` must hold one (m, *input_shape) array per "
                         f"input, with the same m; input shapes {packing.shapes}, received "
                         f"shapes {[d.shape for d in dists]}")
    return packing.pack(dists)
