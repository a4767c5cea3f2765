"""Whether an attribution points at what the model uses: the deletion curve (Samek et al.,
2017; Petsiuk et al., 2018).

Remove (set to a baseline) the top-attributed fraction ``q`` of the input and read the target
score again; an attribution that finds the evidence makes the score fall fast, faster than
removing a random fraction of the same size (``order="random"``, the control):

.. math::
    D(q) = f_c\\bigl(x_{T_q \\leftarrow b}\\bigr), \\qquad T_q = \\text{the } \\lceil q\\,d
    \\rceil \\text{ features of highest attribution}

Attributions of one value per pixel (Grad-CAM's (N, H, W) for inputs (N, H, W, C)) remove
whole pixels. Ties are broken at random (seeded), so a map of many zeros is not favoured by
the order of its pixels.
"""

from __future__ import annotations

import numpy as np

from glassnet.explain import _core


def _check_fractions(fractions):
    q = np.asarray(fractions, dtype=np.float64)
    if q.ndim != 1 or q.size == 0 or not np.all((q >= 0) & (q <= 1)):
        raise ValueError(f"deletion_curve: `fractions` must be a list of numbers in [0, 1]; "
                         f"received {fractions!r}")
    return q


def _units(attributions, x):
    """The attributions as (n, d) and whether each covers all channels of a pixel."""
    a = np.asarray(attributions.numpy() if hasattr(attributions, "numpy") else attributions,
                   dtype=np.float64)
    if a.shape == x.shape:
        return a.reshape(len(a), -1), False
    if x.ndim >= 3 and a.shape == x.shape[:-1]:
        return a.reshape(len(a), -1), True
    raise ValueError(f"deletion_curve: `attributions` must have the shape of `inputs` "
                     f"{x.shape} or of its pixels {x.shape[:-1]}; received shape {a.shape}")


def deletion_curve(model, inputs, attributions, target=None,
                   fractions=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5), baseline=0.0, order="top",
                   rank_by="value", seed=0, internal_batch_size=None,
                   additional_forward_args=None):
    """The target score of each sample with the top (or random) fractions of its input
    removed: an array (len(fractions), n).

    Args:
        model: a model or any callable from a batch to outputs (no gradients are needed).
        inputs: array (n, *features).
        attributions: shaped like ``inputs``, or like its pixels (``inputs.shape[:-1]``).
        target: as for the attribution methods (an int, one per sample, ...).
        fractions: the shares of the features removed, each in [0, 1].
        baseline: what removed features become: a number, or an array shaped like
            ``inputs`` or one sample.
        order: ``"top"`` (highest attribution first) or ``"random"`` (the control).
        rank_by: ``"value"`` (signed: evidence for the class first) or ``"abs"``.
        seed: for the random order and the breaking of ties.
        internal_batch_size: at most this many samples through the model at once.

    The score is what the model outputs at ``target`` (a probability for a softmax model).

    >>> import numpy as np
    >>> from glassnet.explain import deletion_curve
    >>> f = lambda x: x.sum(axis=1)
    >>> x = np.array([[3.0, 1.0, 2.0, 0.0]])
    >>> deletion_curve(f, x, x, fractions=[0, 0.25, 0.5, 1.0])[:, 0].tolist()
    [6.0, 3.0, 1.0, 0.0]
    """
    owner = "deletion_curve"
    x = _core.as_inputs(inputs, owner)
    n = x.shape[0]
    units, per_pixel = _units(attributions, x)
    q = _check_fractions(fractions)
    if order not in ("top", "random"):
        raise ValueError(f"{owner}: `order` must be 'top' or 'random'; received {order!r}")
    if rank_by not in ("value", "abs"):
        raise ValueError(f"{owner}: `rank_by` must be 'value' or 'abs'; received {rank_by!r}")
    forward = _core.Forward(model, owner)
    target = _core.check_target(target, n, owner)
    b = _core.as_baselines(baseline, x, owner, "baseline")
    rng = _core.as_generator(seed, owner)
    d = units.shape[1]
    ties = rng.random(units.shape)
    if order == "random":
        key = ties
    else:
        key = -(np.abs(units) if rank_by == "abs" else units)
    ranked = np.lexsort((ties, key), axis=-1)               # (n, d), first removed first
    position = np.empty_like(ranked)
    np.put_along_axis(position, ranked, np.arange(d)[None].repeat(n, 0), axis=1)
    counts = np.ceil(q * d - 1e-9).astype(np.int64)          # features removed per fraction
    removed = position[None] < counts[:, None, None]         # (k, n, d)
    removed = removed.reshape((len(q), *((x.shape[:-1]) if per_pixel else x.shape)))
    if per_pixel:
        removed = removed[..., None]
    grid = np.where(removed, b[None], x[None])
    return _core.scores(forward, grid, target, additional_forward_args, internal_batch_size)
