"""NoiseTunnel: an attribution averaged over noisy copies of the input (Smilkov et al., 2017;
Adebayo et al., 2018), which removes much of the gradient's pixel-level noise.

.. math::
    \\text{smoothgrad} = \\frac{1}{S}\\sum_s A(x + \\epsilon_s), \\quad
    \\text{smoothgrad\\_sq} = \\frac{1}{S}\\sum_s A(x + \\epsilon_s)^2, \\quad
    \\text{vargrad} = \\operatorname{Var}_s A(x + \\epsilon_s), \\qquad
    \\epsilon_s \\sim \\mathcal{N}(0, \\sigma^2)
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.explain import _core
from glassnet.explain.gradients import Saliency

NT_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


def _tile_kwargs(kwargs, shapes, reps):
    """The method's per-sample arguments repeated for ``reps`` stacked noisy copies (baselines
    only when given one per sample, i.e. shaped like their input)."""
    out = dict(kwargs)
    target = out.get("target")
    if target is not None and not isinstance(target, (numbers.Integral, tuple)):
        out["target"] = np.tile(np.asarray(target), reps)
    baselines = out.get("baselines")
    if baselines is not None:
        parts = baselines if isinstance(baselines, tuple) else (baselines,)
        parts = tuple(np.concatenate([np.asarray(b)] * reps, axis=0)
                      if not np.isscalar(b) and np.shape(b) == shape else b
                      for b, shape in zip(parts, shapes))
        out["baselines"] = parts if isinstance(baselines, tuple) else parts[0]
    if "additional_forward_args" in out:
        out["additional_forward_args"] = _core.tile_args(out["additional_forward_args"], reps)
    return out


class NoiseTunnel:
    """Wraps an attribution method (an object with ``attribute``), as Captum's ``NoiseTunnel``.

    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.explain import NoiseTunnel, Saliency
    >>> f = lambda t: (t * t).sum(axis=1)           # gradient 2x: noise averages out
    >>> nt = NoiseTunnel(Saliency(f))
    >>> a = nt.attribute(np.zeros((1, 2)), nt_samples=2000, stdevs=0.1, seed=0, abs=False)
    >>> bool(np.abs(a).max() < 0.05)
    True
    """

    def __init__(self, attribution_method):
        if not callable(getattr(attribution_method, "attribute", None)):
            raise TypeError("NoiseTunnel: `attribution_method` must have an `attribute` method "
                            f"(e.g. Saliency(model)); received {type(attribution_method).__name__}")
        self.attribution_method = attribution_method

    def attribute(self, inputs, nt_type="smoothgrad", nt_samples=5, nt_samples_batch_size=None,
                  stdevs=1.0, seed=None, **kwargs):
        """The method's attributions, aggregated over ``nt_samples`` noisy inputs.

        Args:
            inputs: array (n, *features), or a tuple of them.
            nt_type: ``"smoothgrad"``, ``"smoothgrad_sq"`` or ``"vargrad"``.
            nt_samples: noisy copies per sample.
            nt_samples_batch_size: copies sent to the method in one call (None: all).
            stdevs: standard deviation of the Gaussian noise (in input units).
            seed: int or ``numpy.random.Generator`` for reproducible noise.
            **kwargs: passed to the method's ``attribute`` (target, baselines, ...).
        """
        owner = "NoiseTunnel"
        x, packing = _core.pack_inputs(inputs, owner)
        shapes = [x.shape] if packing is None else [(len(x), *s) for s in packing.shapes]
        if nt_type not in NT_TYPES:
            raise ValueError(f"{owner}: `nt_type` must be one of {', '.join(NT_TYPES)}; "
                             f"received nt_type={nt_type!r}")
        nt_samples = _core.positive_int(nt_samples, "nt_samples", owner)
        group = _core.positive_int(nt_samples_batch_size, "nt_samples_batch_size", owner,
                                   allow_none=True) or nt_samples
        if not isinstance(stdevs, numbers.Real) or stdevs < 0:
            raise ValueError(f"{owner}: `stdevs` must be a non-negative number; "
                             f"received stdevs={stdevs!r}")
        rng = _core.as_generator(seed, owner)
        n = x.shape[0]
        attrs, deltas = [], []
        for start in range(0, nt_samples, group):
            reps = min(group, nt_samples - start)
            noise = rng.normal(0.0, stdevs, size=(reps, *x.shape)).astype(x.dtype)
            noisy = (x[None] + noise).reshape((reps * n, *x.shape[1:]))
            result = self.attribution_method.attribute(
                noisy if packing is None else packing.unpack(noisy),
                **_tile_kwargs(kwargs, shapes, reps))
            if kwargs.get("return_convergence_delta"):
                result, delta = result
                deltas.append(np.asarray(delta))
            if packing is not None:
                result = packing.pack(result)
            attrs.append(np.asarray(result).reshape((reps, *x.shape)))
        a = np.concatenate(attrs).astype(np.float64)
        if nt_type == "smoothgrad":
            agg = a.mean(axis=0)
        elif nt_type == "smoothgrad_sq":
            agg = (a * a).mean(axis=0)
        else:
            agg = a.var(axis=0)
        agg = _core.unpack(agg.astype(x.dtype), packing)
        return (agg, np.concatenate(deltas)) if deltas else agg


class SmoothGrad(NoiseTunnel):
    """SmoothGrad: ``NoiseTunnel(Saliency(model))`` with ``nt_type="smoothgrad"``.

    >>> import numpy as np
    >>> from glassnet.explain import SmoothGrad
    >>> f = lambda t: (t * 3.0).sum(axis=1)
    >>> SmoothGrad(f).attribute(np.zeros((2, 2)), seed=0).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """

    def __init__(self, model):
        super().__init__(Saliency(model))

    def attribute(self, inputs, target=None, nt_samples=5, stdevs=1.0, seed=None, abs=True,
                  nt_type="smoothgrad", **kwargs):
        return super().attribute(inputs, nt_type=nt_type, nt_samples=nt_samples, stdevs=stdevs,
                                 seed=seed, target=target, abs=abs, **kwargs)
