"""Perturbation attributions: replace part of the input by a baseline and watch the score drop.

.. math::
    \\text{FeatureAblation}_i = f_c(x) - f_c\\bigl(x_{G(i) \\leftarrow b}\\bigr), \\qquad
    \\text{Occlusion}_i = \\frac{1}{|W_i|}\\sum_{w \\in W_i} f_c(x) - f_c(x_{w \\leftarrow b})

where ``G(i)`` is the feature group holding element ``i`` and ``W_i`` the sliding windows
covering it. No gradients are needed, so the model may be any callable returning arrays.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.explain import _core


def _ablate(forward, x, b, masks, count, target, args, perturbations_per_eval, average):
    """Sum (or average) of ``f(x) - f(x with mask <- b)`` over ``count`` masks, where
    ``masks(lo, hi)`` gives boolean masks (hi - lo, n or 1, *features) and ``b`` is an array
    shaped like ``x`` or a function ``b(lo, hi)`` giving one replacement per mask."""
    f_x = _core.scores(forward, x[None], target, args, None)[0]
    attr = np.zeros(x.shape, dtype=np.float64)
    covered = np.zeros(x.shape, dtype=np.float64)
    for lo in range(0, count, perturbations_per_eval):
        m = masks(lo, min(lo + perturbations_per_eval, count))
        grid = np.where(m, b(lo, lo + len(m)) if callable(b) else b[None], x[None])
        diff = f_x[None] - _core.scores(forward, grid, target, args, None)   # (p, n)
        m = np.broadcast_to(m, grid.shape)
        attr += np.einsum("pn,pn...->n...", diff, m)
        covered += m.sum(axis=0)
    if average:
        # elements no window reaches (strides skipping them) get 0, not 0 / 0
        attr = np.divide(attr, covered, out=np.zeros_like(attr), where=covered > 0)
    return attr.astype(x.dtype)


def _sizes(value, name, ndim, owner, default=None):
    if value is None:
        value = default
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,) * ndim
    if not isinstance(value, (tuple, list)) or len(value) != ndim or any(
            isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in value):
        raise ValueError(f"{owner}: `{name}` must be {ndim} positive integers, one per "
                         f"non-batch input axis; received {name}={value!r}")
    return tuple(int(v) for v in value)


class Occlusion:
    """A window of baseline values slid over the input, as Captum's ``Occlusion`` (Zeiler &
    Fergus, 2014). Each element gets the mean score drop of the windows covering it.

    >>> import numpy as np
    >>> from glassnet.explain import Occlusion
    >>> f = lambda x: x.sum(axis=(1, 2))
    >>> Occlusion(f).attribute(np.ones((1, 4, 4)), sliding_window_shapes=(2, 2),
    ...                        strides=2)[0, 0].tolist()
    [4.0, 4.0, 4.0, 4.0]
    """

    def __init__(self, model):
        self.forward = _core.Forward(model, "Occlusion")

    def attribute(self, inputs, sliding_window_shapes, strides=None, baselines=0, target=None,
                  additional_forward_args=None, perturbations_per_eval=1):
        """Attributions shaped like ``inputs``.

        Args:
            inputs: array (n, *features).
            sliding_window_shapes: window size along each non-batch axis (channels included).
            strides: step of the window, an int or one per axis (default 1).
            baselines: the value put under the window (a number or an array as in
                ``IntegratedGradients``).
            target: as in ``Saliency.attribute``.
            perturbations_per_eval: window positions evaluated in one batch.
        """
        owner = "Occlusion"
        if isinstance(inputs, tuple):
            raise TypeError(f"{owner} takes one input array (windows are shaped per input); "
                            "for a tuple of inputs use FeatureAblation with a feature_mask")
        x = _core.as_inputs(inputs, owner)
        self.forward.packing = None
        feat = x.shape[1:]
        window = _sizes(sliding_window_shapes, "sliding_window_shapes", len(feat), owner)
        strides = _sizes(strides, "strides", len(feat), owner, default=1)
        if any(w > f for w, f in zip(window, feat)):
            raise ValueError(f"{owner}: `sliding_window_shapes` {window} is larger than the "
                             f"sample shape {feat}")
        ppe = _core.positive_int(perturbations_per_eval, "perturbations_per_eval", owner)
        b = _core.as_baselines(baselines, x, owner)
        starts = [np.arange(0, f - w + 1, s) for f, w, s in zip(feat, window, strides)]
        grid_shape = tuple(len(s) for s in starts)

        def masks(lo, hi):
            index = np.unravel_index(np.arange(lo, hi), grid_shape)
            m = np.ones((hi - lo, 1, *feat), dtype=bool)
            for axis, (pos, w, f) in enumerate(zip(index, window, feat)):
                first = starts[axis][pos][:, None]
                inside = (np.arange(f)[None] >= first) & (np.arange(f)[None] < first + w)
                shape = [hi - lo, 1] + [1] * len(feat)
                shape[axis + 2] = f
                m &= inside.reshape(shape)
            return m

        return _ablate(self.forward, x, b, masks, int(np.prod(grid_shape)),
                       _core.check_target(target, x.shape[0], owner), additional_forward_args,
                       ppe, average=True)


class FeatureAblation:
    """Each feature group replaced by the baseline in turn, as Captum's ``FeatureAblation``;
    by default every input element (every column of tabular data) is its own feature.

    >>> import numpy as np
    >>> from glassnet.explain import FeatureAblation
    >>> f = lambda x: x @ np.array([1.0, -2.0, 0.5])
    >>> FeatureAblation(f).attribute(np.array([[2.0, 1.0, 4.0]])).tolist()
    [[2.0, -2.0, 2.0]]
    """

    def __init__(self, model):
        self.forward = _core.Forward(model, "FeatureAblation")

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  feature_mask=None, perturbations_per_eval=1):
        """Attributions shaped like ``inputs``.

        Args:
            inputs: array (n, *features), or a tuple of them (feature ids span all of them).
            baselines: the replacement values (None: zeros; a number; an array; a tuple).
            target: as in ``Saliency.attribute``.
            feature_mask: int array shaped like one sample (or like ``inputs``) giving each
                element's feature id; elements sharing an id are ablated together.
            perturbations_per_eval: features evaluated in one batch.
        """
        owner = "FeatureAblation"
        x, packing = _core.pack_inputs(inputs, owner)
        self.forward.packing = packing
        b = _core.as_baselines(_core.pack_values(baselines, packing, len(x), owner, "baselines"),
                               x, owner)
        feature_mask = _core.pack_values(feature_mask, packing, len(x), owner, "feature_mask")
        ppe = _core.positive_int(perturbations_per_eval, "perturbations_per_eval", owner)
        mask = _feature_mask(feature_mask, x, owner)
        ids = np.unique(mask)

        def masks(lo, hi):
            return mask[None] == ids[lo:hi].reshape((-1,) + (1,) * mask.ndim)

        return _core.unpack(_ablate(self.forward, x, b, masks, len(ids),
                                    _core.check_target(target, x.shape[0], owner),
                                    additional_forward_args, ppe, average=False), packing)


def _feature_mask(feature_mask, x, owner):
    """Integer feature ids shaped (1 or n, *features); default: each element its own id."""
    feat = x.shape[1:]
    if feature_mask is None:
        mask = np.arange(int(np.prod(feat))).reshape((1, *feat))
    else:
        mask = np.asarray(feature_mask)
        if mask.dtype.kind not in "iu":
            raise TypeError(f"{owner}: `feature_mask` must hold integer feature ids; "
                            f"received dtype {mask.dtype}")
        if mask.shape == feat:
            mask = mask[None]
        if mask.shape[1:] != feat or mask.shape[0] not in (1, x.shape[0]):
            raise ValueError(f"{owner}: `feature_mask` must have the shape of one sample "
                             f"{feat} or of `inputs` {x.shape}; received "
                             f"shape {np.shape(feature_mask)}")
    return mask


class FeaturePermutation:
    """Permutation feature importance, as Captum's ``FeaturePermutation`` (Breiman, 2001): each
    feature is shuffled across the batch in turn, breaking its link to the output while
    keeping its distribution; the score drop is its importance.

    .. math::
        \\text{FP}_i(x^{(j)}) = f_c(x^{(j)}) - f_c\\bigl(x^{(j)}_{G(i) \\leftarrow
            x^{(\\pi(j))}}\\bigr)

    >>> import numpy as np
    >>> from glassnet.explain import FeaturePermutation
    >>> f = lambda x: x @ np.array([1.0, 0.0])       # the second column is ignored
    >>> x = np.array([[1.0, 5.0], [2.0, 6.0], [3.0, 7.0]])
    >>> bool(np.all(FeaturePermutation(f).attribute(x, seed=0)[:, 1] == 0))
    True
    """

    def __init__(self, model):
        self.forward = _core.Forward(model, "FeaturePermutation")

    def attribute(self, inputs, target=None, additional_forward_args=None, feature_mask=None,
                  perturbations_per_eval=1, seed=None):
        """Attributions shaped like ``inputs`` (a batch of at least two samples).

        Args:
            inputs: array (n, *features), n >= 2.
            target: as in ``Saliency.attribute``.
            feature_mask: as in ``FeatureAblation.attribute`` (one sample's shape).
            perturbations_per_eval: features evaluated in one batch.
            seed: int or ``numpy.random.Generator`` for the permutations.
        """
        owner = "FeaturePermutation"
        x, packing = _core.pack_inputs(inputs, owner)
        self.forward.packing = packing
        feature_mask = _core.pack_values(feature_mask, packing, len(x), owner, "feature_mask")
        n = x.shape[0]
        if n < 2:
            raise ValueError(f"{owner}: permuting needs a batch of at least 2 samples; "
                             f"received shape {x.shape}")
        ppe = _core.positive_int(perturbations_per_eval, "perturbations_per_eval", owner)
        mask = _feature_mask(feature_mask, x, owner)
        if mask.shape[0] != 1:
            raise ValueError(f"{owner}: `feature_mask` must have the shape of one sample "
                             f"{x.shape[1:]}; received shape {mask.shape}")
        ids = np.unique(mask)
        rng = _core.as_generator(seed, owner)
        # one independent shuffle of the batch per feature
        perms = rng.permuted(np.tile(np.arange(n), (len(ids), 1)), axis=1)

        def masks(lo, hi):
            return mask[None] == ids[lo:hi].reshape((-1,) + (1,) * mask.ndim)

        return _core.unpack(_ablate(self.forward, x, lambda lo, hi: x[perms[lo:hi]], masks,
                                    len(ids), _core.check_target(target, n, owner),
                                    additional_forward_args, ppe, average=False), packing)
